// header_list: ordered, case-insensitive header fields.
#include <bareasio/http/header_list.hpp>

#include "../support/doctest.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace bareasio;

TEST_CASE("header_list: case-insensitive lookup keeps repeats and order") {
    header_list h{{"Content-Type", "text/plain"}, {"Set-Cookie", "a=1"}, {"set-cookie", "b=2"}};
    CHECK(h.get("content-type") == "text/plain");
    CHECK(h.get_all("SET-COOKIE") == std::vector<std::string_view>{"a=1", "b=2"});
    CHECK_FALSE(h.get("missing"));
    h.set("Set-Cookie", "c=3");
    CHECK(h.get_all("set-cookie") == std::vector<std::string_view>{"c=3"});
    CHECK(h.size() == 2);
    h.clear();
    CHECK(h.empty());
    h.add("x", "y");
    CHECK(h.get("X") == "y");
    CHECK(contains_token("keep-alive, Upgrade", "upgrade"));
    CHECK_FALSE(contains_token("keep-alive", "close"));
}
