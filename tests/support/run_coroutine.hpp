// Helpers for the async tests: run one coroutine to its end on a context
// (rethrowing what it threw), and sleep inside a coroutine.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <utility>

namespace test {

template <class F>
void run_coroutine(asio::io_context& ioc, F&& f) {
    std::exception_ptr failure;
    asio::co_spawn(ioc, std::forward<F>(f), [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    ioc.restart();
    if (failure) std::rethrow_exception(failure);
}

inline asio::awaitable<void> sleep(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

} // namespace test
