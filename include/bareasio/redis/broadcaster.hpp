// redis::broadcaster: messages on named channels, across every process that
// names the same Redis (what encode/broadcaster and Django Channels' groups
// give Python): publish() from any thread, subscribe() to read a channel as
// an async stream on any loop.
//     struct state { redis::broadcaster rooms; };
//     app.lifespan.add("redis",
//         [&](lifespan_context& ctx) { return ctx.info<state>().rooms.connect(ctx.executor, url); },
//         [](lifespan_context& ctx) { return ctx.info<state>().rooms.close(); });
//     auto sub = rooms.subscribe("chat:lobby");             // in a WebSocket handler
//     while (auto m = co_await sub.next()) co_await ws.send(shared_message(m->payload()));
//     rooms.publish("chat:lobby", "hello");                 // anywhere; never waits
// Until connect(), and after close(), it is a broadcast within the process.
// Connected, a publish reaches this process's subscribers at once and the
// other processes' through Redis (PUBLISH on one pipelined connection,
// shared by every publisher); each process subscribes to a channel once,
// however many subscribers it has, and skips its own messages coming back.
// What is delivered: each message at most once to each subscriber, in the
// order one process published them. What is lost:
//  - while Redis is unreachable (logged, then reconnected in the
//    background): messages published here reach only this process's
//    subscribers (counted in the log), and messages published elsewhere
//    do not arrive; the first message after it is marked after_gap();
//  - a subscriber that falls behind (more than subscriber_queue_bytes
//    waiting) loses the newest messages, counted in the next message it
//    gets (dropped()) and logged: it never grows without bound.
// Payloads are shared, never copied per subscriber (payload()).
// Link: libbareasio_redis and hiredis (meson: bareasio_redis_dep).
// Thread safety: publish(), subscribe() and the subscriptions' next() from
// any thread; connect() and close() must not overlap each other.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace bareasio::redis {

struct broadcaster_options {
    // How long connect() keeps trying (startup fails past it).
    std::chrono::milliseconds connect_timeout{5000};
    // The delay before reconnecting, doubling up to the maximum.
    std::chrono::milliseconds reconnect_delay{100};
    std::chrono::milliseconds max_reconnect_delay{500};
    // What one subscriber may have waiting before new messages are dropped
    // for it (a message larger than this still waits when none else does).
    std::size_t subscriber_queue_bytes = 1024 * 1024;
};

class broadcast_message {
public:
    broadcast_message(std::shared_ptr<const std::string> payload, std::uint64_t dropped,
                      bool after_gap)
        : payload_(std::move(payload)), dropped_(dropped), after_gap_(after_gap) {}

    std::string_view data() const noexcept { return *payload_; }
    // The payload, shared with every other subscriber: keep it, or hand it
    // to a WebSocket without a copy (shared_message(m.payload())).
    const std::shared_ptr<const std::string>& payload() const noexcept { return payload_; }
    // Messages dropped for this subscriber just before this one (it fell behind).
    std::uint64_t dropped() const noexcept { return dropped_; }
    // Redis was unreachable before this one: messages published elsewhere meanwhile are lost.
    bool after_gap() const noexcept { return after_gap_; }

private:
    std::shared_ptr<const std::string> payload_;
    std::uint64_t dropped_;
    bool after_gap_;
};

namespace detail {
class broadcast_link;
struct subscription_state;
std::shared_ptr<broadcast_link> make_broadcast_link(broadcaster_options options);
asio::awaitable<std::optional<broadcast_message>>
next_message(std::shared_ptr<subscription_state> state);
void end_subscription(broadcast_link& link, const std::shared_ptr<subscription_state>& state);
} // namespace detail

// One subscriber of one channel. Unsubscribes when destroyed (or cancel()).
class subscription {
public:
    subscription(subscription&&) noexcept = default;
    subscription& operator=(subscription&& other) noexcept {
        cancel();
        link_ = std::move(other.link_);
        state_ = std::move(other.state_);
        return *this;
    }
    ~subscription() { cancel(); }

    // The next message, resumed on the caller's executor; std::nullopt once
    // cancelled. One next() at a time; cancellable (a wait_for around it).
    asio::awaitable<std::optional<broadcast_message>> next() {
        return detail::next_message(state_);
    }
    // Stops the subscription: a pending next() returns std::nullopt.
    void cancel() noexcept {
        if (link_ && state_) detail::end_subscription(*link_, state_);
        link_.reset();
    }

private:
    friend class broadcaster;
    subscription(std::shared_ptr<detail::broadcast_link> link,
                 std::shared_ptr<detail::subscription_state> state)
        : link_(std::move(link)), state_(std::move(state)) {}

    std::shared_ptr<detail::broadcast_link> link_;
    std::shared_ptr<detail::subscription_state> state_;
};

class broadcaster {
public:
    explicit broadcaster(broadcaster_options options = {})
        : link_(detail::make_broadcast_link(options)) {}
    broadcaster(broadcaster&&) noexcept = default; // a moved-from one may only be destroyed
    broadcaster& operator=(broadcaster&&) = delete;
    // Stops the background tasks (without waiting) if close() was not called.
    ~broadcaster();

    // Connects to redis://[[user]:password@]host[:port][/db] with two
    // connections (publishing, subscribing), kept up by tasks on `ex` until
    // close(). Throws std::runtime_error naming the address if Redis cannot
    // be reached within options.connect_timeout, or at once if it refuses.
    asio::awaitable<void> connect(asio::any_io_executor ex, std::string url);
    // Stops the tasks and closes the connections; a process broadcast again.
    asio::awaitable<void> close();

    // Sends `payload` to every subscriber of `channel`, here and elsewhere.
    // Never waits; from any thread.
    void publish(std::string_view channel, std::string payload);
    // A subscriber of `channel` from now on.
    subscription subscribe(std::string channel);

    // Both connections are up now.
    bool connected() const noexcept;

private:
    std::shared_ptr<detail::broadcast_link> link_;
};

} // namespace bareasio::redis
