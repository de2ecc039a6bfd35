// origin_policy: which Origins may open a WebSocket, compared as browsers
// send them (RFC 6454 serialisation: scheme://host[:port]).
#include <bareasio/websocket/origin_policy.hpp>

#include "../support/doctest.hpp"

#include <string_view>

using bareasio::origin_policy;

namespace {
bool allows(const origin_policy& p, std::string_view origin, std::string_view host) {
    return p.allows(&origin, host);
}
} // namespace

TEST_CASE("origin_policy: unset, every origin and none are allowed") {
    const origin_policy any;
    CHECK(allows(any, "https://evil.example", "example.com"));
    CHECK(any.allows(nullptr, "example.com"));
}

TEST_CASE("origin_policy: same_origin compares host and port, the port a scheme implies") {
    origin_policy p;
    p.same_origin = true;
    CHECK(allows(p, "https://example.com", "example.com"));
    CHECK(allows(p, "https://example.com", "example.com:443"));
    CHECK(allows(p, "https://example.com:443", "EXAMPLE.com"));
    CHECK(allows(p, "http://localhost:9009", "localhost:9009"));
    CHECK(allows(p, "http://[::1]:9009", "[::1]:9009"));
    CHECK(allows(p, "http://[::1]", "[::1]"));
    CHECK_FALSE(allows(p, "http://localhost:9009", "localhost:9010"));
    CHECK_FALSE(allows(p, "https://example.com", "example.com:80"));
    CHECK_FALSE(allows(p, "https://example.com.evil", "example.com"));
    CHECK_FALSE(allows(p, "https://evil.example", "example.com"));
    CHECK_FALSE(allows(p, "null", "example.com"));
    CHECK_FALSE(allows(p, "file://", "example.com"));
    CHECK_FALSE(allows(p, "https://example.com:x", "example.com"));
    CHECK_FALSE(allows(p, "https://example.com", "")); // no Host: nothing to compare with
    CHECK(p.allows(nullptr, "example.com"));           // not a browser
    p.allow_missing = false;
    CHECK_FALSE(p.allows(nullptr, "example.com"));
}

TEST_CASE("origin_policy: listed origins match as written, without case") {
    origin_policy p;
    p.allowed = {"https://app.example.com", "http://localhost:8080"};
    CHECK(allows(p, "https://APP.example.com", "api.example.com"));
    CHECK(allows(p, "http://localhost:8080", "api.example.com"));
    CHECK_FALSE(allows(p, "http://localhost", "api.example.com"));
    CHECK_FALSE(allows(p, "https://app.example.com:8443", "api.example.com"));
    CHECK_FALSE(allows(p, "http://api.example.com", "api.example.com")); // same_origin not set
}
