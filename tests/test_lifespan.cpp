// Lifespan, services and the in-process test client, without sockets:
// startup rollback, shutdown failures, the per-service failure policies.
#include <bareasio/bareasio.hpp>
#include <bareasio/testing.hpp>

#include "support/doctest.hpp"

#include <stdexcept>
#include <string>
#include <vector>

using namespace bareasio;
using namespace std::chrono_literals;
using asio::awaitable;

namespace {

lifespan_handler record(std::vector<std::string>& log, std::string what) {
    return [&log, what](lifespan_context&) -> awaitable<void> {
        log.push_back(what);
        co_return;
    };
}

// A service that runs until asked to stop, and says so.
auto until_stopped(std::vector<std::string>& log) {
    return [&log](stop_token stop) -> awaitable<void> {
        log.push_back("service running");
        co_await stop.wait();
        log.push_back("service stopped");
    };
}

} // namespace

TEST_CASE("lifespan: a failing startup undoes what ran before it, last first, and joins services") {
    std::vector<std::string> log;
    application app;
    app.lifespan.add("database", record(log, "open db"), record(log, "close db"));
    app.lifespan.on_startup(
        [&](lifespan_context& ctx) -> awaitable<void> {
            ctx.services.spawn("ticker", until_stopped(log));
            co_return;
        },
        "start ticker");
    app.lifespan.on_shutdown(record(log, "flush metrics"), "flush metrics");
    app.lifespan.add(
        "cache",
        [](lifespan_context&) -> awaitable<void> {
            throw std::runtime_error("cache unreachable");
            co_return;
        },
        record(log, "close cache"));
    app.lifespan.on_shutdown(record(log, "late shutdown"), "late shutdown");

    bool served = false;
    std::string message;
    try {
        testing::run(app, [&](testing::client&) -> awaitable<void> {
            served = true;
            co_return;
        });
    } catch (const startup_error& e) {
        message = e.what();
    }
    CHECK_FALSE(served);
    CHECK(message == "cache failed: cache unreachable");
    // Registered before the failing stage: undone, last first. The failing
    // stage's own undo and everything after it: not run.
    CHECK(log == std::vector<std::string>{"open db", "service running", "flush metrics", "close db",
                                          "service stopped"});
}

TEST_CASE(
    "lifespan: a throwing shutdown handler is logged, the others still run, the end is not clean") {
    std::vector<std::string> log;
    application app;
    app.lifespan.on_shutdown(record(log, "first registered"));
    app.lifespan.on_shutdown(
        [](lifespan_context&) -> awaitable<void> {
            throw std::runtime_error("disk full");
            co_return;
        },
        "write report");
    app.lifespan.on_shutdown(record(log, "last registered"));
    CHECK_THROWS_WITH_AS(testing::run(app, [](testing::client&) -> awaitable<void> { co_return; }),
                         "the lifespan did not end cleanly (see the log)", std::runtime_error);
    CHECK(log == std::vector<std::string>{"last registered", "first registered"});
}

TEST_CASE("services: restart policy runs a failing service again until it settles") {
    int runs = 0;
    bool settled = false;
    application app;
    app.lifespan.on_startup([&](lifespan_context& ctx) -> awaitable<void> {
        ctx.services.spawn("flaky",
                           [&](stop_token stop) -> awaitable<void> {
                               if (++runs < 3) throw std::runtime_error("not yet");
                               settled = true;
                               co_await stop.wait();
                           },
                           {.on_failure = service_failure::restart, .restart_delay = 1ms});
        co_return;
    });
    testing::run(app, [&](testing::client&) -> awaitable<void> {
        asio::steady_timer t(co_await asio::this_coro::executor);
        for (int i = 0; i < 1000 && !settled; ++i) {
            t.expires_after(1ms);
            co_await t.async_wait(asio::use_awaitable);
        }
    }); // leaving is clean: restarted failures are not the group's failures
    CHECK(runs == 3);
    CHECK(settled);
}

TEST_CASE("services: a restarting service stops waiting for its next run when asked to stop") {
    int runs = 0;
    application app;
    app.lifespan.on_startup([&](lifespan_context& ctx) -> awaitable<void> {
        ctx.services.spawn("always failing",
                           [&](stop_token) -> awaitable<void> {
                               ++runs;
                               throw std::runtime_error("broken");
                               co_return;
                           },
                           {.on_failure = service_failure::restart, .restart_delay = 1h});
        co_return;
    });
    testing::run(app, [](testing::client&) -> awaitable<void> { co_return; });
    CHECK(runs == 1); // and run() returned at once, not after an hour
}

TEST_CASE("services: ignore policy logs the failure and lets the service end") {
    int runs = 0;
    application app;
    app.lifespan.on_startup([&](lifespan_context& ctx) -> awaitable<void> {
        ctx.services.spawn("best effort",
                           [&](stop_token) -> awaitable<void> {
                               ++runs;
                               throw std::runtime_error("no network");
                               co_return;
                           },
                           {.on_failure = service_failure::ignore});
        co_return;
    });
    bool stop_requested = true;
    testing::run(app, [&](testing::client& c) -> awaitable<void> {
        while (c.services().running() != 0)
            co_await asio::post(asio::use_awaitable);
        stop_requested = c.stop_requested();
    });
    CHECK(runs == 1);
    CHECK_FALSE(stop_requested);
}

TEST_CASE("services: the default policy stops the server and makes the end unclean") {
    application app;
    app.lifespan.on_startup([](lifespan_context& ctx) -> awaitable<void> {
        ctx.services.spawn("essential", [](stop_token) -> awaitable<void> {
            throw std::runtime_error("lost the queue");
            co_return;
        });
        co_return;
    });
    bool stop_requested = false;
    CHECK_THROWS_AS(testing::run(app,
                                 [&](testing::client& c) -> awaitable<void> {
                                     while (c.services().running() != 0)
                                         co_await asio::post(asio::use_awaitable);
                                     stop_requested = c.stop_requested();
                                 }),
                    std::runtime_error);
    CHECK(stop_requested);

    // The real server: the failure stops it, and the exit code says so.
    app_server server(app, {.host = "127.0.0.1", .port = 0});
    CHECK(server.run() == 1);
}

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

TEST_CASE("with_timeout: a handler past its deadline is cancelled, then the client gets 504") {
    bool cancelled = false, finished_before_answer = false;
    event never;
    application app;
    app.http_router.add(
        {"GET"}, "/stuck",
        with_timeout(std::chrono::milliseconds(20), [&](request&) -> awaitable<response> {
            try {
                co_await never.wait();
            } catch (const std::system_error& e) {
                cancelled = e.code() == asio::error::operation_aborted;
                finished_before_answer = true;
                throw;
            }
            co_return 200;
        }));
    app.http_router.add({"GET"}, "/quick",
                        with_timeout(std::chrono::hours(1), [](request&) -> awaitable<response> {
                            co_return response{200, {}, text_writer("fine")};
                        }));
    app.http_router.add({"GET"}, "/busy",
                        with_timeout(
                            std::chrono::milliseconds(20),
                            [&](request&) -> awaitable<response> {
                                co_await never.wait();
                                co_return 200;
                            },
                            503));
    testing::run(app, [&](testing::client& c) -> awaitable<void> {
        auto r = co_await c.get("/stuck");
        CHECK(r.status == 504);
        CHECK(cancelled);
        CHECK(finished_before_answer);
        CHECK((co_await c.get("/quick")).body == "fine");
        CHECK((co_await c.get("/busy")).status == 503);
    });
}

TEST_CASE("middleware: in and out in order, short-circuit, request changes and context reach the "
          "handler") {
    std::vector<std::string> trace;
    application app;
    auto tracer = [&](std::string name) -> middleware {
        return [&trace, name](request& req, const http_handler& next) -> awaitable<response> {
            trace.push_back(name + " in");
            response res = co_await next(req);
            trace.push_back(name + " out");
            res.headers.add("x-through", name);
            co_return res;
        };
    };
    app.middlewares.push_back(tracer("outer"));
    app.middlewares.push_back([](request& req, const http_handler& next) -> awaitable<response> {
        if (req.headers().get("authorization") != "let me in") co_return 401; // short-circuit
        req.context().set("user", std::string("ann"));
        co_return co_await next(req);
    });
    app.http_router.add(
        {"GET"}, "/me",
        with_middleware({tracer("route")}, [&](request& req) -> awaitable<response> {
            trace.push_back("handler");
            auto* user = req.context().get<std::string>("user");
            co_return response{200, {}, text_writer(user ? *user : "nobody")};
        }));
    testing::run(app, [&](testing::client& c) -> awaitable<void> {
        auto denied = co_await c.get("/me");
        CHECK(denied.status == 401);
        const std::vector<std::string> short_circuit{"outer in", "outer out"};
        CHECK(trace == short_circuit);
        trace.clear();
        header_list auth;
        auth.add("authorization", "let me in");
        auto r = co_await c.get("/me", auth);
        CHECK(r.status == 200);
        CHECK(r.body == "ann");
        const std::vector<std::string> expected{"outer in", "route in", "handler", "route out",
                                                "outer out"};
        CHECK(trace == expected);
        std::vector<std::string> through;
        for (const auto& f : r.headers)
            if (iequals(f.name, "x-through")) through.push_back(f.value);
        const std::vector<std::string> order{"route", "outer"};
        CHECK(through == order);
    });
}
