// redis::client against a real redis-server started by the test: one
// connection shared by coroutines on two loops, pipelined and answered in
// order; each resumed on its own loop; error replies; a refusal at once;
// Redis going away and coming back.
#include <bareasio/redis/client.hpp>

#include "../support/doctest.hpp"
#include "../support/eventually.hpp"
#include "../support/loop_thread.hpp"
#include "../support/redis_server.hpp"
#include "../support/run_coroutine.hpp"

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

using namespace bareasio;
using namespace std::chrono_literals;

namespace {

const redis::client_options quick{.connect_timeout = 3000ms,
                                  .reply_timeout = 2000ms,
                                  .reconnect_delay = 50ms,
                                  .max_reconnect_delay = 200ms};

using loop = test::loop_thread;

} // namespace

TEST_CASE("client: coroutines on two loops share one connection, each resumed on its own") {
    test::redis_server redis;
    loop a, b;
    redis::client db;
    a.run(
        [&]() -> asio::awaitable<void> { co_await db.connect(a.io.get_executor(), redis.url()); });
    const auto count_on = [&](loop& l) -> asio::awaitable<bool> {
        bool own_thread = true;
        for (int i = 0; i < 200; ++i) {
            co_await db.command("INCR", "n");
            own_thread = own_thread && l.thread.get_id() == std::this_thread::get_id();
        }
        co_return own_thread;
    };
    auto on_a = asio::co_spawn(a.io, count_on(a), asio::use_future);
    auto on_b = asio::co_spawn(b.io, count_on(b), asio::use_future);
    CHECK(on_a.get());
    CHECK(on_b.get());
    b.run([&]() -> asio::awaitable<void> {
        CHECK((co_await db.command("GET", "n")).text() == "400");
        CHECK((co_await db.command("SET", "k", std::string("bytes\r\n\0", 8))).text() == "OK");
        CHECK((co_await db.command("GET", "k")).text() == std::string("bytes\r\n\0", 8));
        CHECK_THROWS_WITH_AS(co_await db.command("INCR", "k"),
                             "ERR value is not an integer or out of range", redis::error);
        CHECK((co_await db.command("PING")).text() == "PONG"); // still usable
    });
    a.run([&]() -> asio::awaitable<void> { co_await db.close(); });
    CHECK_FALSE(db.connected());
}

TEST_CASE("client: Redis stopped: commands fail at once, saying so; it reconnects by itself") {
    test::redis_server redis;
    loop a;
    redis::client db;
    a.run([&]() -> asio::awaitable<void> {
        co_await db.connect(a.io.get_executor(), redis.url(), quick);
    });
    redis.stop();
    CHECK(test::eventually([&] { return !db.connected(); }));
    a.run([&]() -> asio::awaitable<void> {
        try {
            co_await db.command("PING");
            FAIL("a command succeeded with Redis stopped");
        } catch (const redis::error& e) {
            CHECK(std::string(e.what()).find("not connected to Redis at 127.0.0.1:") !=
                  std::string::npos);
        }
    });
    CHECK_FALSE(db.send("PUBLISH", "c", "x")); // not sent, and it says so
    redis.start();
    CHECK(test::eventually([&] { return db.connected(); }));
    CHECK(db.reconnects() == 1);
    a.run([&]() -> asio::awaitable<void> {
        CHECK((co_await db.command("PING")).text() == "PONG");
        co_await db.close();
    });
}

TEST_CASE("client: a Redis that needs a password refuses at once, with its answer") {
    test::redis_server redis({"--requirepass", "secret"});
    loop a;
    redis::client db, with_password;
    a.run([&]() -> asio::awaitable<void> {
        CHECK_THROWS_WITH_AS(co_await db.connect(a.io.get_executor(), redis.url(), quick),
                             doctest::Contains("NOAUTH"), std::runtime_error);
        co_await with_password.connect(a.io.get_executor(),
                                       "redis://:secret@127.0.0.1:" + std::to_string(redis.port()));
        CHECK((co_await with_password.command("PING")).text() == "PONG");
        co_await with_password.close();
    });
}

TEST_CASE("client: closed, it may outlive the loop it ran on (the application's state does)") {
    // Nothing of a loop (a socket, a timer, the strand) may stay in it: the
    // timers did, and destroying the client after its io_context read freed
    // memory (the chat example at exit, under ASan).
    test::redis_server redis;
    redis::client db;
    {
        asio::io_context io;
        test::run_coroutine(io, [&]() -> asio::awaitable<void> {
            co_await db.connect(io.get_executor(), redis.url(), quick);
            CHECK((co_await db.command("PING")).text() == "PONG");
            co_await db.close();
        });
    }
    CHECK_FALSE(db.connected());
}
