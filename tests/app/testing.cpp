// testing: the in-process client, inside the application's lifespan.
#include <bareasio/testing.hpp>

#include <bareasio/bareasio.hpp>
#include <bareasio/http/json.hpp>

#include "../support/apps.hpp"
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

TEST_CASE("testing client: the writer's Content-Type is there, as on the wire") {
    application app;
    app.http_router.add({"GET"}, "/text", [](request&) -> awaitable<response> {
        co_return response{200, {}, text_writer("hi")};
    });
    app.http_router.add({"GET"}, "/json", [](request&) -> awaitable<response> {
        co_return response{200, {}, json_writer(nlohmann::json{{"a", 1}})};
    });
    app.http_router.add({"GET"}, "/own", [](request&) -> awaitable<response> {
        co_return response{200, {{"content-type", "text/csv"}}, text_writer("a,b")};
    });
    testing::run(app, [](testing::client& c) -> awaitable<void> {
        CHECK((co_await c.get("/text")).header("content-type") == "text/plain; charset=utf-8");
        CHECK((co_await c.get("/json")).header("content-type") == "application/json");
        auto own = co_await c.get("/own");
        CHECK(own.headers.get_all("content-type").size() == 1);
        CHECK(own.header("content-type") == "text/csv");
    });
}

// A stream as server-sent events are: a write, then a wait for a change.
struct ticker {
    event tick;
    bool writer_cancelled = false;
    bool writer_finished = false;
};

application ticking_app() {
    application app{ticker{}};
    app.http_router.add({"GET"}, "/ticks", [](request& req) -> awaitable<response> {
        auto& t = req.info<ticker>();
        auto stream = [&t](body_sink& out) -> awaitable<void> {
            try {
                for (int n = 0;; ++n) {
                    co_await out.write("tick " + std::to_string(n) + "\n");
                    co_await t.tick.wait();
                    t.tick.clear();
                }
            } catch (const std::system_error& e) {
                t.writer_cancelled = e.code() == asio::error::operation_aborted;
                throw;
            }
        };
        co_return response{200, {}, body_writer::from_stream(stream, "text/event-stream")};
    });
    app.http_router.add({"GET"}, "/three", [](request&) -> awaitable<response> {
        auto stream = [](body_sink& out) -> awaitable<void> {
            co_await out.write("one ");
            co_await out.write("");
            co_await out.write("two ");
            co_await out.write("three");
        };
        co_return response{200, {}, body_writer::from_stream(stream, "text/plain")};
    });
    app.http_router.add({"GET"}, "/fails", [](request&) -> awaitable<response> {
        auto stream = [](body_sink& out) -> awaitable<void> {
            co_await out.write("partial");
            throw std::runtime_error("the writer failed");
        };
        co_return response{200, {}, body_writer::from_stream(stream, "text/plain")};
    });
    return app;
}

TEST_CASE("testing client: a stream is read piece by piece and left while it waits") {
    application app = ticking_app();
    testing::run(app, [&app](testing::client& c) -> awaitable<void> {
        auto& t = app.info<ticker>();
        testing::streamed_response ticks = co_await c.open("GET", "/ticks");
        CHECK(ticks.status == 200);
        CHECK(ticks.header("content-type") == "text/event-stream");
        CHECK(co_await ticks.next() == "tick 0\n");
        t.tick.set();
        CHECK(co_await ticks.next() == "tick 1\n");
        CHECK_FALSE(t.writer_cancelled);
        co_await ticks.close(); // the writer waits on the event: its wait is cancelled
        CHECK(t.writer_cancelled);
        CHECK(co_await ticks.next() == std::nullopt);
    });
}

TEST_CASE("testing client: each write is one piece, the end is nullopt, a failure is rethrown") {
    application app = ticking_app();
    testing::run(app, [](testing::client& c) -> awaitable<void> {
        testing::streamed_response three = co_await c.open("GET", "/three");
        CHECK(co_await three.next() == "one ");
        CHECK(co_await three.next() == "two ");
        CHECK(co_await three.next() == "three");
        CHECK(co_await three.next() == std::nullopt);
        CHECK(co_await three.next() == std::nullopt);

        testing::streamed_response fails = co_await c.open("GET", "/fails");
        CHECK(co_await fails.next() == "partial");
        bool thrown = false;
        try {
            co_await fails.next();
        } catch (const std::runtime_error& e) {
            thrown = std::string(e.what()) == "the writer failed";
        }
        CHECK(thrown);

        testing::streamed_response head = co_await c.open("HEAD", "/three");
        CHECK(head.status == 200);
        CHECK(co_await head.next() == std::nullopt);
        CHECK((co_await c.get("/three")).body == "one two three");
    });
}

TEST_CASE("testing client: a stream dropped unread hangs up, and the test still ends") {
    application app = ticking_app();
    testing::run(app, [](testing::client& c) -> awaitable<void> {
        testing::streamed_response ticks = co_await c.open("GET", "/ticks");
        CHECK(co_await ticks.next() == "tick 0\n");
    });
    CHECK(app.info<ticker>().writer_cancelled);
}

TEST_CASE("testing client: drain() requests the requests' stopping() token, as SIGTERM does") {
    application app{std::in_place_type<notifier>};
    app.http_router.add({"GET"}, "/events", test::change_stream(app.info<notifier>()));
    testing::run(app, [&app](testing::client& c) -> awaitable<void> {
        testing::streamed_response events = co_await c.open("GET", "/events");
        CHECK(co_await events.next() == "data: x\n\n");
        app.info<notifier>().notify();
        CHECK(co_await events.next() == "data: x\n\n");
        c.drain();
        CHECK(co_await events.next() == std::nullopt); // ended by itself, not cut
    });
}
