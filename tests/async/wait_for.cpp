// wait_for / wait_until: any awaitable or deferred Asio operation with a
// deadline; the inner operation is finished before a timeout is reported.
#include <bareasio/async/wait_for.hpp>

#include "../support/alloc_counter.hpp"
#include "../support/doctest.hpp"
#include "../support/run_coroutine.hpp"
#include <bareasio/async/event.hpp>

#include <asio.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

using namespace bareasio;
using namespace std::chrono_literals;
using test::allocations;
using test::run_coroutine;
using test::sleep;

TEST_CASE("W1 wait_for: returns the result when the operation finishes in time") {
    asio::io_context ioc;
    int value = 0;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        value = co_await wait_for([]() -> asio::awaitable<int> { co_return 42; }(), 1h);
    });
    CHECK(value == 42);
}

TEST_CASE("W1 wait_for: a set event returns at once even with a huge timeout") {
    asio::io_context ioc;
    event ev;
    ev.set();
    bool done = false;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        co_await wait_for(ev.wait(), 24h);
        done = true;
    });
    CHECK(done);
}

TEST_CASE(
    "W2 wait_for: timeout cancels and finishes the inner operation, then throws timeout_error") {
    asio::io_context ioc;
    event ev;
    bool inner_finished = false, timed_out = false;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        auto inner = [&]() -> asio::awaitable<void> {
            try {
                co_await ev.wait();
            } catch (const std::system_error& e) {
                CHECK(e.code() == asio::error::operation_aborted);
                inner_finished = true;
                throw;
            }
        };
        const auto start = std::chrono::steady_clock::now();
        try {
            co_await wait_for(inner(), 20ms);
        } catch (const timeout_error& e) {
            timed_out = true;
            CHECK(e.code() == errc::timeout);
            CHECK(inner_finished); // finished before wait_for returned
            CHECK(std::chrono::steady_clock::now() - start >= 20ms); // a timer never fires early
        }
    });
    CHECK(timed_out);
}

TEST_CASE("W2 wait_for: the non-throwing form reports the timeout as a value") {
    asio::io_context ioc;
    event ev;
    bool completed = true;
    std::optional<int> value = 0;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        completed = co_await wait_for(ev.wait(), 5ms, ignore_timeout);
        value =
            co_await wait_for([]() -> asio::awaitable<int> { co_return 7; }(), 1h, ignore_timeout);
    });
    CHECK_FALSE(completed);
    REQUIRE(value.has_value());
    CHECK(*value == 7);
}

TEST_CASE("W3 wait_for: an inner error propagates at once, not as a timeout") {
    asio::io_context ioc;
    std::string caught;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        try {
            co_await wait_for(
                []() -> asio::awaitable<int> {
                    throw std::runtime_error("inner failure");
                    co_return 0;
                }(),
                24h);
        } catch (const timeout_error&) {
            caught = "timeout";
        } catch (const std::runtime_error& e) {
            caught = e.what();
        }
    });
    CHECK(caught == "inner failure");
}

TEST_CASE("W1 wait_for: a result produced after the deadline passed is returned, not lost") {
    asio::io_context ioc;
    int value = 0;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        // The inner operation ignores cancellation and still produces 7.
        auto stubborn = []() -> asio::awaitable<int> {
            asio::steady_timer t(co_await asio::this_coro::executor, 30ms);
            co_await t.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
            co_return 7;
        };
        value = co_await wait_for(stubborn(), 1ms);
    });
    CHECK(value == 7);
}

TEST_CASE("W4 wait_for: cancelling the caller is operation_aborted, never a timeout") {
    asio::io_context ioc;
    event never;
    asio::cancellation_signal cancel;
    std::string outcome;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            try {
                co_await wait_for(never.wait(), 24h);
                outcome = "woke";
            } catch (const timeout_error&) {
                outcome = "timeout";
            } catch (const std::system_error& e) {
                outcome = e.code() == asio::error::operation_aborted ? "aborted" : e.what();
            }
        },
        asio::bind_cancellation_slot(cancel.slot(), asio::detached));
    asio::post(ioc, [&] { cancel.emit(asio::cancellation_type::terminal); });
    ioc.run();
    CHECK(outcome == "aborted");
}

TEST_CASE("W5 wait_for: a nested wait_for cannot extend the outer deadline") {
    asio::io_context ioc;
    event never;
    bool outer_timed_out = false;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        auto inner = [&]() -> asio::awaitable<void> { co_await wait_for(never.wait(), 24h); };
        try {
            co_await wait_for(inner(), 10ms); // would hang for a day if the inner one won
        } catch (const timeout_error&) {
            outer_timed_out = true;
        }
    });
    CHECK(outer_timed_out);
}

TEST_CASE("W2 wait_for: any Asio async operation, in its deferred form") {
    asio::io_context ioc;
    std::string outcome;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        asio::steady_timer slow(co_await asio::this_coro::executor, 24h);
        try {
            co_await wait_for(slow.async_wait(bareasio::deferred), 5ms);
            outcome = "fired";
        } catch (const timeout_error&) {
            outcome = "timeout";
        }
        asio::steady_timer quick(co_await asio::this_coro::executor, 1ms);
        bool done = co_await wait_for(quick.async_wait(bareasio::deferred), 24h, ignore_timeout);
        outcome += done ? " quick" : " slow";
    });
    CHECK(outcome == "timeout quick");
}

TEST_CASE("until_stopped: the stop cancels and finishes the operation; its result is never lost") {
    asio::io_context ioc;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        stop_source source;
        event never;
        bool inner_cancelled = false;
        auto wait_never = [&]() -> asio::awaitable<int> {
            try {
                co_await never.wait();
            } catch (const std::system_error& e) {
                inner_cancelled = e.code() == asio::error::operation_aborted;
                throw;
            }
            co_return 1;
        };
        asio::co_spawn(
            co_await asio::this_coro::executor,
            [&]() -> asio::awaitable<void> {
                co_await sleep(1ms);
                source.request_stop();
            },
            asio::detached);
        std::optional<int> r = co_await until_stopped(wait_never(), source.token());
        CHECK_FALSE(r);
        CHECK(inner_cancelled);
        // Already stopped: false, the operation cancelled before it waits.
        CHECK_FALSE(co_await until_stopped(never.wait(), source.token()));

        stop_source other;
        auto seven = []() -> asio::awaitable<int> { co_return 7; };
        CHECK(co_await until_stopped(seven(), other.token()) == 7);
        CHECK(co_await until_stopped(seven(), stop_token{}) == 7); // a token nobody stops
        auto fails = []() -> asio::awaitable<void> {
            throw std::runtime_error("inner");
            co_return;
        };
        CHECK_THROWS_AS(co_await until_stopped(fails(), other.token()), std::runtime_error);
    });
}
