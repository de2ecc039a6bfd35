// request: what a handler receives; its target split and decoded.
#include <bareasio/http/request.hpp>

#include "../support/doctest.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace bareasio;

TEST_CASE("request: target split into decoded path and query") {
    request_head head;
    head.method = "GET";
    head.target = "/files/a%2Fb?x=1&y=two%20words#frag";
    request req(std::move(head));
    CHECK(req.path() == "/files/a/b");
    CHECK(req.raw_query() == "x=1&y=two%20words");
    CHECK(req.query().get("y") == "two words");
    request_head absolute;
    absolute.target = "http://example.com/p?q=1";
    CHECK(request(std::move(absolute)).path() == "/p");
    request_head fragment; // the client's own: not part of the path (was a 404)
    fragment.target = "/plaintext#frag";
    CHECK(request(std::move(fragment)).path() == "/plaintext");
    request_head fragment_in_query;
    fragment_in_query.target = "/p?a=1#x?y";
    CHECK(request(std::move(fragment_in_query)).raw_query() == "a=1");
    request_head bad;
    bad.target = "/%zz";
    CHECK_THROWS_AS(request(std::move(bad)), std::invalid_argument);
}
