// lifespan: startup handlers in order with rollback, shutdown in reverse.
#include <bareasio/app/lifespan.hpp>

#include <bareasio/bareasio.hpp>
#include <bareasio/testing.hpp>

#include "../support/doctest.hpp"

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
