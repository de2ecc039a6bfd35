// cors: the CORS middleware, in-process (preflights, grants, refusals).
#include <bareasio/batteries/cors.hpp>

#include <bareasio/bareasio.hpp>
#include <bareasio/testing.hpp>

#include "../support/doctest.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>

using namespace bareasio;
using namespace std::chrono_literals;

namespace {

application& hello_app(application& app) {
    app.http_router.add({"GET", "POST", "DELETE"}, "/api", [](request&) -> awaitable<response> {
        co_return response{200, {{"x-total", "3"}}, text_writer("data")};
    });
    return app;
}

} // namespace

TEST_CASE("cors: an allowed origin's preflight is answered before routing; the actual request is "
          "marked") {
    application app;
    app.middlewares.push_back(cors({.allow_origins = {"https://app.example"},
                                    .allow_methods = {"GET", "POST"},
                                    .allow_headers = {"X-Token"},
                                    .expose_headers = {"X-Total"},
                                    .allow_credentials = true,
                                    .max_age = 120s}));
    testing::run(hello_app(app), [](testing::client& c) -> awaitable<void> {
        header_list asks{{"Origin", "https://app.example"},
                         {"Access-Control-Request-Method", "POST"},
                         {"Access-Control-Request-Headers", "x-token, Content-Type"}};
        auto pre = co_await c.request("OPTIONS", "/api", asks);
        CHECK(pre.status == 204);
        CHECK(pre.header("access-control-allow-origin") ==
              std::optional<std::string_view>("https://app.example"));
        CHECK(pre.header("access-control-allow-methods") ==
              std::optional<std::string_view>("GET, POST"));
        // Echoed as asked, the safelisted Content-Type included: a JSON POST's
        // preflight asks for it and fails in the browser unless it is granted.
        CHECK(pre.header("access-control-allow-headers") ==
              std::optional<std::string_view>("x-token, Content-Type"));
        CHECK(pre.header("access-control-allow-credentials") ==
              std::optional<std::string_view>("true"));
        CHECK(pre.header("access-control-max-age") == std::optional<std::string_view>("120"));
        CHECK(pre.header("vary") == std::optional<std::string_view>("Origin"));

        header_list h1{{"Origin", "https://app.example"}, {"Cookie", "s=1"}};
        auto res = co_await c.get("/api", h1);
        CHECK(res.status == 200);
        CHECK(res.body == "data");
        CHECK(res.header("access-control-allow-origin") ==
              std::optional<std::string_view>("https://app.example"));
        CHECK(res.header("access-control-allow-credentials") ==
              std::optional<std::string_view>("true"));
        CHECK(res.header("access-control-expose-headers") ==
              std::optional<std::string_view>("X-Total"));

        // Same-origin and non-browser requests carry no Origin: no grant, but
        // Vary: Origin, so a shared cache does not hand this copy to a CORS request.
        auto plain = co_await c.get("/api");
        CHECK(plain.body == "data");
        CHECK_FALSE(plain.header("access-control-allow-origin"));
        CHECK(plain.header("vary") == std::optional<std::string_view>("Origin"));
    });
}

TEST_CASE("cors: a disallowed origin, method or header is refused with 400 naming it; the actual "
          "request gets no grant") {
    application app;
    app.middlewares.push_back(
        cors({.allow_origins = {"https://app.example"}, .allow_methods = {"GET"}}));
    testing::run(hello_app(app), [](testing::client& c) -> awaitable<void> {
        header_list h2{{"Origin", "https://evil.example"},
                       {"Access-Control-Request-Method", "GET"}};
        auto other = co_await c.request("OPTIONS", "/api", h2);
        CHECK(other.status == 400);
        CHECK(other.body == "Disallowed CORS origin");
        CHECK_FALSE(other.header("access-control-allow-origin"));

        header_list h3{{"Origin", "https://app.example"},
                       {"Access-Control-Request-Method", "DELETE"},
                       {"Access-Control-Request-Headers", "X-Secret"}};
        auto method = co_await c.request("OPTIONS", "/api", h3);
        CHECK(method.status == 400);
        CHECK(method.body == "Disallowed CORS method, headers");

        // Safelisted headers need no permission.
        header_list h4{{"Origin", "https://app.example"},
                       {"Access-Control-Request-Method", "GET"},
                       {"Access-Control-Request-Headers", "content-type,accept"}};
        auto safe = co_await c.request("OPTIONS", "/api", h4);
        CHECK(safe.status == 204);

        // The handler still runs (CORS is enforced by the browser), but the
        // response grants nothing and says it varies by Origin.
        header_list h5{{"Origin", "https://evil.example"}};
        auto res = co_await c.get("/api", h5);
        CHECK(res.status == 200);
        CHECK_FALSE(res.header("access-control-allow-origin"));
        CHECK(res.header("vary") == std::optional<std::string_view>("Origin"));

        // A plain OPTIONS (no Access-Control-Request-Method) is not a preflight.
        header_list h6{{"Origin", "https://app.example"}};
        auto options = co_await c.request("OPTIONS", "/api", h6);
        CHECK(options.status == 405);
    });
}

TEST_CASE("cors: '*' allows any origin, method and header; with credentials the origin is echoed, "
          "never '*'") {
    application open_app;
    open_app.middlewares.push_back(
        cors({.allow_origins = {"*"}, .allow_methods = {"*"}, .allow_headers = {"*"}}));
    testing::run(hello_app(open_app), [](testing::client& c) -> awaitable<void> {
        header_list h7{{"Origin", "https://any.example"},
                       {"Access-Control-Request-Method", "DELETE"},
                       {"Access-Control-Request-Headers", "X-Anything"}};
        auto pre = co_await c.request("OPTIONS", "/api", h7);
        CHECK(pre.status == 204);
        CHECK(pre.header("access-control-allow-origin") == std::optional<std::string_view>("*"));
        CHECK(pre.header("access-control-allow-methods") ==
              std::optional<std::string_view>("DELETE"));
        CHECK(pre.header("access-control-allow-headers") ==
              std::optional<std::string_view>("X-Anything"));
        CHECK_FALSE(pre.header("vary"));
        header_list h8{{"Origin", "https://any.example"}};
        auto res = co_await c.get("/api", h8);
        CHECK(res.header("access-control-allow-origin") == std::optional<std::string_view>("*"));
    });

    CHECK_THROWS_AS(cors({.allow_origins = {"*"}, .allow_credentials = true}),
                    std::invalid_argument);

    application cred_app;
    cred_app.middlewares.push_back(
        cors({.allow_origins = {"https://any.example"}, .allow_credentials = true}));
    cred_app.http_router.add({"GET"}, "/varies", [](request&) -> awaitable<response> {
        co_return response{200, {{"vary", "Cookie"}, {"vary", "Authorization"}}, text_writer("v")};
    });
    testing::run(hello_app(cred_app), [](testing::client& c) -> awaitable<void> {
        header_list from_any{{"Origin", "https://any.example"}};
        auto res = co_await c.get("/api", from_any);
        CHECK(res.header("access-control-allow-origin") ==
              std::optional<std::string_view>("https://any.example"));
        CHECK(res.header("access-control-allow-credentials") ==
              std::optional<std::string_view>("true"));
        // Every Vary field the handler set survives; Origin is added once.
        auto varies = co_await c.get("/varies", from_any);
        const auto vary = varies.headers.get_all("vary");
        REQUIRE(vary.size() == 3);
        CHECK(vary[0] == "Cookie");
        CHECK(vary[1] == "Authorization");
        CHECK(vary[2] == "Origin");
    });
}
