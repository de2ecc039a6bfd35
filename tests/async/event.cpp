// event: a manual-reset event bound to no loop: set/clear from any thread,
// waiters resumed on their own executors in FIFO order, cancellation,
// destruction, and its own timed wait.
#include <bareasio/async/event.hpp>

#include "../support/alloc_counter.hpp"
#include "../support/doctest.hpp"
#include "../support/run_coroutine.hpp"
#include <bareasio/async/wait_for.hpp>

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

namespace {

// The seed's failing case: an event constructed before any io_context.
event namespace_scope_event;

} // namespace

TEST_CASE("E1 event: a namespace-scope event works once an io_context exists") {
    asio::io_context ioc;
    bool woke = false;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                namespace_scope_event.set();
                co_return;
            },
            asio::detached);
        co_await namespace_scope_event.wait();
        woke = true;
    });
    CHECK(woke);
    CHECK(namespace_scope_event.is_set());
    namespace_scope_event.clear();
    CHECK_FALSE(namespace_scope_event.is_set());
}

TEST_CASE("E3 event: set releases every waiter in FIFO order, none inline") {
    asio::io_context ioc;
    event ev;
    std::vector<int> order;
    bool inside_set = false;
    for (int i = 0; i < 5; ++i)
        asio::co_spawn(
            ioc,
            [&, i]() -> asio::awaitable<void> {
                co_await ev.wait();
                CHECK_FALSE(inside_set);
                order.push_back(i);
            },
            asio::detached);
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            co_await sleep(1ms);
            inside_set = true;
            ev.set();
            inside_set = false;
        },
        asio::detached);
    ioc.run();
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("E4 event: waiting on a set event does not complete inside the call") {
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

TEST_CASE(
    "E2 E3 event: set from another thread wakes waiters on two io_contexts, each on its own") {
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
    std::thread ta([&] {
        thread_a = std::this_thread::get_id();
        a.run();
    });
    std::thread tb([&] {
        thread_b = std::this_thread::get_id();
        b.run();
    });
    while (waiting.load() < 2)
        std::this_thread::sleep_for(1ms);
    std::thread setter([&] { ev.set(); });
    setter.join();
    ta.join();
    tb.join();
    CHECK(ran_on_a == thread_a);
    CHECK(ran_on_b == thread_b);
}

TEST_CASE("E5 event: a cancelled wait completes with operation_aborted and leaves the rest") {
    asio::io_context ioc;
    event ev;
    asio::cancellation_signal cancel;
    std::error_code cancelled_ec, other_ec = asio::error::would_block;
    ev.wait(asio::bind_cancellation_slot(
        cancel.slot(), asio::bind_executor(ioc, [&](std::error_code ec) { cancelled_ec = ec; })));
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

TEST_CASE("E6 event: destroying an event completes its waiters with event_destroyed") {
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

TEST_CASE("E8 event: a pending wait keeps its io_context running") {
    asio::io_context ioc;
    event ev;
    bool woke = false;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            co_await ev.wait();
            woke = true;
        },
        asio::detached);
    std::thread runner([&] { ioc.run(); });
    std::this_thread::sleep_for(20ms);
    CHECK_FALSE(woke); // run() has not returned for lack of work
    ev.set();
    runner.join();
    CHECK(woke);
}

TEST_CASE("E2 event: a waiter on a strand resumes on that strand") {
    asio::io_context ioc;
    auto strand = asio::make_strand(ioc);
    event ev;
    bool on_strand = false;
    asio::co_spawn(
        strand,
        [&]() -> asio::awaitable<void> {
            co_await ev.wait();
            on_strand = strand.running_in_this_thread();
        },
        asio::detached);
    asio::post(ioc, [&] { ev.set(); });
    ioc.run();
    CHECK(on_strand);
}

TEST_CASE("E4 event: waiting on a set event costs no allocation once warm") {
    asio::io_context ioc;
    event ev;
    ev.set();
    long during = -1;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 16; ++i)
            co_await ev.wait(); // warm the recycling caches
        const long before = allocations.load();
        for (int i = 0; i < 1000; ++i)
            co_await ev.wait();
        during = allocations.load() - before;
    });
    CHECK(during == 0);
}

TEST_CASE("E5 event: a wait started after cancellation was requested completes at once") {
    asio::io_context ioc;
    event never;
    asio::cancellation_signal cancel;
    std::string outcome;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(1));
            co_await t.async_wait(
                asio::experimental::as_tuple(asio::use_awaitable)); // cancelled, ignored
            try {
                co_await never.wait();
                outcome = "woke";
            } catch (const std::system_error& e) {
                outcome = e.code() == asio::error::operation_aborted ? "aborted" : e.what();
            }
        },
        asio::bind_cancellation_slot(cancel.slot(), asio::detached));
    asio::post(ioc, [&] { cancel.emit(asio::cancellation_type::terminal); });
    ioc.run();
    CHECK(outcome == "aborted");
}

TEST_CASE("E5 event: cancel racing set from another thread gives exactly one outcome") {
    for (int round = 0; round < 200; ++round) {
        asio::io_context ioc;
        event ev;
        asio::cancellation_signal cancel;
        int completions = 0;
        std::error_code result;
        ev.wait(asio::bind_cancellation_slot(cancel.slot(),
                                             asio::bind_executor(ioc, [&](std::error_code ec) {
                                                 ++completions;
                                                 result = ec;
                                             })));
        std::thread setter([&] { ev.set(); });
        cancel.emit(asio::cancellation_type::terminal);
        setter.join();
        ioc.run();
        CHECK(completions == 1);
        CHECK((!result || result == asio::error::operation_aborted));
    }
}

TEST_CASE(
    "E7 event: destroying an io_context destroys its waiters; others wake; later set is fine") {
    event ev; // outlives the io_context below
    struct on_destroy {
        bool* flag;
        ~on_destroy() { *flag = true; }
    };
    bool frame_destroyed = false, resumed = false, other_woke = false;
    asio::io_context other;
    asio::co_spawn(
        other,
        [&]() -> asio::awaitable<void> {
            co_await ev.wait();
            other_woke = true;
        },
        asio::detached);
    {
        asio::io_context doomed;
        asio::co_spawn(
            doomed,
            [&]() -> asio::awaitable<void> {
                on_destroy guard{&frame_destroyed};
                co_await ev.wait();
                resumed = true;
            },
            asio::detached);
        doomed.poll(); // the coroutine starts and parks on the event
        doomed.stop();
    } // destroyed with a parked waiter
    CHECK(frame_destroyed);
    CHECK_FALSE(resumed);
    ev.set(); // must not touch the dead context
    other.run();
    CHECK(other_woke);
    CHECK_FALSE(resumed);
}

TEST_CASE("E5 event: partial and total cancellation also complete only that wait") {
    for (auto type : {asio::cancellation_type::partial, asio::cancellation_type::total}) {
        asio::io_context ioc;
        event ev;
        asio::cancellation_signal cancel;
        std::error_code result;
        ev.wait(asio::bind_cancellation_slot(
            cancel.slot(), asio::bind_executor(ioc, [&](std::error_code ec) { result = ec; })));
        cancel.emit(type);
        ioc.run();
        CHECK(result == asio::error::operation_aborted);
    }
}

// set() posts one batch per executor; these pin what batching must keep.
TEST_CASE("E2 E3 event: waiters spread over many strands each resume on their own, in FIFO order") {
    asio::io_context ioc;
    constexpr int strands = 11; // more than the batcher's groups: some are flushed early
    std::vector<asio::strand<asio::io_context::executor_type>> pool;
    for (int i = 0; i < strands; ++i)
        pool.push_back(asio::make_strand(ioc));
    event ev;
    std::vector<std::vector<int>> order(strands);
    int off_strand = 0;
    for (int n = 0; n < 200; ++n) {
        const int s = (n * 7) % strands; // interleaved, not grouped by strand
        asio::co_spawn(
            pool[s],
            [&, s, n]() -> asio::awaitable<void> {
                co_await ev.wait();
                if (!pool[s].running_in_this_thread()) ++off_strand;
                order[s].push_back(n);
            },
            asio::detached);
    }
    ioc.poll(); // all parked
    std::thread setter([&] { ev.set(); });
    setter.join();
    ioc.run();
    CHECK(off_strand == 0);
    int total = 0;
    for (auto& seen : order) {
        total += static_cast<int>(seen.size());
        CHECK(std::is_sorted(seen.begin(), seen.end()));
    }
    CHECK(total == 200);
}

TEST_CASE("E3 event: a waiter's handler that throws does not lose the waiters after it") {
    asio::io_context ioc;
    event ev;
    std::vector<int> ran;
    for (int i = 0; i < 3; ++i)
        ev.wait(asio::bind_executor(ioc, [&ran, i](std::error_code) {
            ran.push_back(i);
            if (i == 1) throw std::runtime_error("handler failed");
        }));
    ev.set();
    CHECK_THROWS_AS(ioc.run(), std::runtime_error);
    ioc.restart();
    ioc.run();
    CHECK(ran == std::vector<int>{0, 1, 2});
}

TEST_CASE(
    "E7 event: waiters released into a context that is then destroyed are destroyed, not resumed") {
    event ev;
    struct on_destroy {
        int* count;
        ~on_destroy() { ++*count; }
    };
    int frames_destroyed = 0, resumed = 0;
    {
        asio::io_context doomed;
        for (int i = 0; i < 3; ++i)
            asio::co_spawn(
                doomed,
                [&]() -> asio::awaitable<void> {
                    on_destroy guard{&frames_destroyed};
                    co_await ev.wait();
                    ++resumed;
                },
                asio::detached);
        doomed.poll();
        ev.set(); // their completions are now queued in `doomed`, never run
    }
    CHECK(frames_destroyed == 3);
    CHECK(resumed == 0);
}

// The event's own timed wait: ev.wait_for(d) -> bool.
TEST_CASE("W1 W2 event wait_for: true when set in time, false on timeout, never inline") {
    asio::io_context ioc;
    event ev;
    bool timed_out_result = true, set_result = false;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        timed_out_result = co_await ev.wait_for(1ms);
        asio::co_spawn(
            co_await asio::this_coro::executor,
            [&]() -> asio::awaitable<void> {
                co_await sleep(1ms);
                ev.set();
            },
            asio::detached);
        set_result = co_await ev.wait_for(1h);
    });
    CHECK_FALSE(timed_out_result);
    CHECK(set_result);

    bool completed = false; // already set: still posted, not run inside the call
    ev.wait_for(1h, asio::bind_executor(ioc, [&](std::error_code ec, bool was_set) {
                    CHECK_FALSE(ec);
                    CHECK(was_set);
                    completed = true;
                }));
    CHECK_FALSE(completed);
    ioc.run();
    CHECK(completed);
}

TEST_CASE("E4 event: a wait that parks and is woken, or times out, costs no allocation once warm") {
    asio::io_context ioc;
    event ev;
    long parked = -1, timed_out = -1;
    int timeouts = 0;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto park_and_wake = [&]() -> asio::awaitable<void> {
            ev.clear();
            asio::post(ex, [&] { ev.set(); });
            co_await ev.wait(); // parks, then is woken by set()
        };
        auto time_out = [&]() -> asio::awaitable<void> {
            ev.clear();
            const bool was_set = co_await ev.wait_until(std::chrono::steady_clock::now());
            if (!was_set) ++timeouts;
        };
        for (int i = 0; i < 16; ++i)
            co_await park_and_wake(); // warm the recycling caches
        long before = allocations.load();
        for (int i = 0; i < 1000; ++i)
            co_await park_and_wake();
        parked = allocations.load() - before;
        for (int i = 0; i < 16; ++i)
            co_await time_out();
        before = allocations.load();
        for (int i = 0; i < 1000; ++i)
            co_await time_out();
        timed_out = allocations.load() - before;
    });
    CHECK(parked == 0);
    CHECK(timed_out == 0);
    CHECK(timeouts == 1016);
}

TEST_CASE("E5 E6 event wait_for: cancellation and destruction are errors, not timeouts") {
    asio::io_context ioc;
    std::error_code cancelled, destroyed;
    asio::cancellation_signal signal;
    {
        event ev;
        ev.wait_for(1h, asio::bind_cancellation_slot(
                            signal.slot(), asio::bind_executor(ioc, [&](std::error_code ec, bool) {
                                cancelled = ec;
                            })));
        ev.wait_for(1h,
                    asio::bind_executor(ioc, [&](std::error_code ec, bool) { destroyed = ec; }));
        ioc.poll();
        signal.emit(asio::cancellation_type::terminal);
    }          // destroyed with the second wait parked
    ioc.run(); // returns: both timers were cancelled, no 1 h wait is left
    CHECK(cancelled == asio::error::operation_aborted);
    CHECK(destroyed == errc::event_destroyed);
}

TEST_CASE("E7 event wait_for: a timed wait dies with its io_context") {
    event ev;
    struct on_destroy {
        bool* flag;
        ~on_destroy() { *flag = true; }
    };
    bool frame_destroyed = false, resumed = false;
    {
        asio::io_context doomed;
        asio::co_spawn(
            doomed,
            [&]() -> asio::awaitable<void> {
                on_destroy guard{&frame_destroyed};
                co_await ev.wait_for(1h);
                resumed = true;
            },
            asio::detached);
        doomed.poll();
    }
    CHECK(frame_destroyed);
    CHECK_FALSE(resumed);
    ev.set();
}

TEST_CASE("E3 event wait_for: set from another thread races timeouts; each wait has one outcome") {
    asio::io_context ioc;
    event ev;
    std::atomic<bool> done{false};
    int outcomes = 0;
    std::thread toggler([&] {
        while (!done.load()) {
            ev.set();
            std::this_thread::yield();
            ev.clear();
        }
    });
    constexpr int waits = 2000;
    for (int i = 0; i < waits; ++i)
        ev.wait_for(std::chrono::microseconds(i % 50),
                    asio::bind_executor(ioc, [&](std::error_code ec, bool) {
                        CHECK_FALSE(ec);
                        ++outcomes;
                    }));
    ioc.run();
    done = true;
    toggler.join();
    CHECK(outcomes == waits);
}

TEST_CASE("E7 event wait_for: set, then the context dies before the timer's completion runs") {
    event ev;
    struct on_destroy {
        bool* flag;
        ~on_destroy() { *flag = true; }
    };
    bool frame_destroyed = false, resumed = false;
    {
        asio::io_context doomed;
        asio::co_spawn(
            doomed,
            [&]() -> asio::awaitable<void> {
                on_destroy guard{&frame_destroyed};
                co_await ev.wait_for(1h);
                resumed = true;
            },
            asio::detached);
        doomed.poll();    // parked, its timer armed
        ev.set();         // posts the wake-up into `doomed`
        doomed.run_one(); // the wake-up cancels the timer; the timer's completion is queued
    } // destroyed with that completion unrun: the waiter and its frame must go with it
    CHECK(frame_destroyed);
    CHECK_FALSE(resumed);
}
