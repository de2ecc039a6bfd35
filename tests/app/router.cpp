// Routing: bareASGI's path syntax, precedence, conversions, 404/405/HEAD.
#include <bareasio/app/router.hpp>

#include "../support/doctest.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

using namespace bareasio;

namespace {
http_handler named(std::string name) {
    return [name](request&) -> asio::awaitable<response> {
        co_return response{200, {{"x-route", name}}};
    };
}

std::string route_of(const router& r, std::string_view method, std::string_view path,
                     route_matches& m) {
    auto result = r.match(method, path, m);
    if (!result.handler) return std::to_string(result.status);
    request req;
    asio::io_context ioc;
    std::string name;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            auto res = co_await (*result.handler)(req);
            name = std::string(*res.headers.get("x-route"));
        },
        asio::detached);
    ioc.run();
    return name;
}
} // namespace

TEST_CASE("router: literal, typed parameters and path, with precedence") {
    router r;
    r.add({"GET"}, "/", named("root"));
    r.add({"GET"}, "/users/me", named("me"));
    r.add({"GET"}, "/users/{id:int}", named("by-id"));
    r.add({"GET"}, "/users/{name}", named("by-name"));
    r.add({"GET"}, "/price/{v:float}", named("price"));
    r.add({"GET"}, "/files/{rest:path}", named("files"));
    r.add({"GET", "POST"}, "/both", named("both"));
    route_matches m;
    CHECK(route_of(r, "GET", "/", m) == "root");
    CHECK(route_of(r, "GET", "/users/me", m) == "me");
    CHECK(route_of(r, "GET", "/users/42", m) == "by-id");
    CHECK(m.get<int>("id") == 42);
    CHECK(route_of(r, "GET", "/users/-7", m) == "by-id");
    CHECK(m.get<long>("id") == -7);
    CHECK(route_of(r, "GET", "/users/alice", m) == "by-name");
    CHECK(m.get<std::string>("name") == "alice");
    CHECK(route_of(r, "GET", "/price/2.5", m) == "price");
    CHECK(m.get<double>("v") == doctest::Approx(2.5));
    CHECK(route_of(r, "GET", "/files/a/b/c.txt", m) == "files");
    CHECK(m.get<std::string>("rest") == "a/b/c.txt");
    CHECK(route_of(r, "POST", "/both", m) == "both");
}

TEST_CASE("router: a failed conversion does not match: 404") {
    router r;
    r.add({"GET"}, "/items/{id:int}", named("item"));
    r.add({"GET"}, "/v/{x:float}", named("v"));
    route_matches m;
    CHECK(route_of(r, "GET", "/items/abc", m) == "404");
    CHECK(route_of(r, "GET", "/items/12x", m) == "404");
    CHECK(route_of(r, "GET", "/v/nan-ish", m) == "404");
    CHECK(route_of(r, "GET", "/items", m) == "404");
    CHECK(route_of(r, "GET", "/items/1/extra", m) == "404");
    CHECK(m.empty()); // nothing left behind from the failed attempts
}

TEST_CASE("router: 405 names the allowed methods; HEAD is served by GET") {
    router r;
    r.add({"GET"}, "/page", named("page"));
    r.add({"POST", "PUT"}, "/form", named("form"));
    route_matches m;
    auto result = r.match("DELETE", "/page", m);
    CHECK(result.status == 405);
    CHECK(result.allow == "GET, HEAD");
    result = r.match("GET", "/form", m);
    CHECK(result.status == 405);
    CHECK(result.allow == "POST, PUT");
    CHECK(route_of(r, "HEAD", "/page", m) == "page");
}

TEST_CASE("router: a method on a less specific route still matches") {
    router r;
    r.add({"GET"}, "/users/me", named("me"));
    r.add({"POST"}, "/users/{name}", named("post-user"));
    route_matches m;
    CHECK(route_of(r, "POST", "/users/me", m) == "post-user");
    CHECK(m.get<std::string>("name") == "me");
}

TEST_CASE("router: malformed templates and duplicates are refused with a clear message") {
    router r;
    CHECK_THROWS_WITH_AS(r.add({"GET"}, "/x/{id:uuid}", named("a")),
                         doctest::Contains("unknown parameter type 'uuid'"), std::invalid_argument);
    CHECK_THROWS_AS(r.add({"GET"}, "/x/{rest:path}/more", named("a")), std::invalid_argument);
    CHECK_THROWS_AS(r.add({"GET"}, "no-slash", named("a")), std::invalid_argument);
    CHECK_THROWS_AS(r.add({"GET"}, "/x/{open", named("a")), std::invalid_argument);
    r.add({"GET"}, "/dup", named("a"));
    CHECK_THROWS_WITH_AS(r.add({"GET"}, "/dup", named("b")), doctest::Contains("registered twice"),
                         std::invalid_argument);
}

TEST_CASE("route_matches: wrong type or name is a clear error") {
    route_matches m;
    m.add("id", std::int64_t{5});
    CHECK_THROWS_AS(m.get<std::string>("id"), std::invalid_argument);
    CHECK_THROWS_AS(m.get<int>("missing"), std::out_of_range);
}
