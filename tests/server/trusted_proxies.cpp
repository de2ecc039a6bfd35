// trusted_proxies: who the client is behind proxies we trust.
#include <bareasio/server/trusted_proxies.hpp>

#include "../support/doctest.hpp"

using namespace bareasio;

TEST_CASE("trusted_proxies: addresses and networks; a bad entry is refused") {
    trusted_proxies proxies({"127.0.0.1", "10.0.0.0/8", "2001:db8::/32"});
    CHECK(proxies.contains("127.0.0.1"));
    CHECK(proxies.contains("10.200.3.4"));
    CHECK(proxies.contains("::ffff:10.1.2.3")); // v4-mapped, as a dual-stack socket reports it
    CHECK(proxies.contains("[2001:db8::7]:443"));
    CHECK_FALSE(proxies.contains("127.0.0.2"));
    CHECK_FALSE(proxies.contains("11.0.0.1"));
    CHECK_FALSE(proxies.contains("unknown"));
    CHECK_THROWS_AS(trusted_proxies({"localhost"}), std::invalid_argument);
    CHECK_THROWS_AS(trusted_proxies({"10.0.0.0/33"}), std::invalid_argument);
}

TEST_CASE("trusted_proxies: the client is the first untrusted hop from the right") {
    trusted_proxies proxies({"127.0.0.1", "10.0.0.0/8"});
    header_list h;
    h.add("X-Forwarded-For", "198.51.100.9, 203.0.113.7, 10.0.0.2");
    h.add("X-Forwarded-Proto", "https");
    auto o = proxies.resolve("127.0.0.1", true, h);
    CHECK(o.address == "203.0.113.7"); // 198.51.100.9 is what 203.0.113.7 claimed: not believed
    CHECK(o.scheme == "https");

    o = proxies.resolve("192.0.2.1", false, h); // the peer is not a proxy: headers ignored
    CHECK(o.address == "192.0.2.1");
    CHECK(o.scheme == "http");

    header_list f; // one family only: the one the proxy sets
    f.add("X-Forwarded-For", "1.1.1.1");
    f.add("Forwarded", R"(for="[2001:db8:cafe::17]:4711";proto=https, for=10.0.0.5;proto=http)");
    o = proxies.resolve("127.0.0.1", true, f);
    CHECK(o.address == "1.1.1.1"); // a client's own Forwarded is not believed by default
    CHECK(o.scheme == "http");
    trusted_proxies rfc7239({"127.0.0.1", "10.0.0.0/8"}, true);
    o = rfc7239.resolve("127.0.0.1", true, f);
    CHECK(o.address == "2001:db8:cafe::17");
    CHECK(o.scheme == "https");

    header_list all_trusted;
    all_trusted.add("X-Forwarded-For", "10.0.0.1, 10.0.0.2");
    CHECK(proxies.resolve("127.0.0.1", true, all_trusted).address == "10.0.0.1");
}
