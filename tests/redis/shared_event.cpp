// redis::shared_event against a real redis-server started by the test. Each
// "instance" is an event loop on its own thread with its own shared_event on
// the same key, as separate processes would have: a set on one wakes waiters
// on another; Redis stopped, restarted empty, down at startup; bursts from
// several instances; a subscriber Redis cuts off at its output-buffer limit.
#include <bareasio/redis/shared_event.hpp>

#include "../support/doctest.hpp"
#include "../support/eventually.hpp"
#include "../support/redis_server.hpp"
#include "../support/run_coroutine.hpp"
#include "../support/run_on.hpp"
#include "../support/stderr_capture.hpp"
#include <bareasio/redis/connection.hpp>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace bareasio;
using namespace std::chrono_literals;

namespace {

// Fast retries so the tests spend little time in back-off.
const redis::shared_event_options quick{.connect_timeout = 3000ms,
                                        .reply_timeout = 2000ms,
                                        .ping_interval = 200ms,
                                        .reconnect_delay = 50ms,
                                        .max_reconnect_delay = 200ms};

struct instance {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    redis::shared_event ev;
    std::thread thread{[this] { io.run(); }};

    explicit instance(std::string key) : ev(std::move(key)) {}
    ~instance() {
        close();
        work.reset();
        thread.join();
    }

    void connect(const std::string& url, redis::shared_event_options options = quick) {
        test::run_on(io.get_executor(), ev.connect(io.get_executor(), url, options));
    }
    void close() { asio::co_spawn(io, ev.close(), asio::use_future).get(); }
    // A wait started on this instance's loop; ready when it completes.
    std::future<void> wait() { return asio::co_spawn(io, ev.wait(), asio::use_future); }
};

// The state Redis holds for `key`: "epoch version state" fields.
std::vector<std::string> stored(const test::redis_server& redis, const std::string& key) {
    asio::io_context io;
    std::vector<std::string> fields;
    test::run_coroutine(io, [&]() -> asio::awaitable<void> {
        redis::connection c(io.get_executor());
        co_await c.connect(redis::endpoint::parse(redis.url()), 2s);
        auto r = co_await c.command("HMGET", key, "epoch", "version", "state");
        for (std::size_t i = 0; i < r.size(); ++i)
            fields.emplace_back(r[i].text());
    });
    return fields;
}

} // namespace

TEST_CASE("before connect() it is a local event") {
    redis::shared_event ev("local");
    CHECK_FALSE(ev.is_set());
    CHECK_FALSE(ev.connected());
    ev.set();
    CHECK(ev.is_set());
    asio::io_context io;
    test::run_coroutine(io, [&]() -> asio::awaitable<void> {
        CHECK(co_await ev.wait_for(1ms)); // set: at once
        ev.clear();
        CHECK_FALSE(co_await ev.wait_for(1ms));
    });
}

TEST_CASE("a set on one instance wakes a waiter on another; a clear reaches it too") {
    test::redis_server redis;
    instance a("t:wake"), b("t:wake");
    a.connect(redis.url());
    b.connect(redis.url());
    CHECK(a.ev.connected());
    CHECK_FALSE(b.ev.is_set());
    auto woken = b.wait();
    a.ev.set();
    CHECK(a.ev.is_set()); // at once where it was set
    REQUIRE(woken.wait_for(10s) == std::future_status::ready);
    woken.get();
    CHECK(b.ev.is_set());
    b.ev.clear();
    CHECK(test::eventually([&] { return !a.ev.is_set(); }));
    auto fields = stored(redis, "t:wake");
    CHECK(fields[1] == "3"); // created, set, cleared
    CHECK(fields[2] == "0");
}

TEST_CASE("the first instance writes its state; later ones adopt Redis's") {
    test::redis_server redis;
    instance a("t:join"), b("t:join");
    a.ev.set(); // local before connecting
    a.connect(redis.url());
    CHECK(stored(redis, "t:join")[2] == "1");
    CHECK_FALSE(b.ev.is_set());
    b.connect(redis.url());
    CHECK(b.ev.is_set()); // Redis's state wins on joining
}

TEST_CASE("Redis down at startup: connect() fails within its timeout, naming the address") {
    std::uint16_t port;
    {
        test::redis_server redis;
        port = redis.port();
    }
    instance a("t:down");
    auto options = quick;
    options.connect_timeout = 500ms;
    const auto url = "redis://127.0.0.1:" + std::to_string(port);
    try {
        a.connect(url, options);
        FAIL("connect() succeeded with no Redis");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
    }
    CHECK_FALSE(a.ev.connected());
    a.ev.set(); // still a working local event
    CHECK(a.ev.is_set());
}

TEST_CASE("Redis stopped: both keep their state; a change made meanwhile reaches the other once it "
          "is back") {
    test::redis_server redis;
    instance a("t:outage"), b("t:outage");
    a.connect(redis.url());
    b.connect(redis.url());
    a.ev.set();
    REQUIRE(test::eventually([&] { return b.ev.is_set(); }));
    redis.stop();
    REQUIRE(test::eventually([&] { return !a.ev.connected() && !b.ev.connected(); }));
    CHECK(b.ev.is_set()); // serving from the mirror
    a.ev.clear();         // made while Redis is away
    CHECK_FALSE(a.ev.is_set());
    CHECK(b.ev.is_set());
    redis.start(); // back, and empty
    CHECK(test::eventually([&] { return a.ev.connected() && b.ev.connected(); }));
    CHECK(test::eventually([&] { return !b.ev.is_set() && !a.ev.is_set(); }));
    CHECK(a.ev.reconnects() >= 1);
    CHECK(stored(redis, "t:outage")[2] == "0");
}

TEST_CASE("Redis restarted empty: a new epoch, and the state is established again") {
    test::redis_server redis;
    instance a("t:epoch"), b("t:epoch");
    a.connect(redis.url());
    b.connect(redis.url());
    b.ev.set();
    REQUIRE(test::eventually([&] { return a.ev.is_set(); }));
    const auto before = stored(redis, "t:epoch");
    redis.stop();
    redis.start();
    REQUIRE(test::eventually([&] { return a.ev.connected() && b.ev.connected(); }));
    CHECK(test::eventually([&] { return stored(redis, "t:epoch")[2] == "1"; }));
    const auto after = stored(redis, "t:epoch");
    CHECK(after[0] != before[0]);
    CHECK(a.ev.is_set());
    CHECK(b.ev.is_set());
    a.ev.clear(); // and it works in the new epoch
    CHECK(test::eventually([&] { return !b.ev.is_set(); }));
}

TEST_CASE("a burst of changes from several instances converges to Redis's last state") {
    test::redis_server redis;
    std::vector<std::unique_ptr<instance>> all;
    for (int i = 0; i < 3; ++i) {
        all.push_back(std::make_unique<instance>("t:burst"));
        all.back()->connect(redis.url());
    }
    std::vector<std::thread> writers;
    for (int i = 0; i < 3; ++i)
        writers.emplace_back([&, i] {
            std::mt19937 random(i);
            for (int n = 0; n < 500; ++n)
                random() % 2 ? all[i]->ev.set() : all[i]->ev.clear();
        });
    for (auto& w : writers)
        w.join();
    // Every instance ends in Redis's state once all 1,500 changes are in.
    // (Not checked again afterwards: an instance still a few publications
    // behind may agree by chance and flip once more before it catches up;
    // the condition holds for good only once each has seen the last one.)
    CHECK(test::eventually([&] {
        auto fields = stored(redis, "t:burst");
        const bool final_state = fields[2] == "1";
        for (auto& inst : all)
            if (inst->ev.is_set() != final_state) return false;
        return std::stoll(fields[1]) >= 1501; // the hash's creation, then 1,500 changes
    }));
}

TEST_CASE("a subscriber Redis cuts off at its output-buffer limit reconnects and resyncs") {
    test::redis_server redis;
    instance a("t:slow"), b("t:slow");
    a.connect(redis.url());
    b.connect(redis.url());
    const auto epoch = stored(redis, "t:slow")[0];
    asio::io_context io;
    test::run_coroutine(io, [&]() -> asio::awaitable<void> {
        redis::connection c(io.get_executor());
        co_await c.connect(redis::endpoint::parse(redis.url()), 2s);
        co_await c.command("CONFIG", "SET", "client-output-buffer-limit", "pubsub 64kb 32kb 1");
    });
    // Block a's loop: its subscriber stops reading while 24 MB are published
    // (stale states, which a would ignore): more than the kernel's socket
    // buffers hold, so Redis's output buffer for it passes its limit and
    // Redis closes it.
    std::promise<void> release;
    auto blocked = release.get_future().share();
    asio::post(a.io, [blocked] { blocked.wait(); });
    test::run_coroutine(io, [&]() -> asio::awaitable<void> {
        redis::connection c(io.get_executor());
        co_await c.connect(redis::endpoint::parse(redis.url()), 2s);
        const std::string stale = epoch + " " + std::string(8000, '0') + " 1";
        for (int i = 0; i < 3000; ++i)
            c.queue("PUBLISH", "t:slow", stale);
        co_await c.flush();
        for (int i = 0; i < 3000; ++i)
            co_await c.read();
    });
    b.ev.set(); // published while a's subscriber is gone
    REQUIRE(test::eventually([&] { return b.ev.is_set(); }));
    release.set_value();
    CHECK(test::eventually([&] { return a.ev.reconnects() >= 1 && a.ev.is_set(); }));
    CHECK(a.ev.connected());
}

TEST_CASE("close() stops the task and leaves a local event") {
    test::redis_server redis;
    instance a("t:close"), b("t:close");
    a.connect(redis.url());
    b.connect(redis.url());
    a.close();
    CHECK_FALSE(a.ev.connected());
    b.ev.set();
    REQUIRE(test::eventually([&] { return stored(redis, "t:close")[2] == "1"; }));
    std::this_thread::sleep_for(100ms);
    CHECK_FALSE(a.ev.is_set()); // no longer follows Redis
    a.ev.set();
    CHECK(a.ev.is_set());
}

TEST_CASE("the event may outlive its io_context: after close(), and after a failed connect()") {
    // The application's state outlives serve()'s event loops: nothing of a
    // loop (sockets, timers, the strand) may stay in the event.
    test::redis_server redis;
    redis::shared_event ev("t:outlive");
    {
        asio::io_context io;
        test::run_coroutine(io, [&]() -> asio::awaitable<void> {
            co_await ev.connect(io.get_executor(), redis.url(), quick);
            CHECK(ev.connected());
            co_await ev.close();
        });
    }
    {
        asio::io_context io;
        auto options = quick;
        options.connect_timeout = 200ms;
        test::run_coroutine(io, [&]() -> asio::awaitable<void> {
            CHECK_THROWS_AS(co_await ev.connect(io.get_executor(), "redis://127.0.0.1:1", options),
                            std::runtime_error);
        });
    }
    ev.set();
    CHECK(ev.is_set());
}

TEST_CASE("a set() just before close() still reaches Redis") {
    test::redis_server redis;
    instance a("t:last"), b("t:last");
    a.connect(redis.url());
    b.connect(redis.url());
    a.ev.set();
    a.close(); // the change is queued on the strand ahead of the stop
    CHECK(stored(redis, "t:last")[2] == "1");
    CHECK(test::eventually([&] { return b.ev.is_set(); }));
}

TEST_CASE("connect() again after close() adopts Redis's state over what changed meanwhile") {
    test::redis_server redis;
    instance a("t:again"), b("t:again");
    a.connect(redis.url());
    b.connect(redis.url());
    a.close();
    b.ev.set();
    REQUIRE(test::eventually([&] { return stored(redis, "t:again")[2] == "1"; }));
    a.ev.clear(); // local while closed: not replayed
    a.connect(redis.url());
    CHECK(a.ev.is_set());
    CHECK(stored(redis, "t:again")[2] == "1");
    b.ev.clear(); // and it follows again
    CHECK(test::eventually([&] { return !a.ev.is_set(); }));
}

TEST_CASE("a Redis that comes back with an older version of the same epoch is adopted") {
    // As Redis restarted from an older snapshot, or a lagging replica promoted.
    test::redis_server redis;
    instance a("t:older"), b("t:older");
    a.connect(redis.url());
    b.connect(redis.url());
    for (int i = 0; i < 5; ++i)
        i % 2 ? a.ev.clear() : a.ev.set(); // version 6, set
    REQUIRE(test::eventually([&] { return stored(redis, "t:older")[1] == "6" && b.ev.is_set(); }));
    asio::io_context io;
    test::run_coroutine(io, [&]() -> asio::awaitable<void> {
        redis::connection c(io.get_executor());
        co_await c.connect(redis::endpoint::parse(redis.url()), 2s);
        co_await c.command("HSET", "t:older", "version", "2", "state", "0");
        co_await c.command("CLIENT", "KILL", "TYPE", "pubsub");
        co_await c.command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
    });
    CHECK(test::eventually([&] { return !a.ev.is_set() && !b.ev.is_set(); }));
    b.ev.set(); // version 3 in Redis: taken by a, though below what a saw before
    CHECK(test::eventually([&] { return a.ev.is_set(); }));
}

namespace {

// Runs one command on `redis` and returns the reply's text.
template <class... Args>
std::string command(const test::redis_server& redis, const Args&... args) {
    asio::io_context io;
    std::string text;
    test::run_coroutine(io, [&]() -> asio::awaitable<void> {
        redis::connection c(io.get_executor());
        co_await c.connect(redis::endpoint::parse(redis.url()), 2s);
        auto r = co_await c.command(args...);
        text = std::string(r.text());
    });
    return text;
}

std::size_t count(const std::string& text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

} // namespace

TEST_CASE("a forged publication far ahead is not taken: the next real change reaches everyone") {
    test::stderr_capture log;
    test::redis_server redis;
    instance a("t:forge"), b("t:forge");
    a.connect(redis.url());
    b.connect(redis.url());
    a.ev.set();
    REQUIRE(test::eventually([&] { return b.ev.is_set(); }));
    const std::string epoch = stored(redis, "t:forge")[0];
    command(redis, "PUBLISH", "t:forge", epoch + " 9223372036854775807 0");
    CHECK(test::eventually(
        [&] { return log.text().find("9223372036854775807") != std::string::npos; }));
    CHECK(b.ev.is_set()); // the forged clear was not taken
    a.ev.clear();
    CHECK(test::eventually([&] { return !b.ev.is_set(); }));
    b.ev.set();
    CHECK(test::eventually([&] { return a.ev.is_set(); }));
}

TEST_CASE("a forged next version is taken, then corrected from Redis's hash") {
    test::stderr_capture log;
    test::redis_server redis;
    instance a("t:forge1"), b("t:forge1");
    a.connect(redis.url());
    b.connect(redis.url());
    a.ev.set();
    REQUIRE(test::eventually([&] { return b.ev.is_set(); }));
    const auto fields = stored(redis, "t:forge1");
    command(redis, "PUBLISH", "t:forge1",
            fields[0] + " " + std::to_string(std::stoll(fields[1]) + 1) + " 0");
    // Both take it (it looks like the next change), and both read Redis's
    // hash at their next idle check (every ping_interval): set again.
    CHECK(test::eventually(
        [&] { return log.text().find("taking Redis's state (set)") != std::string::npos; }));
    CHECK(test::eventually([&] { return a.ev.is_set() && b.ev.is_set(); }));
}

TEST_CASE("what the channel carries is logged escaped, cut short, and not once per message") {
    test::stderr_capture log;
    test::redis_server redis;
    instance a("t:garbage");
    a.connect(redis.url());
    const std::string forged = "x\nbareasio: stopped\x1b[31m" + std::string(1 << 20, 'y');
    command(redis, "PUBLISH", "t:garbage", forged);
    for (int i = 0; i < 2000; ++i)
        command(redis, "PUBLISH", "t:garbage", "garbage " + std::to_string(i));
    command(redis, "PUBLISH", "t:garbage", "the last one");
    REQUIRE(test::eventually([&] { return a.ev.connected(); }));
    const std::string text = log.text();
    CHECK(text.find("x\\x0abareasio: stopped\\x1b[31myyy") != std::string::npos);
    CHECK(text.find("\nbareasio: stopped") == std::string::npos); // no forged line
    CHECK(text.find("(" + std::to_string(forged.size()) + " bytes)") != std::string::npos);
    std::size_t longest = 0;
    for (std::size_t at = 0, next; at < text.size(); at = next + 1) {
        next = text.find('\n', at);
        if (next == std::string::npos) next = text.size();
        longest = std::max(longest, next - at);
    }
    CHECK(longest < 512);
    CHECK(count(text, "not a state") <= 2); // 2,002 messages, one warning per 10 s
}

TEST_CASE("a corrupt hash is said and rewritten; a key of another type is refused at once") {
    test::stderr_capture log;
    test::redis_server redis;
    command(redis, "HSET", "t:corrupt", "epoch", "e1", "version", "abc", "state", "1");
    instance a("t:corrupt");
    a.connect(redis.url());
    CHECK(log.text().find("version abc") != std::string::npos);
    CHECK(log.text().find("rewrote it as a new epoch") != std::string::npos);
    CHECK(stored(redis, "t:corrupt")[1] == "1");
    a.ev.set();
    CHECK(test::eventually([&] { return stored(redis, "t:corrupt")[2] == "1"; }));

    command(redis, "SET", "t:string", "not a hash");
    instance b("t:string");
    try {
        b.connect(redis.url());
        FAIL("connect() succeeded on a key that holds a string");
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        CHECK(what.find("refused the shared event") != std::string::npos);
        CHECK(what.find("the key holds a string, not the shared event's hash") !=
              std::string::npos);
    }
    CHECK_FALSE(b.ev.connected());
}

TEST_CASE("a key that turns into another type is refused, retried slowly, not a lost connection") {
    test::stderr_capture log;
    test::redis_server redis;
    instance a("t:turns");
    a.connect(redis.url());
    command(redis, "DEL", "t:turns");
    command(redis, "SET", "t:turns", "mine now");
    a.ev.set(); // its write is refused
    CHECK(test::eventually(
        [&] { return log.text().find("trying again every 10 s") != std::string::npos; }));
    CHECK(log.text().find("connection lost") == std::string::npos);
    CHECK(a.ev.is_set()); // a working local event meanwhile
}

TEST_CASE("a Redis that needs a password says so: NOAUTH, at once") {
    test::redis_server redis({"--requirepass", "secret"});
    instance a("t:auth");
    try {
        a.connect(redis.url());
        FAIL("connect() succeeded without the password");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find("NOAUTH") != std::string::npos);
    }
    instance b("t:auth");
    b.connect("redis://:secret@127.0.0.1:" + std::to_string(redis.port()));
    CHECK(b.ev.connected());
}
