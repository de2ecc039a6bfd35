// The shared event's figures (issue 17), against a redis-server it starts on
// a free loopback port: two "instances" (event loops on their own threads,
// each with its own shared_event and Redis connections, as two processes
// would have):
//   - latency from a set() on A to a waiter woken on B, p50/p99/max;
//   - set()s per second through one Redis (from A, until Redis has them all);
//   - is_set() and a wait on a set event, shared against local (ns per call).
//     build-bench/benchmarks/bench_shared_event [rounds]
#include <bareasio/redis/connection.hpp>
#include <bareasio/redis/shared_event.hpp>

#include "../../tests/support/redis_server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_future.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace bareasio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

struct instance {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    redis::shared_event ev{"bench:event"};
    std::thread thread{[this] { io.run(); }};

    ~instance() {
        asio::co_spawn(io, ev.close(), asio::use_future).get();
        work.reset();
        thread.join();
    }
};

template <class F>
void until(F condition) {
    while (!condition())
        std::this_thread::sleep_for(100us);
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()))];
}

void latency(instance& a, instance& b, int rounds) {
    std::vector<double> ms;
    for (int i = 0; i < rounds; ++i) {
        a.ev.clear();
        until([&] { return !b.ev.is_set(); });
        auto woken = asio::co_spawn(
            b.io,
            [](redis::shared_event& ev) -> asio::awaitable<clock_type::time_point> {
                co_await ev.wait();
                co_return clock_type::now();
            }(b.ev),
            asio::use_future);
        std::this_thread::sleep_for(1ms); // let the wait park
        const auto start = clock_type::now();
        a.ev.set();
        ms.push_back(std::chrono::duration<double, std::milli>(woken.get() - start).count());
    }
    std::printf(
        "set on A -> waiter woken on B (%d rounds): p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
        rounds, percentile(ms, 0.5), percentile(ms, 0.99), percentile(ms, 1.0));
}

long long stored_version(const test::redis_server& redis) {
    asio::io_context io;
    auto f = asio::co_spawn(
        io,
        [](std::string url) -> asio::awaitable<long long> {
            redis::connection c(co_await asio::this_coro::executor);
            co_await c.connect(redis::endpoint::parse(url), 2s);
            auto r = co_await c.command("HGET", "bench:event", "version");
            co_return std::stoll(std::string(r.text()));
        }(redis.url()),
        asio::use_future);
    io.run();
    return f.get();
}

void throughput(instance& a, const test::redis_server& redis, int sets) {
    const long long before = stored_version(redis);
    const auto start = clock_type::now();
    for (int i = 0; i < sets; ++i)
        i % 2 ? a.ev.clear() : a.ev.set();
    while (stored_version(redis) < before + sets)
        std::this_thread::sleep_for(5ms);
    const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    std::printf("%d sets through one Redis: %.2f s, %.0f sets/s\n", sets, seconds, sets / seconds);
}

template <class Event>
double is_set_ns(Event& ev, long n) {
    long count = 0;
    const auto start = clock_type::now();
    for (long i = 0; i < n; ++i)
        count += ev.is_set();
    const auto elapsed =
        std::chrono::duration<double, std::nano>(clock_type::now() - start).count();
    if (count != n) std::abort();
    return elapsed / n;
}

template <class Event>
double wait_ns(Event& ev, long n) {
    asio::io_context io;
    double result = 0;
    asio::co_spawn(
        io,
        [](Event& ev, long n, double& result) -> asio::awaitable<void> {
            const auto start = clock_type::now();
            for (long i = 0; i < n; ++i)
                co_await ev.wait();
            result =
                std::chrono::duration<double, std::nano>(clock_type::now() - start).count() / n;
        }(ev, n, result),
        asio::detached);
    io.run();
    return result;
}

template <class F>
double best_of(int runs, F measure) {
    double best = 1e300;
    for (int i = 0; i < runs; ++i)
        best = std::min(best, measure());
    return best;
}

void read_cost(instance& a) {
    event local;
    local.set();
    a.ev.set();
    until([&] { return a.ev.is_set(); });
    const long n = 200'000'000, waits = 2'000'000;
    const double local_is_set = best_of(5, [&] { return is_set_ns(local, n); });
    const double shared_is_set = best_of(5, [&] { return is_set_ns(a.ev, n); });
    const double local_wait = best_of(5, [&] { return wait_ns(local, waits); });
    const double shared_wait = best_of(5, [&] { return wait_ns(a.ev, waits); });
    std::printf("is_set(): local %.3f ns, shared %.3f ns (%.2fx)\n", local_is_set, shared_is_set,
                shared_is_set / local_is_set);
    std::printf("co_await wait() on a set event: local %.1f ns, shared %.1f ns (%.2fx)\n",
                local_wait, shared_wait, shared_wait / local_wait);
}

} // namespace

int main(int argc, char** argv) {
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 1000;
    test::redis_server redis;
    instance a, b;
    for (auto* i : {&a, &b})
        asio::co_spawn(i->io, i->ev.connect(i->io.get_executor(), redis.url()), asio::use_future)
            .get();
    latency(a, b, rounds);
    throughput(a, redis, 100'000);
    read_cost(a);
}
