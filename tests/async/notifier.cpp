// notifier: "wait for the next change", for many waiters on many loops.
#include <bareasio/async/notifier.hpp>

#include "../support/doctest.hpp"
#include "../support/run_coroutine.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace bareasio;
using namespace std::chrono_literals;
using test::run_coroutine;
using test::sleep;

TEST_CASE("notifier: notify() wakes every wait, and nothing stays set for the next one") {
    asio::io_context ioc;
    notifier n;
    int woken = 0;
    for (int i = 0; i < 3; ++i)
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                co_await n.wait();
                ++woken;
            },
            asio::detached);
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        co_await sleep(1ms); // the three are waiting
        CHECK(woken == 0);
        n.notify();
        co_await sleep(1ms);
        CHECK(woken == 3);
        // A wait that starts after the notify waits for the next one.
        CHECK_FALSE(co_await n.wait_for(5ms));
        auto later = n.next();
        CHECK_FALSE(later.happened());
        n.notify();
        CHECK(later.happened());
        CHECK(co_await later.wait_for(1h)); // at once: it has happened
        CHECK_FALSE(n.next().happened());
    });
}

TEST_CASE("notifier: a change taken before reading misses no notify that comes before the wait") {
    asio::io_context ioc;
    notifier n;
    int state = 0;
    std::vector<int> seen;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        asio::co_spawn(
            co_await asio::this_coro::executor,
            [&]() -> asio::awaitable<void> {
                for (int i = 1; i <= 3; ++i) {
                    co_await sleep(1ms);
                    state = i;
                    n.notify();
                }
            },
            asio::detached);
        while (state < 3) {
            auto change = n.next(); // before reading
            seen.push_back(state);
            co_await sleep(2ms); // a notify lands here, between the read and the wait
            co_await change.wait();
        }
        seen.push_back(state);
    });
    CHECK(seen.front() == 0);
    CHECK(seen.back() == 3);
}

TEST_CASE("notifier: a temporary change's awaitable holds it; cancelling a wait ends only it") {
    asio::io_context ioc;
    notifier n;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        asio::awaitable<void> w = n.next().wait(); // the change is gone after this line
        asio::co_spawn(
            co_await asio::this_coro::executor,
            [&]() -> asio::awaitable<void> {
                co_await sleep(1ms);
                n.notify();
            },
            asio::detached);
        co_await std::move(w);
    });
}

TEST_CASE("notifier: notified from other threads, waiters on two loops resume on their own") {
    asio::io_context a, b;
    notifier n;
    std::atomic<int> woken = 0;
    std::atomic<int> ready = 0;
    std::atomic<bool> wrong_thread = false;
    auto waiter = [&](asio::io_context& ioc) {
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                for (int round = 0; round < 50; ++round) {
                    auto change = n.next();
                    ++ready;
                    co_await change.wait();
                    if (!ioc.get_executor().running_in_this_thread()) wrong_thread = true;
                }
                ++woken;
            },
            asio::detached);
    };
    waiter(a);
    waiter(b);
    std::thread ta([&] { a.run(); });
    std::thread tb([&] { b.run(); });
    std::thread notifying([&] {
        while (woken < 2) {
            n.notify();
            std::this_thread::sleep_for(100us);
        }
    });
    ta.join();
    tb.join();
    notifying.join();
    CHECK(woken == 2);
    CHECK_FALSE(wrong_thread);
}
