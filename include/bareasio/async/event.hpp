// bareasio::event: a manual-reset async event that cannot be "attached to a
// different loop". It holds no executor: each wait is bound to the awaiting
// coroutine's own associated executor and resumes there, so one event can be
// created anywhere (namespace scope, before any io_context exists) and waited
// on from any number of io_contexts and strands at once.
// If an io_context is destroyed while its coroutines wait on an event that
// lives on, their waits are destroyed with it (as Asio destroys pending
// operations), never resumed; other contexts' waiters are unaffected.
// Thread safety: set(), clear(), is_set() and wait() are safe from any thread.
#pragma once

#include <bareasio/async/error.hpp>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/bind_allocator.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/error.hpp>
#include <asio/execution/context.hpp>
#include <asio/execution_context.hpp>
#include <asio/query.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/recycling_allocator.hpp>
#include <asio/system_executor.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <utility>

namespace bareasio {
namespace detail {

struct event_state;
class event_service;

// A parked wait. It sits in the event's list until set(), cancellation, the
// event's destruction or its context's shutdown unlinks it; whoever unlinks
// it (under the event's mutex) owns it, so each wait has exactly one outcome.
struct event_waiter {
    event_waiter* prev = nullptr;
    event_waiter* next = nullptr;
    bool linked = false;

    // Its entry in the registry of its execution context (see event_service).
    event_service* service = nullptr;
    event_waiter* service_prev = nullptr;
    event_waiter* service_next = nullptr;
    bool registered = false;
    std::shared_ptr<event_state> state;

    // Posts the completion to the waiter's own executor; never runs it inline.
    virtual void complete(std::error_code ec) = 0;
    // Destroys the wait without resuming it: its context is shutting down.
    virtual void destroy() noexcept = 0;

protected:
    ~event_waiter() = default;
};

struct event_state : std::enable_shared_from_this<event_state> {
    std::mutex mutex;
    std::atomic<bool> set{false};
    event_waiter* head = nullptr;
    event_waiter* tail = nullptr;

    void push_back(event_waiter* w) noexcept {
        w->prev = tail;
        w->next = nullptr;
        w->linked = true;
        (tail ? tail->next : head) = w;
        tail = w;
    }

    void unlink(event_waiter* w) noexcept {
        (w->prev ? w->prev->next : head) = w->next;
        (w->next ? w->next->prev : tail) = w->prev;
        w->prev = w->next = nullptr;
        w->linked = false;
    }

    // Detaches every waiter, oldest first, as a chain through `next`.
    event_waiter* take_all() noexcept {
        event_waiter* chain = head;
        for (auto* w = head; w; w = w->next) w->linked = false;
        head = tail = nullptr;
        return chain;
    }
};

// One per execution context: the parked waits whose coroutines run there.
// When the context shuts down (io_context destroyed), their waits are
// destroyed with it instead of being left to resume into a dead context.
class event_service final : public asio::detail::execution_context_service_base<event_service> {
public:
    explicit event_service(asio::execution_context& ctx)
        : asio::detail::execution_context_service_base<event_service>(ctx) {}

    void add(event_waiter* w) {
        std::lock_guard lock(mutex_);
        w->service = this;
        w->service_prev = tail_;
        w->service_next = nullptr;
        (tail_ ? tail_->service_next : head_) = w;
        tail_ = w;
        w->registered = true;
    }

    void remove(event_waiter* w) noexcept {
        std::lock_guard lock(mutex_);
        if (!w->registered) return;
        (w->service_prev ? w->service_prev->service_next : head_) = w->service_next;
        (w->service_next ? w->service_next->service_prev : tail_) = w->service_prev;
        w->registered = false;
    }

private:
    void shutdown() override {
        event_waiter* chain;
        {
            std::lock_guard lock(mutex_);
            chain = head_;
            for (auto* w = head_; w; w = w->service_next) w->registered = false;
            head_ = tail_ = nullptr;
        }
        while (chain) {
            auto* next = chain->service_next;
            bool owned = false;
            {
                std::lock_guard lock(chain->state->mutex);
                if (chain->linked) {
                    chain->state->unlink(chain);
                    owned = true;
                }
            }
            // Not owned: set() or a cancellation already posted its completion
            // into this context, where Asio destroys it with the rest.
            if (owned) chain->destroy();
            chain = next;
        }
    }

    std::mutex mutex_;
    event_waiter* head_ = nullptr;
    event_waiter* tail_ = nullptr;
};

// Completions are posted with Asio's recycling allocator, which reuses
// memory per thread: once warm, a wake-up costs no call to operator new.
inline constexpr asio::recycling_allocator<void> completion_allocator{};

template <class Handler>
using tracked_executor_t = std::decay_t<decltype(asio::prefer(
    std::declval<asio::associated_executor_t<Handler, asio::system_executor>>(),
    asio::execution::outstanding_work.tracked))>;

// Posts `handler(ec)` to the handler's own executor (never inline). A posted
// function is outstanding work by itself: no extra work guard is needed.
template <class Handler>
void post_completion(Handler handler, std::error_code ec) {
    auto ex = asio::get_associated_executor(handler, asio::system_executor{});
    asio::post(ex, asio::bind_allocator(completion_allocator,
                                        [handler = std::move(handler), ec]() mutable {
                                            std::move(handler)(ec);
                                        }));
}

inline void complete_chain(event_waiter* chain, std::error_code ec) {
    while (chain) {
        auto* next = chain->next; // read first: complete() hands the waiter away
        chain->complete(ec);
        chain = next;
    }
}

template <class Handler>
class event_waiter_impl final : public event_waiter {
public:
    event_waiter_impl(Handler handler, std::shared_ptr<event_state> s)
        : handler_(std::move(handler)),
          // A pending wait is outstanding work, like pending I/O: its
          // io_context keeps running while the wait is parked.
          work_(asio::prefer(asio::get_associated_executor(handler_, asio::system_executor{}),
                             asio::execution::outstanding_work.tracked)) {
        state = std::move(s);
        asio::use_service<event_service>(asio::query(work_, asio::execution::context)).add(this);
    }

    ~event_waiter_impl() { service->remove(this); }

    Handler& handler() noexcept { return handler_; }

    void destroy() noexcept override {
        std::unique_ptr<event_waiter_impl> self(this); // owned by no one else now
        auto slot = asio::get_associated_cancellation_slot(handler_);
        if (slot.is_connected()) slot.clear();
    }

    void complete(std::error_code ec) override {
        auto ex = work_;
        asio::post(ex, asio::bind_allocator(completion_allocator,
                                            [self = std::unique_ptr<event_waiter_impl>(this),
                                             ec]() mutable {
            // Runs on the waiter's executor, where its cancellation slot lives.
            auto slot = asio::get_associated_cancellation_slot(self->handler_);
            if (slot.is_connected()) slot.clear();
            Handler handler = std::move(self->handler_);
            self.reset();
            std::move(handler)(ec);
        }));
    }

private:
    Handler handler_;
    tracked_executor_t<Handler> work_;
};

// Installed in the waiter's cancellation slot; holds the state alive so a
// cancellation arriving after the event was destroyed is harmless.
struct event_cancel_handler {
    std::shared_ptr<event_state> state;
    event_waiter* waiter;

    void operator()(asio::cancellation_type type) const {
        constexpr auto handled = asio::cancellation_type::terminal |
                                 asio::cancellation_type::partial | asio::cancellation_type::total;
        if ((type & handled) == asio::cancellation_type::none) return;
        {
            std::lock_guard lock(state->mutex);
            if (!waiter->linked) return; // already completed by set() or destruction
            state->unlink(waiter);
        }
        waiter->complete(asio::error::operation_aborted);
    }
};

} // namespace detail

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
            [state = state_.get()](auto handler) { initiate(*state, std::move(handler)); },
            token);
    }

private:
    template <class Handler>
    static void initiate(detail::event_state& state, Handler handler) {
        // Already set: complete without parking a waiter (no allocation once
        // warm), but still through the handler's executor, never inline.
        if (state.set.load(std::memory_order_acquire)) {
            detail::post_completion(std::move(handler), {});
            return;
        }
        auto shared = state.shared_from_this();
        auto waiter =
            std::make_unique<detail::event_waiter_impl<Handler>>(std::move(handler), shared);
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
