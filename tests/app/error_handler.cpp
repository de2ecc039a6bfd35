// error_handler: one shape for an application's error responses, and
// middlewares that see handlers' errors as responses.
#include <bareasio/http/error_response.hpp>

#include <bareasio/bareasio.hpp>
#include <bareasio/batteries/cors.hpp>
#include <bareasio/http/json.hpp>
#include <bareasio/testing.hpp>

#include "../support/doctest.hpp"
#include "../support/memory_server.hpp"

#include <stdexcept>
#include <string>
#include <tuple>

using namespace bareasio;

namespace {

application& notes_api(application& app) {
    app.http_router.add({"POST"}, "/notes", [](request& req) -> awaitable<response> {
        nlohmann::json note = co_await json_reader(req, require_json);
        co_return response{201, {}, json_writer(note)};
    });
    app.http_router.add({"GET"}, "/teapot", [](request&) -> awaitable<response> {
        throw http_error(418, "short and stout", {{"x-pot", "1"}});
        co_return 200;
    });
    app.http_router.add({"GET"}, "/bug", [](request&) -> awaitable<response> {
        throw std::logic_error("secret detail");
        co_return 200;
    });
    return app;
}

response as_json(request&, const http_error& e) {
    return response{e.status(), e.headers(), json_writer({{"error", e.what()}})};
}

} // namespace

TEST_CASE("error_handler: handlers' errors, json_reader's and the router's share one shape") {
    application app;
    app.error_handler = as_json;
    testing::run(notes_api(app), [](testing::client& c) -> awaitable<void> {
        auto bad = co_await c.post("/notes", "{not json", {{"content-type", "application/json"}});
        CHECK(bad.status == 400);
        CHECK(bad.header("content-type") == "application/json");
        CHECK(bad.body == R"({"error":"request body is not valid JSON"})");
        auto form = co_await c.post("/notes", "{}", {{"content-type", "text/plain"}});
        CHECK(form.status == 415);
        CHECK(form.body == R"({"error":"request body must be application/json"})");
        auto pot = co_await c.get("/teapot");
        CHECK(pot.status == 418);
        CHECK(pot.header("x-pot") == "1");
        CHECK(pot.body == R"({"error":"short and stout"})");
        auto missing = co_await c.get("/nowhere");
        CHECK(missing.status == 404);
        CHECK(missing.body == R"({"error":"Not Found"})");
        auto wrong = co_await c.request("DELETE", "/notes");
        CHECK(wrong.status == 405);
        CHECK(wrong.header("allow") == "POST");
        CHECK(wrong.body == R"({"error":"Method Not Allowed"})");
        auto bug = co_await c.get("/bug"); // not an http_error: the server's plain 500
        CHECK(bug.status == 500);
        CHECK(bug.header("content-type") == "text/plain; charset=utf-8");
        CHECK((co_await c.post("/notes", R"({"a":1})", {{"content-type", "application/json"}}))
                  .status == 201);
    });
}

TEST_CASE("error_handler: middlewares see handlers' errors as responses (CORS headers on a 400)") {
    application app;
    app.middlewares.push_back(cors({.allow_origins = {"https://app.example"}}));
    testing::run(notes_api(app), [](testing::client& c) -> awaitable<void> {
        auto bad = co_await c.post(
            "/notes", "{not json",
            {{"origin", "https://app.example"}, {"content-type", "application/json"}});
        CHECK(bad.status == 400);
        CHECK(bad.header("access-control-allow-origin") == "https://app.example");
        CHECK(bad.body == "request body is not valid JSON\n"); // no error handler: text
    });
}

TEST_CASE("error_handler: what a middleware throws is shaped too; a global middleware runs "
          "before routing, a per-route one after") {
    auto require_key = [](request& req, const http_handler& next) -> awaitable<response> {
        if (req.headers().get("x-api-key") != "k") throw http_error(401, "API key required");
        co_return co_await next(req);
    };
    application global;
    global.error_handler = as_json;
    global.middlewares.push_back(require_key);
    application per_route;
    per_route.error_handler = as_json;
    per_route.http_router.add({"GET"}, "/admin",
                              with_middleware({require_key}, [](request&) -> awaitable<response> {
                                  co_return response{200, {}, text_writer("admin")};
                              }));
    global.http_router.add({"GET"}, "/admin", [](request&) -> awaitable<response> {
        co_return response{200, {}, text_writer("admin")};
    });
    testing::run(global, [](testing::client& c) -> awaitable<void> {
        auto denied = co_await c.get("/admin");
        CHECK(denied.status == 401);
        CHECK(denied.body == R"({"error":"API key required"})");
        CHECK((co_await c.get("/nowhere")).status == 401); // before routing
        CHECK((co_await c.get("/admin", {{"x-api-key", "k"}})).body == "admin");
    });
    testing::run(per_route, [](testing::client& c) -> awaitable<void> {
        CHECK((co_await c.get("/admin")).status == 401);
        CHECK((co_await c.get("/nowhere")).status == 404); // routing first
        CHECK((co_await c.request("POST", "/admin")).status == 405);
    });
}

TEST_CASE("error_handler: on the wire, the shaped error is what the client reads") {
    application app;
    app.error_handler = as_json;
    test::memory_server server(notes_api(app));
    auto client = server.connect();
    client.send("GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n");
    server.poll();
    CHECK(test::without_dates(client.received()) ==
          "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nDate: *\r\n"
          "Content-Length: 21\r\n\r\n{\"error\":\"Not Found\"}");
    CHECK_FALSE(client.peer_closed());
}

TEST_CASE("error_handler: structured detail (a 422's field errors) shaped by json_errors; a "
          "WebSocket's reject() is shaped as a thrown http_error is") {
    application app;
    app.error_handler = json_errors;
    app.http_router.add({"POST"}, "/notes", [](request&) -> awaitable<response> {
        throw http_error(422, "invalid fields")
            .with_detail(nlohmann::json{{{"field", "title"}, {"error", "required"}}});
        co_return 201;
    });
    app.http_router.add({"GET"}, "/plain", [](request&) -> awaitable<response> {
        throw http_error(409, "taken").with_detail(std::string("not JSON: not shown"));
        co_return 200;
    });
    app.ws_router.add("/rooms/{name}", [](websocket& ws) -> awaitable<void> {
        if (ws.req().matches().get<std::string>("name") == "nowhere") {
            ws.reject(404, "no such room");
            co_return;
        }
        throw http_error(401, "log in first");
    });
    testing::run(app, [](testing::client& c) -> awaitable<void> {
        const nlohmann::json empty_title = {{"title", ""}};
        auto r = co_await c.post_json("/notes", empty_title);
        CHECK(r.status == 422);
        CHECK(r.json() ==
              nlohmann::json{{"error", "invalid fields"},
                             {"detail", {{{"field", "title"}, {"error", "required"}}}}});
        CHECK((co_await c.get("/plain")).body == R"({"error":"taken"})");
        for (const auto& [target, status, text] :
             {std::tuple{"/rooms/nowhere", 404, "no such room"},
              std::tuple{"/rooms/lobby", 401, "log in first"}}) {
            try {
                co_await c.websocket_connect(target);
                FAIL("accepted");
            } catch (const testing::websocket_denied& e) {
                CHECK(e.response.status == status);
                CHECK(e.response.header("content-type") == "application/json");
                CHECK(e.response.json() == nlohmann::json{{"error", text}});
            }
        }
    });
}

TEST_CASE("error_handler: an http_error's detail is typed, shared by copies, absent by default") {
    const http_error plain(400, "bad");
    CHECK_FALSE(plain.has_detail());
    CHECK(plain.detail<int>() == nullptr);
    const http_error with = http_error(400, "bad").with_detail(42);
    const http_error copy = with;
    REQUIRE(copy.detail<int>() != nullptr);
    CHECK(*copy.detail<int>() == 42);
    CHECK(copy.detail<std::string>() == nullptr); // another type
}
