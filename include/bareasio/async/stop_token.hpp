// stop_source / stop_token: the stop signal a background service watches.
// `co_await token.wait_for(1s)` sleeps for at most a second and returns true
// as soon as stop is requested; it is the seed's "cancellation event plus
// sleep" loop in one line. Built on bareasio::event, so it has the same
// guarantee: request_stop() is safe from any thread and each waiter resumes
// on its own executor.
#pragma once

#include <bareasio/async/event.hpp>

#include <chrono>
#include <memory>

namespace bareasio {

class stop_token {
public:
    bool stop_requested() const noexcept { return stop_->is_set(); }

    // Completes once stop is requested (at once if it already was). Resumes
    // on the calling coroutine's executor; throws system_error
    // (operation_aborted) if the caller is cancelled.
    asio::awaitable<void> wait() const {
        auto stop = stop_; // the frame keeps the event alive
        co_await stop->wait();
    }

    // Waits up to `timeout`; returns true if stop was requested, false if
    // the time simply ran out. Resumes on the calling coroutine's executor;
    // throws system_error (operation_aborted) if the caller is cancelled.
    template <class Rep, class Period>
    asio::awaitable<bool> wait_for(std::chrono::duration<Rep, Period> timeout) const {
        auto stop = stop_;
        co_return co_await stop->wait_for(timeout);
    }

private:
    friend class stop_source;
    explicit stop_token(std::shared_ptr<event> stop) : stop_(std::move(stop)) {}
    std::shared_ptr<event> stop_;
};

class stop_source {
public:
    stop_source() : stop_(std::make_shared<event>()) {}
    void request_stop() { stop_->set(); }
    bool stop_requested() const noexcept { return stop_->is_set(); }
    stop_token token() const { return stop_token(stop_); }

private:
    std::shared_ptr<event> stop_;
};

} // namespace bareasio
