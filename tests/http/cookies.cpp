// cookies: request cookies read leniently, Set-Cookie written strictly.
#include <bareasio/http/cookies.hpp>

#include "../support/doctest.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace bareasio;

TEST_CASE("cookies: request cookies are parsed leniently, the first of a repeated name wins") {
    request_head head;
    head.method = "GET";
    head.target = "/";
    head.headers.add("Cookie", "a=1; b=\"two\";  c = 3 ;flag; =nameless; a=shadowed");
    head.headers.add("cookie", "d=4=four");
    request req(std::move(head));
    auto jar = request_cookies(req);
    CHECK(jar.get("a") == std::optional<std::string_view>("1"));
    CHECK(jar.get("b") == std::optional<std::string_view>("two"));
    CHECK(jar.get("c") == std::optional<std::string_view>("3"));
    CHECK(jar.get("d") == std::optional<std::string_view>("4=four"));
    CHECK_FALSE(jar.contains("flag"));
    CHECK_FALSE(jar.contains("A")); // names are case-sensitive
    CHECK(jar.size() == 5);

    request_head none;
    none.method = "GET";
    none.target = "/";
    CHECK(request_cookies(request(std::move(none))).size() == 0);
}

TEST_CASE(
    "cookies: Set-Cookie with every attribute; unsafe names, values and attributes are refused") {
    using namespace std::chrono_literals;
    cookie full{.name = "session",
                .value = "abc123",
                .max_age = 3600s,
                .expires = std::chrono::system_clock::from_time_t(784111777),
                .path = "/app",
                .domain = "example.com",
                .secure = true,
                .http_only = true,
                .same_site = same_site_policy::strict};
    CHECK(format_set_cookie(full) ==
          "session=abc123; Max-Age=3600; Expires=Sun, 06 Nov 1994 08:49:37 GMT; "
          "Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=Strict");
    CHECK(format_set_cookie({.name = "x", .value = "", .same_site = same_site_policy::lax}) ==
          "x=; SameSite=Lax");

    response res;
    set_cookie(res, {.name = "a", .value = "1"});
    set_cookie(res,
               {.name = "b", .value = "2", .secure = true, .same_site = same_site_policy::none});
    delete_cookie(res, "old");
    auto all = res.headers.get_all("set-cookie");
    REQUIRE(all.size() == 3);
    CHECK(all[0] == "a=1");
    CHECK(all[1] == "b=2; Secure; SameSite=None");
    CHECK(all[2] == "old=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/");

    CHECK_THROWS_AS(format_set_cookie({.name = "a", .value = "x\r\nSet-Cookie: admin=1"}),
                    std::invalid_argument);
    CHECK_THROWS_AS(format_set_cookie({.name = "a", .value = "x; Domain=evil"}),
                    std::invalid_argument);
    CHECK_THROWS_AS(format_set_cookie({.name = "a", .value = "caf\xc3\xa9"}),
                    std::invalid_argument);
    CHECK_THROWS_AS(format_set_cookie({.name = "a b", .value = "1"}), std::invalid_argument);
    CHECK_THROWS_AS(format_set_cookie({.name = "", .value = "1"}), std::invalid_argument);
    CHECK_THROWS_AS(format_set_cookie({.name = "a", .value = "1", .path = "/; HttpOnly"}),
                    std::invalid_argument);
    CHECK_THROWS_AS(format_set_cookie({.name = "a", .value = "1", .domain = "x\ny"}),
                    std::invalid_argument);
    try {
        format_set_cookie({.name = "a", .value = "1", .same_site = same_site_policy::none});
        FAIL("SameSite=None without Secure was accepted");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()) == "cookie 'a': SameSite=None requires Secure");
    }
}
