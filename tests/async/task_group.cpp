// task_group: named tasks with a stop_token each, joined, failures reported.
#include <bareasio/async/task_group.hpp>

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

TEST_CASE("G2 G3 task_group: stop_and_join stops cooperative tasks and cancels the rest") {
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
        CHECK(group.failures().empty()); // the group's own cancellation is no failure
    });
    CHECK(log ==
          std::vector<std::string>{"polite started", "polite stopped", "stubborn cancelled"});
}

TEST_CASE("G3 task_group: a failing task is reported with its name, and join rethrows it") {
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

TEST_CASE("G1 task_group: spawn keeps the callable and its captures alive") {
    asio::io_context ioc;
    std::string seen;
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
        task_group group(co_await asio::this_coro::executor);
        {
            std::string message = "captured by value";
            // A temporary lambda whose captures would dangle after the first
            // suspension if spawn did not own it (ASan would report it).
            group.spawn("capture", [message, &seen](stop_token) -> asio::awaitable<void> {
                co_await sleep(2ms);
                seen = message;
            });
        }
        co_await group.join();
    });
    CHECK(seen == "captured by value");
}

TEST_CASE("G2 task_group: request_stop and cancel work from another thread") {
    asio::io_context ioc;
    std::vector<std::string> log;
    std::atomic<bool> started{false};
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            task_group group(co_await asio::this_coro::executor);
            group.spawn("polite", [&](stop_token stop) -> asio::awaitable<void> {
                co_await stop.wait();
                log.push_back("polite stopped");
            });
            group.spawn("stubborn", [&](stop_token) -> asio::awaitable<void> {
                event never;
                started = true;
                try {
                    co_await never.wait();
                } catch (const std::system_error&) {
                    log.push_back("stubborn cancelled");
                    throw;
                }
            });
            std::thread other([&] {
                while (!started)
                    std::this_thread::sleep_for(1ms);
                group.request_stop();
                group.cancel();
            });
            co_await group.join();
            other.join();
            CHECK(group.failures().empty());
        },
        asio::detached);
    ioc.run();
    CHECK(log.size() == 2);
}

#ifndef NDEBUG
TEST_CASE("G4 task_group: destroying a group with running tasks is a programming error") {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) { // the child breaks the rule and must die by the assertion
        std::freopen("/dev/null", "w", stderr);
        asio::io_context ioc;
        {
            task_group group(ioc.get_executor());
            group.spawn("forgotten",
                        [](stop_token stop) -> asio::awaitable<void> { co_await stop.wait(); });
            ioc.poll();
        }
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    // Killed by SIGABRT, or (under TSan, which handles the abort itself) a
    // non-zero exit: either way the child never got past the destruction.
    const bool clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    CHECK_FALSE(clean_exit);
    if (WIFSIGNALED(status)) CHECK(WTERMSIG(status) == SIGABRT);
}
#endif
