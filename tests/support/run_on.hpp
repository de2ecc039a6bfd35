// Runs a coroutine on a loop that another thread runs and waits for it here.
// A failure comes back as a fresh std::runtime_error with the same message,
// made on this thread: an exception handed over through a future is freed by
// whichever thread lets it go last, through reference counts inside libstdc++
// that ThreadSanitizer cannot see, and it reports a race that is not there.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/use_future.hpp>

#include <exception>
#include <optional>
#include <stdexcept>
#include <string>

namespace test {

template <class Executor>
void run_on(const Executor& ex, asio::awaitable<void> work) {
    auto failure = asio::co_spawn(
                       ex,
                       [&]() -> asio::awaitable<std::optional<std::string>> {
                           try {
                               co_await std::move(work);
                           } catch (const std::exception& e) {
                               co_return std::string(e.what());
                           }
                           co_return std::nullopt;
                       },
                       asio::use_future)
                       .get();
    if (failure) throw std::runtime_error(*failure);
}

} // namespace test
