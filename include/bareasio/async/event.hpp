// bareasio::event: a manual-reset async event that cannot be "attached to a
// different loop". It holds no executor: each wait is bound to the awaiting
// coroutine's own associated executor and resumes there, so one event can be
// created anywhere (namespace scope, before any io_context exists) and waited
// on from any number of io_contexts and strands at once.
// If an io_context is destroyed while its coroutines wait on an event that
// lives on, their waits are destroyed with it (as Asio destroys pending
// operations), never resumed; other contexts' waiters are unaffected.
//     bareasio::event changed;                   // anywhere, even at namespace scope
//     co_await changed.wait();                   // resumes on this coroutine's executor
//     bool set = co_await changed.wait_for(5s);  // false: the time passed first
//     changed.set();                             // from any thread
// Its machinery (parked waits, the per-context service, the completions)
// is in async/detail/event_waiters.hpp.
// Thread safety: set(), clear(), is_set() and wait() are safe from any thread.
#pragma once

#include <bareasio/async/detail/event_waiters.hpp>
#include <bareasio/async/error.hpp>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/async_result.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <utility>

namespace bareasio {

class event {
public:
    event() : state_(std::make_shared<detail::event_state>()) {}
    event(event&&) noexcept = default; // a moved-from event may only be destroyed
    event& operator=(event&&) = delete;
    event(const event&) = delete;
    event& operator=(const event&) = delete;

    // Waiters still parked complete with errc::event_destroyed, each on its
    // own executor.
    ~event() {
        if (!state_) return;
        detail::event_waiter* chain;
        {
            std::lock_guard lock(state_->mutex);
            chain = state_->take_all();
        }
        detail::complete_chain(chain, errc::event_destroyed);
    }

    // Sets the event and releases every waiter in FIFO order. Never resumes
    // a waiter inline: each completion is posted to the waiter's executor.
    void set() {
        detail::event_waiter* chain;
        {
            std::lock_guard lock(state_->mutex);
            state_->set.store(true, std::memory_order_release);
            chain = state_->take_all();
        }
        detail::complete_chain(chain, {});
    }

    void clear() noexcept {
        std::lock_guard lock(state_->mutex);
        state_->set.store(false, std::memory_order_release);
    }

    bool is_set() const noexcept { return state_->set.load(std::memory_order_acquire); }

    // Waits until the event is set. Completion signature: void(error_code).
    // Resumes on the executor associated with the completion handler (for a
    // coroutine: its own executor; for a plain callback without one: the
    // system executor), never inside set() and never inside this call, even
    // when the event is already set. Supports per-operation cancellation
    // (terminal, partial, total), which completes only this wait with
    // asio::error::operation_aborted; destroying the event completes it
    // with errc::event_destroyed. With use_awaitable (the default) those
    // errors are thrown as std::system_error.
    template <class CompletionToken = asio::use_awaitable_t<>>
    auto wait(CompletionToken&& token = {}) {
        // The state is taken by pointer: the event must outlive the wait's
        // start (as any Asio I/O object must); a parked wait holds it alive.
        return asio::async_initiate<CompletionToken, void(std::error_code)>(
            [state = state_.get()](auto handler) { initiate(*state, std::move(handler)); }, token);
    }

    // Waits until the event is set or `timeout` passes, whichever is first.
    // Completion signature: void(error_code, bool was_set); with
    // use_awaitable, `bool set = co_await ev.wait_for(100ms);`. Resumes on
    // the handler's executor like wait(), never inline; a timeout is not an
    // error (it completes with false). Cancellation completes with
    // operation_aborted, the event's destruction with errc::event_destroyed.
    // Once warm, it costs no allocation whether it is set or times out.
    template <class Rep, class Period, class CompletionToken = asio::use_awaitable_t<>>
    auto wait_for(std::chrono::duration<Rep, Period> timeout, CompletionToken&& token = {}) {
        return wait_until(std::chrono::steady_clock::now() +
                              std::chrono::ceil<std::chrono::steady_clock::duration>(timeout),
                          std::forward<CompletionToken>(token));
    }

    // The same with an absolute deadline.
    template <class CompletionToken = asio::use_awaitable_t<>>
    auto wait_until(std::chrono::steady_clock::time_point deadline, CompletionToken&& token = {}) {
        return asio::async_initiate<CompletionToken, void(std::error_code, bool)>(
            [state = state_.get(), deadline](auto handler) {
                initiate_timed(*state, std::move(handler), deadline);
            },
            token);
    }

private:
    template <class Handler>
    static void initiate(detail::event_state& state, Handler handler) {
        // Already set: complete without parking a waiter (no allocation once
        // warm), but still through the handler's executor, never inline.
        if (state.set.load(std::memory_order_acquire)) {
            detail::post_completion(std::move(handler), std::error_code{});
            return;
        }
        auto shared = state.shared_from_this();
        detail::recycled_ptr<detail::event_waiter_impl<Handler>> waiter(
            detail::make_recycled<detail::event_waiter_impl<Handler>>(std::move(handler), shared));
        park(state, std::move(shared), std::move(waiter));
    }

    template <class Handler>
    static void initiate_timed(detail::event_state& state, Handler handler,
                               std::chrono::steady_clock::time_point deadline) {
        if (state.set.load(std::memory_order_acquire)) {
            detail::post_completion(std::move(handler), std::error_code{}, true);
            return;
        }
        auto shared = state.shared_from_this();
        detail::recycled_ptr<detail::timed_waiter_impl<Handler>> waiter(
            detail::make_recycled<detail::timed_waiter_impl<Handler>>(std::move(handler), shared,
                                                                      deadline));
        waiter->start_timer(); // before it is linked: see timed_waiter_impl
        park(state, std::move(shared), std::move(waiter));
    }

    // Links a new waiter, or completes it at once if the event was set
    // meanwhile; installs its cancellation handler.
    template <class Waiter>
    static void park(detail::event_state& state, std::shared_ptr<detail::event_state> shared,
                     detail::recycled_ptr<Waiter> waiter) {
        auto slot = asio::get_associated_cancellation_slot(waiter->handler());
        {
            std::lock_guard lock(state.mutex);
            if (!state.set.load(std::memory_order_relaxed)) {
                if (slot.is_connected())
                    slot.template emplace<detail::event_cancel_handler>(std::move(shared),
                                                                        waiter.get());
                state.push_back(waiter.release());
                return;
            }
        }
        waiter.release()->complete({});
    }

    std::shared_ptr<detail::event_state> state_;
};

} // namespace bareasio
