// url: percent-decoding and query parameters.
#include <bareasio/http/url.hpp>

#include "../support/doctest.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace bareasio;

TEST_CASE("url: percent-decoding and query parameters") {
    CHECK(percent_decode("/a%20b/c") == "/a b/c");
    CHECK(percent_decode("a+b", true) == "a b");
    CHECK(percent_decode("a+b", false) == "a+b");
    CHECK_FALSE(percent_decode("%4"));
    CHECK_FALSE(percent_decode("%zz"));
    query_params q;
    REQUIRE(q.parse("name=J%C3%B6rg&tag=a&tag=b+c&flag"));
    CHECK(q.get("name") == "J\xC3\xB6rg");
    CHECK(q.get_all("tag") == std::vector<std::string_view>{"a", "b c"});
    CHECK(q.get("flag") == "");
    CHECK_FALSE(q.parse("bad=%G0"));
}
