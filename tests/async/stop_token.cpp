// stop_token: the stop signal a task_group gives each task.
#include <bareasio/async/stop_token.hpp>

#include "../support/alloc_counter.hpp"
#include "../support/doctest.hpp"
#include "../support/run_coroutine.hpp"
#include <bareasio/async/task_group.hpp>

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

TEST_CASE("W6 stop_token: wait_for sleeps, and wakes as soon as stop is requested") {
    asio::io_context ioc;
    stop_source source;
    bool first = true, second = false;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        first = co_await source.token().wait_for(1ms);
        asio::co_spawn(
            co_await asio::this_coro::executor,
            [&]() -> asio::awaitable<void> {
                source.request_stop();
                co_return;
            },
            asio::detached);
        second = co_await source.token().wait_for(24h);
    });
    CHECK_FALSE(first);
    CHECK(second);
}
