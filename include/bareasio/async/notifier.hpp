// bareasio::notifier: "wait for the next change", for any number of waiters
// on any number of loops. notify() wakes every wait for the change it
// ends; a wait that starts later waits for the following one. Unlike an
// event, nothing is left set for the next waiter to clear.
//
// To miss no change between reading a state and waiting, take the change
// first, then read, then wait:
//     auto change = notes_changed.next();   // the next notify() from now on
//     co_await out.write(render(notes));    // read the state
//     co_await change.wait();               // at once if it changed meanwhile
// `co_await n.wait()` is next().wait() for when nothing is read before.
// Like event, a notifier holds no executor: each wait resumes on the
// awaiting coroutine's executor, and a notifier may be created anywhere
// (namespace scope, before any io_context exists).
// Thread safety: notify(), next() and the waits are safe from any thread.
#pragma once

#include <bareasio/async/event.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <utility>

namespace bareasio {

class notifier {
public:
    // The next notify() after it was taken. Copyable; any number of
    // coroutines may wait on one. The awaitables hold the change, so it may
    // be a temporary.
    class change {
    public:
        // Whether notify() was called since the change was taken.
        bool happened() const noexcept { return fired_->is_set(); }

        // Completes once it happened (at once if it already has). Throws
        // system_error (operation_aborted) if the caller is cancelled.
        asio::awaitable<void> wait() const { return wait_on(fired_); }

        // Waits up to `timeout`; true if it happened, false if the time ran
        // out (to send a keep-alive, say).
        template <class Rep, class Period>
        asio::awaitable<bool> wait_for(std::chrono::duration<Rep, Period> timeout) const {
            return wait_for_on(fired_, timeout);
        }

    private:
        friend class notifier;
        explicit change(std::shared_ptr<event> fired) : fired_(std::move(fired)) {}

        static asio::awaitable<void> wait_on(std::shared_ptr<event> fired) {
            co_await fired->wait();
        }
        template <class Rep, class Period>
        static asio::awaitable<bool> wait_for_on(std::shared_ptr<event> fired,
                                                 std::chrono::duration<Rep, Period> timeout) {
            co_return co_await fired->wait_for(timeout);
        }

        std::shared_ptr<event> fired_;
    };

    notifier() = default;
    notifier(const notifier&) = delete;
    notifier& operator=(const notifier&) = delete;

    change next() const {
        std::lock_guard lock(mutex_);
        return change(next_);
    }

    // Wakes every wait on the change taken before this call. Each waiter
    // resumes on its own executor, never inside notify().
    void notify() {
        auto fresh = std::make_shared<event>(); // allocated outside the lock
        std::shared_ptr<event> fired;
        {
            std::lock_guard lock(mutex_);
            fired = std::exchange(next_, std::move(fresh));
        }
        fired->set();
    }

    asio::awaitable<void> wait() const { return next().wait(); }

    template <class Rep, class Period>
    asio::awaitable<bool> wait_for(std::chrono::duration<Rep, Period> timeout) const {
        return next().wait_for(timeout);
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<event> next_ = std::make_shared<event>();
};

} // namespace bareasio
