// Micro-benchmarks of the async primitives against the Asio idioms they
// replace: an event wait on a set event vs an asio::post round trip, the
// release of 100,000 waiters by set() from another thread vs the
// timer-cancel idiom, and wait_for timed out and not. Each reports
// allocations per operation (counted by a replaced operator new).
#include <bareasio/async.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include "alloc_counter.hpp"

#include <benchmark/benchmark.h>

#include <thread>

using namespace bareasio;
using namespace std::chrono_literals;

namespace {

// Runs `body` as a coroutine on a fresh single-threaded io_context.
template <class F>
void run(F body) {
    asio::io_context ioc(1);
    asio::co_spawn(ioc, std::move(body), asio::detached);
    ioc.run();
}

void report_allocations(benchmark::State& state, long before, double per) {
    state.counters["allocs/op"] = static_cast<double>(bench::allocations.load() - before) / per;
}

void BM_post_round_trip(benchmark::State& state) {
    long before = 0;
    run([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        for (int i = 0; i < 100; ++i)
            co_await asio::post(ex, asio::use_awaitable); // warm up
        before = bench::allocations.load();
        for (auto _ : state)
            co_await asio::post(ex, asio::use_awaitable);
    });
    report_allocations(state, before, static_cast<double>(state.iterations()));
}
BENCHMARK(BM_post_round_trip);

void BM_event_wait_when_set(benchmark::State& state) {
    event ev;
    ev.set();
    long before = 0;
    run([&]() -> asio::awaitable<void> {
        for (int i = 0; i < 100; ++i)
            co_await ev.wait();
        before = bench::allocations.load();
        for (auto _ : state)
            co_await ev.wait();
    });
    report_allocations(state, before, static_cast<double>(state.iterations()));
}
BENCHMARK(BM_event_wait_when_set);

constexpr int waiters = 100'000;

// 100,000 coroutines park on what `make(ioc)` returns; another thread wakes
// them all; the time is from the wake-up call until the last has resumed.
template <class Make>
void release_all(benchmark::State& state, Make make) {
    long allocs = 0;
    for (auto _ : state) {
        state.PauseTiming();
        asio::io_context ioc(1);
        auto parking = make(ioc); // destroyed before its io_context
        int resumed = 0;
        for (int i = 0; i < waiters; ++i)
            asio::co_spawn(
                ioc,
                [&]() -> asio::awaitable<void> {
                    co_await parking.park();
                    ++resumed;
                },
                asio::detached);
        ioc.poll(); // every coroutine is now parked
        const long before = bench::allocations.load();
        state.ResumeTiming();
        std::thread waker([&] { parking.wake(); });
        waker.join();
        ioc.run();
        state.PauseTiming();
        allocs += bench::allocations.load() - before;
        if (resumed != waiters) state.SkipWithError("not every waiter resumed");
        state.ResumeTiming();
    }
    state.counters["allocs/waiter"] =
        static_cast<double>(allocs) / static_cast<double>(waiters * state.iterations());
}

struct event_parking {
    event ev;
    asio::awaitable<void> park() { return ev.wait(); }
    void wake() { ev.set(); } // safe from any thread
};

// The idiom an event replaces: waiters on one timer that never expires; the
// waker cancels it, posted to the timer's context as it must be.
struct timer_parking {
    asio::steady_timer timer;
    asio::awaitable<std::tuple<std::error_code>> park() {
        return timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    }
    void wake() {
        asio::post(timer.get_executor(), [this] { timer.cancel(); });
    }
};

void BM_event_release_100k(benchmark::State& state) {
    release_all(state, [](asio::io_context&) { return event_parking{}; });
}
BENCHMARK(BM_event_release_100k)->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_timer_cancel_release_100k(benchmark::State& state) {
    release_all(state, [](asio::io_context& ioc) {
        return timer_parking{asio::steady_timer(ioc, asio::steady_timer::time_point::max())};
    });
}
BENCHMARK(BM_timer_cancel_release_100k)->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_wait_for_ready(benchmark::State& state) {
    event ev;
    ev.set();
    long before = 0;
    run([&]() -> asio::awaitable<void> {
        for (int i = 0; i < 100; ++i)
            co_await wait_for(ev.wait(), 1h);
        before = bench::allocations.load();
        for (auto _ : state)
            co_await wait_for(ev.wait(), 1h);
    });
    report_allocations(state, before, static_cast<double>(state.iterations()));
}
BENCHMARK(BM_wait_for_ready);

void BM_wait_for_timed_out(benchmark::State& state) {
    event never;
    long before = 0;
    run([&]() -> asio::awaitable<void> {
        for (int i = 0; i < 100; ++i)
            co_await wait_for(never.wait(), 0ms, ignore_timeout);
        before = bench::allocations.load();
        for (auto _ : state)
            co_await wait_for(never.wait(), 0ms, ignore_timeout);
    });
    report_allocations(state, before, static_cast<double>(state.iterations()));
}
BENCHMARK(BM_wait_for_timed_out);

// The event's own timed wait, the seed's `ev.wait_for(100ms)`.
void BM_event_wait_for_ready(benchmark::State& state) {
    event ev;
    ev.set();
    long before = 0;
    run([&]() -> asio::awaitable<void> {
        for (int i = 0; i < 100; ++i)
            co_await ev.wait_for(1h);
        before = bench::allocations.load();
        for (auto _ : state)
            co_await ev.wait_for(1h);
    });
    report_allocations(state, before, static_cast<double>(state.iterations()));
}
BENCHMARK(BM_event_wait_for_ready);

void BM_event_wait_for_timed_out(benchmark::State& state) {
    event never;
    long before = 0;
    run([&]() -> asio::awaitable<void> {
        for (int i = 0; i < 100; ++i)
            co_await never.wait_for(0ms);
        before = bench::allocations.load();
        for (auto _ : state)
            co_await never.wait_for(0ms);
    });
    report_allocations(state, before, static_cast<double>(state.iterations()));
}
BENCHMARK(BM_event_wait_for_timed_out);

void BM_task_group_spawn_join(benchmark::State& state) {
    long before = 0;
    run([&]() -> asio::awaitable<void> {
        task_group group(co_await asio::this_coro::executor);
        before = bench::allocations.load();
        for (auto _ : state) {
            group.spawn("t", [](stop_token) -> asio::awaitable<void> { co_return; });
            co_await group.join();
        }
    });
    report_allocations(state, before, static_cast<double>(state.iterations()));
}
BENCHMARK(BM_task_group_spawn_join);

} // namespace

BENCHMARK_MAIN();
