// services: background services and their failure policies.
#include <bareasio/app/services.hpp>

#include <bareasio/bareasio.hpp>
#include <bareasio/testing.hpp>

#include "../support/doctest.hpp"

#include <stdexcept>
#include <string>
#include <vector>

using namespace bareasio;
using namespace std::chrono_literals;
using asio::awaitable;

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
