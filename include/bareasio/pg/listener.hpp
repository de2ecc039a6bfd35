// pg::listener: PostgreSQL's LISTEN/NOTIFY as an async stream, a second
// way (beside Redis) to learn of changes other processes make. Made by
// pool::listen, from any thread; the pool LISTENs on a connection of its
// own, and again after it reconnects.
//     auto changes = db.listen("notes_changed");   // NOTIFY notes_changed, 'id 7'
//     while (auto n = co_await changes.next())
//         notes_changed.notify();                  // a bareasio::notifier, say
// What is delivered: each notification once, in the order PostgreSQL sent
// it, to every listener of its channel. What is lost: notifications sent
// while the connection was down (the next one says after_gap()), and
// those that arrive while the listener holds 1 MiB unread (the next one
// says how many were dropped()).
// Thread safety: next() from one coroutine at a time (any executor);
// cancellable (a wait_for around it). Ends (next() returns std::nullopt)
// when the pool is closed or the listener cancelled.
#pragma once

#include <asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace bareasio::pg {

struct notification {
    std::string channel;
    std::string payload;
    // Notifications dropped for this listener just before this one (it fell behind).
    std::uint64_t dropped = 0;
    // The connection was lost before this one: notifications sent meanwhile are lost.
    bool after_gap = false;
};

namespace detail {
struct listen_queue;
asio::awaitable<std::optional<notification>> next_notification(std::shared_ptr<listen_queue> q);
void end_listening(listen_queue& q) noexcept;
} // namespace detail

class listener {
public:
    explicit listener(std::shared_ptr<detail::listen_queue> q) : q_(std::move(q)) {}
    listener(listener&&) noexcept = default;
    listener& operator=(listener&&) noexcept = default;
    ~listener() { cancel(); }

    // The next notification; std::nullopt once the listener ended.
    asio::awaitable<std::optional<notification>> next() { return detail::next_notification(q_); }
    // Ends it: a pending next() returns std::nullopt.
    void cancel() noexcept {
        if (q_) detail::end_listening(*q_);
    }

private:
    std::shared_ptr<detail::listen_queue> q_;
};

} // namespace bareasio::pg
