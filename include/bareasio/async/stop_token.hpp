// stop_source / stop_token: the stop signal a background service watches,
// and the one a request carries while the server drains (req.stopping()).
// `co_await token.wait_for(1s)` sleeps for at most a second and returns true
// as soon as stop is requested; it is the seed's "cancellation event plus
// sleep" loop in one line. until_stopped (wait_for.hpp) runs any awaitable
// until a stop. Built on bareasio::event, so it has the same
// guarantee: request_stop() is safe from any thread and each waiter resumes
// on its own executor.
#pragma once

#include <bareasio/async/event.hpp>

#include <chrono>
#include <memory>

namespace bareasio {

class stop_token {
public:
    // A token nobody can stop: its waits end only when cancelled.
    stop_token() = default;

    bool stop_requested() const noexcept { return stop_ && stop_->is_set(); }

    // Completes once stop is requested (at once if it already was). Resumes
    // on the calling coroutine's executor; throws system_error
    // (operation_aborted) if the caller is cancelled. The awaitable holds
    // the stop state: the token itself may be a temporary.
    asio::awaitable<void> wait() const { return wait_on(state()); }

    // Waits up to `timeout`; returns true if stop was requested, false if
    // the time simply ran out. Resumes on the calling coroutine's executor;
    // throws system_error (operation_aborted) if the caller is cancelled.
    template <class Rep, class Period>
    asio::awaitable<bool> wait_for(std::chrono::duration<Rep, Period> timeout) const {
        return wait_for_on(state(), timeout);
    }

private:
    std::shared_ptr<event> state() const { return stop_ ? stop_ : std::make_shared<event>(); }

    static asio::awaitable<void> wait_on(std::shared_ptr<event> stop) { co_await stop->wait(); }

    template <class Rep, class Period>
    static asio::awaitable<bool> wait_for_on(std::shared_ptr<event> stop,
                                             std::chrono::duration<Rep, Period> timeout) {
        co_return co_await stop->wait_for(timeout);
    }

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
