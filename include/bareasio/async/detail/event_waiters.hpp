// The machinery behind bareasio::event (async/event.hpp), which users
// never name: parked waits (event_waiter and its two implementations, the
// plain and the timed wait), the state an event shares with them, the
// per-context service that destroys waits whose context shuts down, and
// the completions, posted with one post per executor and Asio's recycling
// allocator.
// Thread safety: an event_state's list is guarded by its mutex; the rest
// as each part says.
#pragma once

#include <bareasio/async/error.hpp>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/basic_waitable_timer.hpp>
#include <asio/bind_allocator.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/error.hpp>
#include <asio/execution/context.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/execution_context.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/query.hpp>
#include <asio/recycling_allocator.hpp>
#include <asio/system_executor.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/wait_traits.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
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

    // Posts the completion of this waiter and of every waiter chained after
    // it through `next` (all bound to this waiter's executor) to that
    // executor in one post; never runs anything inline.
    virtual void post_chain(std::error_code ec) = 0;
    // Completes this waiter inline and frees it; called on its executor.
    virtual void run(std::error_code ec) = 0;
    // Destroys the wait without resuming it: its context is shutting down.
    virtual void destroy() noexcept = 0;
    // Whether `other` resumes on an executor equal to this waiter's, so the
    // two can share one post.
    virtual bool same_executor(const event_waiter& other) const noexcept = 0;
    // The executor's type (a unique address per type) and the executor.
    virtual const void* executor_tag() const noexcept = 0;
    virtual const void* executor_address() const noexcept = 0;

    void complete(std::error_code ec) {
        next = nullptr;
        post_chain(ec);
    }

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
        for (auto* w = head; w; w = w->next)
            w->linked = false;
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
            for (auto* w = head_; w; w = w->service_next)
                w->registered = false;
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

// Waiters are allocated the same way: a coroutine that parks and wakes in a
// loop reuses one block and never calls the allocator once warm.
template <class T, class... Args>
T* make_recycled(Args&&... args) {
    using traits = std::allocator_traits<asio::recycling_allocator<T>>;
    asio::recycling_allocator<T> alloc;
    T* p = traits::allocate(alloc, 1);
    try {
        traits::construct(alloc, p, std::forward<Args>(args)...);
    } catch (...) {
        traits::deallocate(alloc, p, 1);
        throw;
    }
    return p;
}

struct recycled_delete {
    template <class T>
    void operator()(T* p) const noexcept {
        using traits = std::allocator_traits<asio::recycling_allocator<T>>;
        asio::recycling_allocator<T> alloc;
        traits::destroy(alloc, p);
        traits::deallocate(alloc, p, 1);
    }
};

template <class T>
using recycled_ptr = std::unique_ptr<T, recycled_delete>;

template <class Handler>
using tracked_executor_t = std::decay_t<decltype(asio::prefer(
    std::declval<asio::associated_executor_t<Handler, asio::system_executor>>(),
    asio::execution::outstanding_work.tracked))>;

// Posts `handler(args...)` to the handler's own executor (never inline). A
// posted function is outstanding work by itself: no extra work guard is needed.
template <class Handler, class... Args>
void post_completion(Handler handler, Args... args) {
    auto ex = asio::get_associated_executor(handler, asio::system_executor{});
    asio::post(ex, asio::bind_allocator(completion_allocator,
                                        [handler = std::move(handler), args...]() mutable {
                                            std::move(handler)(args...);
                                        }));
}

// Completes a detached chain of waiters with one post per executor rather
// than one per waiter: a post from a foreign thread takes the scheduler's
// lock and may wake it, which dominated releasing many waiters. Waiters are
// grouped among the last few distinct executors seen (a bounded scan, so
// 100,000 waiters on 100,000 strands stay linear); FIFO order holds within
// each executor because a group is posted before any later one for it.
inline void complete_chain(event_waiter* chain, std::error_code ec) {
    struct group {
        event_waiter* head;
        event_waiter* tail;
    };
    constexpr std::size_t max_groups = 8;
    group groups[max_groups];
    std::size_t count = 0;
    while (chain) {
        auto* w = chain;
        chain = chain->next;
        w->next = nullptr;
        group* g = nullptr;
        for (std::size_t i = count; i-- > 0;)
            if (groups[i].head->same_executor(*w)) {
                g = &groups[i];
                break;
            }
        if (g) {
            g->tail->next = w;
            g->tail = w;
            continue;
        }
        if (count == max_groups) { // flush the oldest group to make room
            groups[0].head->post_chain(ec);
            for (std::size_t i = 1; i < count; ++i)
                groups[i - 1] = groups[i];
            --count;
        }
        groups[count++] = {w, w};
    }
    for (std::size_t i = 0; i < count; ++i)
        groups[i].head->post_chain(ec);
}

// Runs a posted chain on its executor. If it is destroyed unrun (the
// context is shutting down), its waits are destroyed, not resumed; if a
// handler throws, the rest of the chain is posted again before the
// exception leaves, so no waiter is lost.
class chain_runner {
public:
    chain_runner(event_waiter* head, std::error_code ec) noexcept : head_(head), ec_(ec) {}
    chain_runner(chain_runner&& other) noexcept
        : head_(std::exchange(other.head_, nullptr)), ec_(other.ec_) {}
    chain_runner& operator=(chain_runner&&) = delete;
    ~chain_runner() {
        while (head_)
            std::exchange(head_, head_->next)->destroy();
    }

    void operator()() {
        while (head_) {
            auto* w = std::exchange(head_, head_->next);
            try {
                w->run(ec_);
            } catch (...) {
                if (head_) std::exchange(head_, nullptr)->post_chain(ec_);
                throw;
            }
        }
    }

private:
    event_waiter* head_;
    std::error_code ec_;
};

template <class Executor>
inline constexpr char executor_type_tag = 0;

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
        recycled_ptr<event_waiter_impl> self(this); // owned by no one else now
        auto slot = asio::get_associated_cancellation_slot(handler_);
        if (slot.is_connected()) slot.clear();
    }

    void post_chain(std::error_code ec) override {
        auto ex = work_;
        asio::post(ex, asio::bind_allocator(completion_allocator, chain_runner(this, ec)));
    }

    void run(std::error_code ec) override {
        recycled_ptr<event_waiter_impl> self(this);
        // Runs on the waiter's executor, where its cancellation slot lives.
        auto slot = asio::get_associated_cancellation_slot(handler_);
        if (slot.is_connected()) slot.clear();
        Handler handler = std::move(handler_);
        self.reset();
        std::move(handler)(ec);
    }

    bool same_executor(const event_waiter& other) const noexcept override {
        if (other.executor_tag() != executor_tag()) return false;
        return *static_cast<const executor_type*>(other.executor_address()) == work_;
    }

private:
    using executor_type = tracked_executor_t<Handler>;
    const void* executor_tag() const noexcept override { return &executor_type_tag<executor_type>; }
    const void* executor_address() const noexcept override { return &work_; }

    Handler handler_;
    executor_type work_;
};

// A parked wait with a deadline: the event's own timed wait, completing
// with (error, was_set). Two parties share it: the wait side (set(),
// cancellation or the event's destruction unlink it and call run()) and
// the timer. Whoever unlinks it from the event decides the outcome; the last
// of the two to finish delivers it. On set(), run() cancels the timer and
// the timer's aborted completion delivers: by then Asio has freed the
// timer's operation and this waiter is freed before the handler runs, so a
// coroutine waiting in a loop reuses the same recycled blocks (no
// allocation once warm). The timer starts before the wait is linked, so a
// run() that cancels it always finds it started.
template <class Handler>
class timed_waiter_impl final : public event_waiter {
    using executor_type = tracked_executor_t<Handler>;
    using timer_type = asio::basic_waitable_timer<std::chrono::steady_clock,
                                                  asio::wait_traits<std::chrono::steady_clock>,
                                                  asio::any_io_executor>;

public:
    timed_waiter_impl(Handler handler, std::shared_ptr<event_state> s,
                      std::chrono::steady_clock::time_point deadline)
        : handler_(std::move(handler)),
          work_(asio::prefer(asio::get_associated_executor(handler_, asio::system_executor{}),
                             asio::execution::outstanding_work.tracked)),
          timer_(asio::any_io_executor(
                     asio::get_associated_executor(handler_, asio::system_executor{})),
                 deadline) {
        state = std::move(s);
        asio::use_service<event_service>(asio::query(work_, asio::execution::context)).add(this);
    }

    ~timed_waiter_impl() { service->remove(this); }

    Handler& handler() noexcept { return handler_; }

    void start_timer() {
        // The timer was made on the handler's executor, so its completion
        // runs there without a second hop.
        timer_.async_wait(asio::bind_allocator(completion_allocator, timer_handler(this)));
    }

    void post_chain(std::error_code ec) override {
        auto ex = work_;
        asio::post(ex, asio::bind_allocator(completion_allocator, chain_runner(this, ec)));
    }

    // Set, cancelled or destroyed: the wait was unlinked by someone else.
    void run(std::error_code ec) override {
        result_ = ec;
        was_set_ = !ec;
        timer_.cancel();
        release(1);
    }

    // The wait side ends unrun (its context is going away): drop its share;
    // the timer's handler, destroyed unrun with the same context, drops the
    // other, and the last one frees the waiter without resuming anyone.
    void destroy() noexcept override { drop(1); }

    bool same_executor(const event_waiter& other) const noexcept override {
        if (other.executor_tag() != executor_tag()) return false;
        return *static_cast<const executor_type*>(other.executor_address()) == work_;
    }

private:
    const void* executor_tag() const noexcept override { return &executor_type_tag<executor_type>; }
    const void* executor_address() const noexcept override { return &work_; }

    // The timer's completion handler owns the timer's share: run, it hands
    // it to on_timer(); destroyed unrun (context shutdown), it drops it.
    class timer_handler {
    public:
        explicit timer_handler(timed_waiter_impl* w) noexcept : w_(w) {}
        timer_handler(timer_handler&& other) noexcept : w_(std::exchange(other.w_, nullptr)) {}
        timer_handler& operator=(timer_handler&&) = delete;
        ~timer_handler() {
            if (w_) w_->drop(1);
        }
        void operator()(std::error_code ec) { std::exchange(w_, nullptr)->on_timer(ec); }

    private:
        timed_waiter_impl* w_;
    };

    // Gives up shares without delivering anything; the last frees the waiter.
    void drop(int shares) noexcept {
        if (refs_.fetch_sub(shares, std::memory_order_acq_rel) != shares) return;
        clear_slot();
        recycled_ptr<timed_waiter_impl>{this}.reset();
    }

    void on_timer(std::error_code ec) {
        bool timed_out = false;
        if (!ec) { // expired: a time-out, unless set() or a cancellation won
            std::lock_guard lock(state->mutex);
            if (linked) {
                state->unlink(this);
                timed_out = true;
            }
        }
        // A time-out owns both shares: nobody will call run().
        release(timed_out ? 2 : 1);
    }

    // The last share delivers the outcome recorded by whoever decided it.
    void release(int shares) {
        if (refs_.fetch_sub(shares, std::memory_order_acq_rel) != shares) return;
        clear_slot();
        Handler handler = std::move(handler_);
        const auto ec = result_;
        const bool was_set = was_set_;
        recycled_ptr<timed_waiter_impl>{this}.reset();
        std::move(handler)(ec, was_set);
    }

    void clear_slot() noexcept {
        auto slot = asio::get_associated_cancellation_slot(handler_);
        if (slot.is_connected()) slot.clear();
    }

    Handler handler_;
    executor_type work_;
    timer_type timer_;
    std::atomic<int> refs_{2};
    std::error_code result_; // written by the decider, read by the last share
    bool was_set_ = false;
};

// Installed in the waiter's cancellation slot; holds the state alive so a
// cancellation arriving after the event was destroyed is harmless.
struct event_cancel_handler {
    // A constructor, not an aggregate: Asio's emplace() uses parentheses,
    // which clang before 16 does not accept for aggregates.
    event_cancel_handler(std::shared_ptr<event_state> s, event_waiter* w) noexcept
        : state(std::move(s)), waiter(w) {}

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

} // namespace bareasio
