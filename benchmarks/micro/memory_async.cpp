// Memory figures the micro-benchmarks cannot see (Asio allocates coroutine
// frames outside operator new): resident memory per coroutine parked on an
// event, against one parked on a timer, and resident memory across
// 1,000,000 timed-out wait_for calls (it must stay flat). Each figure comes
// from this fresh process's /proc/self/statm.
#include <bareasio/async.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <cstdio>
#include <fstream>
#include <string>

#include <unistd.h>

using namespace bareasio;
using namespace std::chrono_literals;

namespace {

long rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    long size = 0, resident = 0;
    statm >> size >> resident;
    return resident * sysconf(_SC_PAGESIZE);
}

constexpr int parked = 100'000;

template <class Park, class Wake>
double bytes_per_parked(Park park, Wake wake) {
    asio::io_context ioc(1);
    const long before = rss_bytes();
    for (int i = 0; i < parked; ++i)
        asio::co_spawn(
            ioc, [&]() -> asio::awaitable<void> { co_await park(ioc); }, asio::detached);
    ioc.poll();
    const long after = rss_bytes();
    wake(ioc);
    ioc.run();
    return static_cast<double>(after - before) / parked;
}

} // namespace

// usage: memory_async [event|timer|timeouts]; each figure wants a fresh
// process, since a heap grown by one measurement would hide the next.
int main(int argc, char** argv) {
    const std::string what = argc > 1 ? argv[1] : "event";
    if (what == "event") {
        event ev;
        const double per = bytes_per_parked([&](asio::io_context&) { return ev.wait(); },
                                            [&](asio::io_context&) { ev.set(); });
        std::printf("resident bytes per coroutine parked on an event: %.0f (100,000 parked)\n",
                    per);
    } else if (what == "timer") {
        std::unique_ptr<asio::steady_timer> timer;
        const double per = bytes_per_parked(
            [&](asio::io_context& ioc) {
                if (!timer)
                    timer = std::make_unique<asio::steady_timer>(
                        ioc, asio::steady_timer::time_point::max());
                return timer->async_wait(asio::use_awaitable);
            },
            [&](asio::io_context&) { timer->cancel(); });
        std::printf(
            "resident bytes per coroutine parked on a timer:  %.0f (100,000 parked; reference)\n",
            per);
    } else {
        event never;
        long rss_after_warmup = 0, rss_end = 0;
        asio::io_context ioc(1);
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                for (int i = 0; i < 10'000; ++i)
                    co_await wait_for(never.wait(), 0ms, ignore_timeout);
                rss_after_warmup = rss_bytes();
                for (int i = 0; i < 1'000'000; ++i)
                    co_await wait_for(never.wait(), 0ms, ignore_timeout);
                rss_end = rss_bytes();
            },
            asio::detached);
        ioc.run();
        std::printf("RSS after 10,000 timed-out wait_for: %ld KiB; after 1,000,000 more: %ld KiB "
                    "(growth %ld KiB)\n",
                    rss_after_warmup / 1024, rss_end / 1024, (rss_end - rss_after_warmup) / 1024);
    }
}
