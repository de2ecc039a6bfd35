// redis::connection against a real redis-server started by the test:
// pipelined commands answered in order, error replies, AUTH, a subscriber's
// pushed messages, a connect timeout, and Redis going away.
#include <bareasio/redis/connection.hpp>

#include "../support/doctest.hpp"
#include "../support/redis_server.hpp"
#include "../support/run_coroutine.hpp"

#include <asio/io_context.hpp>

#include <chrono>
#include <string>
#include <system_error>

using namespace bareasio;
using namespace std::chrono_literals;

TEST_CASE("pipelined commands are answered in order, in one write") {
    test::redis_server redis;
    asio::io_context io;
    test::run_coroutine(io, [&]() -> asio::awaitable<void> {
        redis::connection c(io.get_executor());
        co_await c.connect(redis::endpoint::parse(redis.url()), 5s);
        c.queue("SET", "k", "a value with\r\nCRLF");
        c.queue("GET", "k");
        c.queue("INCR", "n");
        c.queue("GET", "missing");
        c.queue("RPUSH", "l", "x", "y");
        c.queue("LRANGE", "l", "0", "-1");
        co_await c.flush();
        CHECK((co_await c.read()).text() == "OK");
        CHECK((co_await c.read()).text() == "a value with\r\nCRLF");
        CHECK((co_await c.read()).integer() == 1);
        CHECK((co_await c.read()).is_nil());
        CHECK((co_await c.read()).integer() == 2);
        auto list = co_await c.read();
        REQUIRE(list.size() == 2);
        CHECK(list[0].text() == "x");
        CHECK(list[1].text() == "y");
    });
}

TEST_CASE("an error reply is a reply to read(), and an exception from command()") {
    test::redis_server redis;
    asio::io_context io;
    test::run_coroutine(io, [&]() -> asio::awaitable<void> {
        redis::connection c(io.get_executor());
        co_await c.connect(redis::endpoint::parse(redis.url()), 5s);
        c.queue("NOSUCHCOMMAND");
        co_await c.flush();
        auto r = co_await c.read();
        CHECK(r.is_error());
        CHECK(r.text().substr(0, 3) == "ERR");
        CHECK_THROWS_AS(co_await c.command("INCR"), redis::error);
        CHECK((co_await c.command("PING")).text() == "PONG"); // still usable
    });
}

TEST_CASE("a password in the URL is sent with AUTH; a wrong one fails connect()") {
    test::redis_server redis;
    asio::io_context io;
    test::run_coroutine(io, [&]() -> asio::awaitable<void> {
        redis::connection admin(io.get_executor());
        co_await admin.connect(redis::endpoint::parse(redis.url()), 5s);
        co_await admin.command("CONFIG", "SET", "requirepass", "pw");
        auto where =
            redis::endpoint::parse("redis://:pw@127.0.0.1:" + std::to_string(redis.port()) + "/3");
        redis::connection c(io.get_executor());
        co_await c.connect(where, 5s);
        co_await c.command("SET", "in3", "yes");
        auto wrong = where;
        wrong.password = "nope";
        redis::connection d(io.get_executor());
        CHECK_THROWS_AS(co_await d.connect(wrong, 5s), redis::error);
    });
}

TEST_CASE("a subscriber reads what is published") {
    test::redis_server redis;
    asio::io_context io;
    test::run_coroutine(io, [&]() -> asio::awaitable<void> {
        auto where = redis::endpoint::parse(redis.url());
        redis::connection sub(io.get_executor()), pub(io.get_executor());
        co_await sub.connect(where, 5s);
        co_await pub.connect(where, 5s);
        sub.queue("SUBSCRIBE", "ch");
        co_await sub.flush();
        auto confirmed = co_await sub.read();
        REQUIRE(confirmed.size() == 3);
        CHECK(confirmed[0].text() == "subscribe");
        CHECK((co_await pub.command("PUBLISH", "ch", "hello")).integer() == 1);
        auto m = co_await sub.read();
        REQUIRE(m.size() == 3);
        CHECK(m[0].text() == "message");
        CHECK(m[1].text() == "ch");
        CHECK(m[2].text() == "hello");
    });
}

TEST_CASE("Redis going away ends a read with an error") {
    test::redis_server redis;
    asio::io_context io;
    test::run_coroutine(io, [&]() -> asio::awaitable<void> {
        redis::connection c(io.get_executor());
        co_await c.connect(redis::endpoint::parse(redis.url()), 5s);
        redis.stop();
        CHECK_THROWS_AS(co_await c.command("PING"), std::system_error);
    });
}

TEST_CASE("nothing listening: connect() fails") {
    std::uint16_t port;
    {
        test::redis_server redis;
        port = redis.port();
    }
    asio::io_context io;
    test::run_coroutine(io, [&]() -> asio::awaitable<void> {
        redis::connection c(io.get_executor());
        auto where = redis::endpoint::parse("redis://127.0.0.1:" + std::to_string(port));
        CHECK_THROWS_AS(co_await c.connect(where, 2s), std::system_error);
    });
}
