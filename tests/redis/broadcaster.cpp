// redis::broadcaster against a real redis-server started by the test: a
// broadcast within a process before connect(); across two "instances"
// (each an event loop with its own broadcaster, as separate processes
// would have); own messages not doubled; a subscriber that falls behind
// told how many it lost; Redis restarted: resubscribed, the gap marked.
#include <bareasio/redis/broadcaster.hpp>

#include "../support/doctest.hpp"
#include "../support/eventually.hpp"
#include "../support/redis_server.hpp"
#include "../support/run_coroutine.hpp"
#include "../support/run_on.hpp"
#include "../support/stderr_capture.hpp"

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace bareasio;
using namespace std::chrono_literals;

namespace {

struct instance {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    redis::broadcaster rooms;
    std::thread thread{[this] { io.run(); }};

    explicit instance(redis::broadcaster_options o = {}) : rooms(o) {}
    template <class F>
    auto run(F f) {
        return asio::co_spawn(io, std::move(f), asio::use_future).get();
    }
    ~instance() {
        run([this]() -> asio::awaitable<void> { co_await rooms.close(); });
        work.reset();
        thread.join();
    }
    void connect(const std::string& url) {
        test::run_on(io.get_executor(), rooms.connect(io.get_executor(), url));
    }
    // The next message of `sub`, read on this instance's loop.
    std::future<std::optional<redis::broadcast_message>> next(redis::subscription& sub) {
        return asio::co_spawn(io, sub.next(), asio::use_future);
    }
};

std::optional<std::string> text(std::future<std::optional<redis::broadcast_message>>& f) {
    if (f.wait_for(10s) != std::future_status::ready) return std::string("(nothing within 10 s)");
    auto m = f.get();
    return m ? std::optional<std::string>(std::string(m->data())) : std::nullopt;
}

const redis::broadcaster_options quick{
    .connect_timeout = 3000ms, .reconnect_delay = 50ms, .max_reconnect_delay = 200ms};

} // namespace

TEST_CASE("broadcaster: before connect() a broadcast within the process, its payload shared") {
    instance a;
    auto one = a.rooms.subscribe("room"), two = a.rooms.subscribe("room");
    auto other = a.rooms.subscribe("elsewhere");
    auto f1 = a.next(one), f2 = a.next(two);
    a.rooms.publish("room", "hello");
    auto m1 = f1.get(), m2 = f2.get();
    REQUIRE(m1);
    REQUIRE(m2);
    CHECK(m1->data() == "hello");
    CHECK(m1->payload() == m2->payload()); // one copy for both
    auto pending = a.next(other);
    CHECK(pending.wait_for(50ms) == std::future_status::timeout); // not its channel
    other.cancel();
    CHECK_FALSE(pending.get()); // a cancelled subscription ends its next()
}

TEST_CASE("broadcaster: across instances through Redis; a process's own message comes once") {
    test::redis_server redis;
    instance a, b;
    a.connect(redis.url());
    b.connect(redis.url());
    CHECK(a.rooms.connected());
    auto on_a = a.rooms.subscribe("chat:lobby");
    auto on_b = b.rooms.subscribe("chat:lobby");
    // SUBSCRIBE is on its way: b publishes until a hears it through Redis.
    auto heard = a.next(on_a);
    int sent = 0;
    for (; sent < 100 && heard.wait_for(20ms) != std::future_status::ready; ++sent)
        b.rooms.publish("chat:lobby", "warm-up");
    REQUIRE(heard.wait_for(0s) == std::future_status::ready);
    CHECK(heard.get()->data() == "warm-up");
    // Both subscribed now. a says ten things; b hears them through Redis,
    // then answers. a hears its own ten once (at once, not again through
    // Redis), then b's answer, which Redis delivers after a's ten.
    const auto drain = [](instance& i, redis::subscription& sub, std::string_view until) {
        std::vector<std::string> got;
        for (;;) {
            auto f = i.next(sub);
            REQUIRE(f.wait_for(10s) == std::future_status::ready);
            got.emplace_back(f.get()->data());
            if (got.back() == until) return got;
        }
    };
    for (int i = 0; i < 10; ++i)
        a.rooms.publish("chat:lobby", "a" + std::to_string(i));
    auto on_b_got = drain(b, on_b, "a9");
    b.rooms.publish("chat:lobby", "b's answer");
    auto on_a_got = drain(a, on_a, "b's answer");
    std::erase(on_a_got, "warm-up");
    std::erase(on_b_got, "warm-up");
    const std::vector<std::string> ten = {"a0", "a1", "a2", "a3", "a4",
                                          "a5", "a6", "a7", "a8", "a9"};
    CHECK(on_b_got == ten);
    auto expected = ten;
    expected.emplace_back("b's answer");
    CHECK(on_a_got == expected);
}

TEST_CASE("broadcaster: a subscriber that falls behind loses the newest, and is told how many") {
    instance a({.subscriber_queue_bytes = 100});
    auto slow = a.rooms.subscribe("feed");
    for (int i = 0; i < 10; ++i)
        a.rooms.publish("feed", std::string(50, char('0' + i)));
    auto first = a.next(slow);
    CHECK(text(first) == std::string(50, '0'));
    auto second = a.next(slow);
    CHECK(text(second) == std::string(50, '1'));
    a.rooms.publish("feed", "caught up");
    auto third = a.next(slow);
    REQUIRE(third.wait_for(10s) == std::future_status::ready);
    const auto m = third.get();
    CHECK(m->data() == "caught up");
    CHECK(m->dropped() == 8);
}

TEST_CASE("broadcaster: Redis restarted: resubscribed by itself, the gap marked and logged") {
    test::stderr_capture log;
    test::redis_server redis;
    instance a(quick), b(quick);
    a.connect(redis.url());
    b.connect(redis.url());
    auto on_b = b.rooms.subscribe("news");
    auto heard = b.next(on_b);
    for (int i = 0; i < 100 && heard.wait_for(20ms) != std::future_status::ready; ++i)
        a.rooms.publish("news", "before");
    REQUIRE(heard.wait_for(0s) == std::future_status::ready);
    CHECK_FALSE(heard.get()->after_gap());
    for (;;) { // what else "before" left queued
        auto f = b.next(on_b);
        if (f.wait_for(100ms) != std::future_status::ready) {
            on_b.cancel();
            f.get();
            break;
        }
        f.get();
    }
    auto again = b.rooms.subscribe("news2");
    redis.stop();
    CHECK(test::eventually([&] { return !a.rooms.connected() && !b.rooms.connected(); }));
    a.rooms.publish("news2", "while down"); // reaches a's subscribers only: none
    redis.start();
    CHECK(test::eventually([&] { return a.rooms.connected() && b.rooms.connected(); }));
    auto after = b.next(again);
    for (int i = 0; i < 250 && after.wait_for(20ms) != std::future_status::ready; ++i)
        a.rooms.publish("news2", "after");
    REQUIRE(after.wait_for(0s) == std::future_status::ready);
    const auto m = after.get();
    CHECK(m->data() == "after");
    CHECK(m->after_gap());
    const std::string text = log.text();
    CHECK(text.find("connection lost") != std::string::npos);
    CHECK(text.find("reached this process's subscribers only") != std::string::npos);
    CHECK(text.find("reconnected after") != std::string::npos);
}

TEST_CASE("broadcaster: a Redis that needs a password refuses connect() at once") {
    test::redis_server redis({"--requirepass", "secret"});
    instance a;
    CHECK_THROWS_WITH_AS(a.connect(redis.url()), doctest::Contains("NOAUTH"), std::runtime_error);
    CHECK_FALSE(a.rooms.connected());
    a.connect("redis://:secret@127.0.0.1:" + std::to_string(redis.port()));
    CHECK(a.rooms.connected());
}

TEST_CASE("broadcaster: closed, it may outlive the loop it ran on (the application's state does)") {
    // Its PING timer stayed behind, and destroying the broadcaster after its
    // io_context read freed memory (the chat example at exit, under ASan).
    test::redis_server redis;
    redis::broadcaster rooms;
    {
        asio::io_context io;
        test::run_coroutine(io, [&]() -> asio::awaitable<void> {
            co_await rooms.connect(io.get_executor(), redis.url());
            auto sub = rooms.subscribe("outlive");
            rooms.publish("outlive", "hi");
            const auto m = co_await sub.next();
            CHECK((m && m->data() == "hi"));
            co_await rooms.close();
        });
    }
    CHECK_FALSE(rooms.connected());
}
