// The async primitives: event, wait_for, stop_token, task_group. Includes
// only <bareasio/async.hpp>, and proves it stays light: the declarations
// below would clash with the HTTP layer if async.hpp pulled it in.
#include <bareasio/async.hpp>

#include "support/doctest.hpp"

#include <atomic>
#include <thread>
#include <vector>

namespace bareasio {
struct request {};   // clashes with http/request.hpp if it leaked in
class router {};     // clashes with router.hpp
class server {};     // clashes with server/server.hpp
} // namespace bareasio

using namespace bareasio;
using namespace std::chrono_literals;

namespace {

// The seed's failing case: an event constructed before any io_context.
event namespace_scope_event;

template <class F>
void run_coroutine(asio::io_context& ioc, F&& f) {
    std::exception_ptr failure;
    asio::co_spawn(ioc, std::forward<F>(f), [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    ioc.restart();
    if (failure) std::rethrow_exception(failure);
}

asio::awaitable<void> sleep(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

} // namespace

TEST_CASE("event: namespace-scope event works once an io_context exists") {
    asio::io_context ioc;
    bool woke = false;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        asio::co_spawn(ex, [&]() -> asio::awaitable<void> { namespace_scope_event.set(); co_return; },
                       asio::detached);
        co_await namespace_scope_event.wait();
        woke = true;
    });
    CHECK(woke);
    CHECK(namespace_scope_event.is_set());
    namespace_scope_event.clear();
    CHECK_FALSE(namespace_scope_event.is_set());
}

TEST_CASE("event: set releases every waiter in FIFO order, none inline") {
    asio::io_context ioc;
    event ev;
    std::vector<int> order;
    bool inside_set = false;
    for (int i = 0; i < 5; ++i)
        asio::co_spawn(ioc, [&, i]() -> asio::awaitable<void> {
            co_await ev.wait();
            CHECK_FALSE(inside_set);
            order.push_back(i);
        }, asio::detached);
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
        co_await sleep(1ms);
        inside_set = true;
        ev.set();
        inside_set = false;
    }, asio::detached);
    ioc.run();
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("event: waiting on a set event does not complete inside the call") {
    asio::io_context ioc;
    event ev;
    ev.set();
    bool completed = false;
    ev.wait(asio::bind_executor(ioc, [&](std::error_code ec) {
        CHECK_FALSE(ec);
        completed = true;
    }));
    CHECK_FALSE(completed); // posted to its executor, not run inline
    ioc.run();
    CHECK(completed);
}

TEST_CASE("event: set from another thread wakes waiters on two io_contexts, each on its own") {
    event ev;
    asio::io_context a, b;
    std::thread::id ran_on_a, ran_on_b;
    std::atomic<int> waiting{0};
    auto waiter = [&](std::thread::id& where) {
        return [&]() -> asio::awaitable<void> {
            ++waiting;
            co_await ev.wait();
            where = std::this_thread::get_id();
        };
    };
    asio::co_spawn(a, waiter(ran_on_a), asio::detached);
    asio::co_spawn(b, waiter(ran_on_b), asio::detached);
    std::thread::id thread_a, thread_b;
    std::thread ta([&] { thread_a = std::this_thread::get_id(); a.run(); });
    std::thread tb([&] { thread_b = std::this_thread::get_id(); b.run(); });
    while (waiting.load() < 2) std::this_thread::sleep_for(1ms);
    std::thread setter([&] { ev.set(); });
    setter.join();
    ta.join();
    tb.join();
    CHECK(ran_on_a == thread_a);
    CHECK(ran_on_b == thread_b);
}

TEST_CASE("event: a cancelled wait completes with operation_aborted and leaves the rest") {
    asio::io_context ioc;
    event ev;
    asio::cancellation_signal cancel;
    std::error_code cancelled_ec, other_ec = asio::error::would_block;
    ev.wait(asio::bind_cancellation_slot(cancel.slot(), asio::bind_executor(ioc, [&](std::error_code ec) {
                cancelled_ec = ec;
            })));
    ev.wait(asio::bind_executor(ioc, [&](std::error_code ec) { other_ec = ec; }));
    asio::post(ioc, [&] { cancel.emit(asio::cancellation_type::terminal); });
    ioc.run_one(); // the post
    ioc.run_one(); // the aborted wait
    CHECK(cancelled_ec == asio::error::operation_aborted);
    CHECK(other_ec == asio::error::would_block); // still waiting
    ev.set();
    ioc.restart();
    ioc.run();
    CHECK_FALSE(other_ec);
}

TEST_CASE("event: destroying an event completes its waiters with event_destroyed") {
    asio::io_context ioc;
    std::error_code result;
    {
        event ev;
        ev.wait(asio::bind_executor(ioc, [&](std::error_code ec) { result = ec; }));
    }
    ioc.run();
    CHECK(result == errc::event_destroyed);
    CHECK(result != asio::error::operation_aborted);
}

TEST_CASE("event: a pending wait keeps its io_context running") {
    asio::io_context ioc;
    event ev;
    bool woke = false;
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> { co_await ev.wait(); woke = true; }, asio::detached);
    std::thread runner([&] { ioc.run(); });
    std::this_thread::sleep_for(20ms);
    CHECK_FALSE(woke); // run() has not returned for lack of work
    ev.set();
    runner.join();
    CHECK(woke);
}

TEST_CASE("wait_for: returns the result when the operation finishes in time") {
    asio::io_context ioc;
    int value = 0;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        value = co_await wait_for([]() -> asio::awaitable<int> { co_return 42; }(), 1h);
    });
    CHECK(value == 42);
}

TEST_CASE("wait_for: a set event returns at once even with a huge timeout") {
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

TEST_CASE("wait_for: timeout cancels and finishes the inner operation, then throws timeout_error") {
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

TEST_CASE("wait_for: the non-throwing form reports the timeout as a value") {
    asio::io_context ioc;
    event ev;
    bool completed = true;
    std::optional<int> value = 0;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        completed = co_await wait_for(ev.wait(), 5ms, ignore_timeout);
        value = co_await wait_for([]() -> asio::awaitable<int> { co_return 7; }(), 1h, ignore_timeout);
    });
    CHECK_FALSE(completed);
    REQUIRE(value.has_value());
    CHECK(*value == 7);
}

TEST_CASE("wait_for: an inner error propagates at once, not as a timeout") {
    asio::io_context ioc;
    std::string caught;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        try {
            co_await wait_for([]() -> asio::awaitable<int> {
                throw std::runtime_error("inner failure");
                co_return 0;
            }(), 24h);
        } catch (const timeout_error&) {
            caught = "timeout";
        } catch (const std::runtime_error& e) {
            caught = e.what();
        }
    });
    CHECK(caught == "inner failure");
}

TEST_CASE("stop_token: wait_for sleeps, and wakes as soon as stop is requested") {
    asio::io_context ioc;
    stop_source source;
    bool first = true, second = false;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        first = co_await source.token().wait_for(1ms);
        asio::co_spawn(co_await asio::this_coro::executor,
                       [&]() -> asio::awaitable<void> { source.request_stop(); co_return; }, asio::detached);
        second = co_await source.token().wait_for(24h);
    });
    CHECK_FALSE(first);
    CHECK(second);
}

TEST_CASE("task_group: stop_and_join stops cooperative tasks and cancels the rest") {
    asio::io_context ioc;
    std::vector<std::string> log;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        task_group group(co_await asio::this_coro::executor);
        group.spawn("polite", [&](stop_token stop) -> asio::awaitable<void> {
            log.push_back("polite started");
            for (;;) {
                const bool stopping = co_await stop.wait_for(1ms);
                if (stopping) break;
            }
            log.push_back("polite stopped");
        });
        group.spawn("stubborn", [&](stop_token) -> asio::awaitable<void> {
            event never;
            try {
                co_await never.wait();
            } catch (const std::system_error& e) {
                if (e.code() == asio::error::operation_aborted) log.push_back("stubborn cancelled");
                throw;
            }
        });
        CHECK(group.running() == 2);
        co_await sleep(5ms);
        co_await group.stop_and_join(20ms);
        CHECK(group.running() == 0);
    });
    CHECK(log == std::vector<std::string>{"polite started", "polite stopped", "stubborn cancelled"});
}

TEST_CASE("task_group: a failing task is reported with its name, and join rethrows it") {
    asio::io_context ioc;
    std::string joined_error;
    std::size_t failures = 0;
    std::string failed_name;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        task_group group(co_await asio::this_coro::executor);
        auto handle = group.spawn("crasher", [](stop_token) -> asio::awaitable<void> {
            throw std::runtime_error("boom");
            co_return;
        });
        try {
            co_await handle.join();
        } catch (const std::runtime_error& e) {
            joined_error = e.what();
        }
        co_await group.join();
        failures = group.failures().size();
        if (failures) failed_name = group.failures().front().first;
    });
    CHECK(joined_error == "boom");
    CHECK(failures == 1);
    CHECK(failed_name == "crasher");
}
