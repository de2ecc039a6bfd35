// redis::endpoint: the redis:// URLs every Redis client accepts, and clear
// errors for the ones it does not.
#include <bareasio/redis/endpoint.hpp>

#include "../support/doctest.hpp"

#include <stdexcept>

using bareasio::redis::endpoint;

TEST_CASE("a bare host gets port 6379 and database 0") {
    auto e = endpoint::parse("redis://localhost");
    CHECK(e.host == "localhost");
    CHECK(e.port == 6379);
    CHECK(e.db == 0);
    CHECK(e.password.empty());
    CHECK(e.address() == "localhost:6379");
}

TEST_CASE("port, database, password and user name") {
    auto e = endpoint::parse("redis://:s%40cret@10.0.0.5:6380/2");
    CHECK(e.host == "10.0.0.5");
    CHECK(e.port == 6380);
    CHECK(e.db == 2);
    CHECK(e.username.empty());
    CHECK(e.password == "s@cret");
    CHECK(e.address() == "10.0.0.5:6380"); // never the password

    auto u = endpoint::parse("redis://app:pw@db.internal:7000/");
    CHECK(u.username == "app");
    CHECK(u.password == "pw");
    CHECK(u.db == 0);

    CHECK(endpoint::parse("redis://pw@h").password == "pw");
}

TEST_CASE("an IPv6 host is written in brackets") {
    auto e = endpoint::parse("redis://[::1]:6390/1");
    CHECK(e.host == "::1");
    CHECK(e.port == 6390);
    CHECK(e.address() == "[::1]:6390");
}

TEST_CASE("malformed URLs are refused with a reason") {
    for (const char* url :
         {"http://h:1", "redis://", "redis://h:", "redis://h:0", "redis://h:65536", "redis://h:12x",
          "redis://h/x", "redis://[::1", "redis://[::1]x", "redis://%zz@h", "redis://%4@h"}) {
        CAPTURE(url);
        CHECK_THROWS_AS(endpoint::parse(url), std::invalid_argument);
    }
    CHECK_THROWS_WITH(endpoint::parse("redis://h:99999"), doctest::Contains("port"));
}
