// testing: the in-process client, inside the application's lifespan.
#include <bareasio/testing.hpp>

#include <bareasio/bareasio.hpp>

#include "../support/doctest.hpp"

#include <stdexcept>
#include <string>
#include <vector>

using namespace bareasio;
using namespace std::chrono_literals;
using asio::awaitable;

TEST_CASE("testing client: requests go through the router, with the info and the lifespan") {
    struct counter {
        int started = 0;
        int hits = 0;
    };
    application app{counter{}};
    app.lifespan.on_startup([](lifespan_context& ctx) -> awaitable<void> {
        ++ctx.info<counter>().started;
        co_return;
    });
    app.http_router.add({"GET"}, "/hits", [](request& req) -> awaitable<response> {
        auto& c = req.info<counter>();
        co_return response{
            200, {{"x-started", std::to_string(c.started)}}, text_writer(std::to_string(++c.hits))};
    });
    app.http_router.add({"POST"}, "/echo/{name}", [](request& req) -> awaitable<response> {
        std::string body = co_await text_reader(req);
        co_return response{
            200, {}, text_writer(req.matches().get<std::string>("name") + ":" + body)};
    });
    app.http_router.add({"GET"}, "/teapot", [](request&) -> awaitable<response> {
        throw http_error(418, "short and stout");
        co_return 200;
    });
    app.http_router.add({"GET"}, "/broken", [](request&) -> awaitable<response> {
        throw std::logic_error("secret detail");
        co_return 200;
    });
    app.http_router.add({"GET"}, "/stream", [](request&) -> awaitable<response> {
        co_return response{200,
                           {},
                           body_writer::from_stream(
                               [](body_sink& out) -> awaitable<void> {
                                   co_await out.write("a");
                                   co_await out.write("b");
                               },
                               "text/plain")};
    });
    testing::run(app, [](testing::client& c) -> awaitable<void> {
        auto r = co_await c.get("/hits");
        CHECK(r.status == 200);
        CHECK(r.body == "1");
        CHECK(r.header("x-started") == "1");
        CHECK((co_await c.get("/hits")).body == "2");
        CHECK((co_await c.post("/echo/ann", "hello")).body == "ann:hello");
        auto head = co_await c.request("HEAD", "/hits");
        CHECK(head.status == 200);
        CHECK(head.body.empty());
        CHECK((co_await c.get("/nowhere")).status == 404);
        CHECK((co_await c.post("/hits", "")).status == 405);
        auto teapot = co_await c.get("/teapot");
        CHECK(teapot.status == 418);
        CHECK(teapot.body == "short and stout\n");
        auto broken = co_await c.get("/broken");
        CHECK(broken.status == 500);
        CHECK(broken.body.find("secret") == std::string::npos);
        CHECK((co_await c.get("/stream")).body == "ab");
    });
}
