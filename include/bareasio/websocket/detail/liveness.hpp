// liveness: the clocks of one WebSocket, and the one deadline they make.
// Three things are waited for: the client's close after ours
// (close_timeout), the message in progress while someone reads it
// (min_message_rate, the rule of transport/data_rate.hpp), and a quiet
// client (a ping after ping_interval, dropped if no byte comes within
// ping_timeout). The session tells it what happened and sets next() as its
// transport's deadline; when that passes, check() says what to do. It reads
// no clock itself: every time is given, so it is tested on times alone.
//     live.heard(now);                     // bytes came
//     conn.expires_at(live.next(state, reading));
//     switch (live.check(now, state, reading)) { case liveness::due::ping: ... }
// Thread safety: one per socket, used on its loop.
#pragma once

#include <bareasio/transport/data_rate.hpp>
#include <bareasio/websocket/options.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>

namespace bareasio::detail {

// A WebSocket's state (changed only by the session's enter()):
//   connecting  the handler has not accepted yet
//   open        messages flow both ways
//   closing     the server sent its close frame; the client's is awaited
//   closed      both close frames passed, or the connection failed or ended
enum class websocket_state { connecting, open, closing, closed };

class liveness {
public:
    using time_point = std::chrono::steady_clock::time_point;
    using state = websocket_state;

    // What a passed deadline was for.
    enum class due {
        nothing,  // not yet: a client heard from moved it later
        drop,     // the close handshake or a ping waited out: drop the socket
        too_slow, // the message in progress is below min_message_rate: 1008
        ping,     // the client was quiet for ping_interval: send a ping
    };

    explicit liveness(const websocket_options& options) : options_(options) {}

    // Bytes came from the client: it is alive, and any ping is answered.
    void heard(time_point now) noexcept {
        last_heard_ = now;
        ping_sent_ = {};
    }
    // A receive() begins: a ping sent while nobody read is timed from now.
    void reading(time_point now) noexcept {
        if (ping_sent_ != time_point{}) ping_sent_ = now;
    }
    // The session's close frame was queued.
    void closing(time_point now) noexcept { close_sent_ = now; }

    // The reader took `n` bytes of a frame or message in progress.
    void took(std::size_t n) noexcept { partial_rate_.record({}, n); }
    // The reader stopped: inside a frame or message (`partial`), or not.
    void stopped(bool partial, time_point now) noexcept {
        if (!partial) {
            whole();
        } else if (partial_since_ == time_point{}) {
            partial_since_ = now;
        }
    }
    // A whole message came: the rate check starts over.
    void whole() noexcept {
        partial_since_ = {};
        partial_rate_.reset();
    }

    // The earliest deadline for this state, or time_point::max().
    time_point next(state s, bool reading) const noexcept {
        time_point at = time_point::max();
        if (s == state::closing) at = close_sent_ + options_.close_timeout;
        if (const auto slow = rate_deadline(reading)) at = std::min(at, *slow);
        if (options_.ping_interval.count() != 0 && s == state::open) {
            if (ping_sent_ == time_point{})
                at = std::min(at, last_heard_ + options_.ping_interval);
            else if (reading)
                at = std::min(at, ping_sent_ + options_.ping_timeout);
        }
        return at;
    }

    // What is due at `now`; a ping due counts as sent.
    due check(time_point now, state s, bool reading) noexcept {
        if (s == state::closing && now >= close_sent_ + options_.close_timeout) return due::drop;
        if (const auto slow = rate_deadline(reading); slow && *slow <= now) return due::too_slow;
        if (options_.ping_interval.count() == 0 || s != state::open) return due::nothing;
        if (ping_sent_ != time_point{}) // no answer: only a pending receive() would read it
            return reading && now >= ping_sent_ + options_.ping_timeout ? due::drop : due::nothing;
        if (now < last_heard_ + options_.ping_interval) return due::nothing;
        ping_sent_ = now;
        return due::ping;
    }

private:
    // When the message (or frame) in progress falls below min_message_rate,
    // while someone reads it.
    std::optional<time_point> rate_deadline(bool reading) const noexcept {
        if (!reading || partial_since_ == time_point{}) return std::nullopt;
        const auto allowed = partial_rate_.allowance(options_.min_message_rate);
        if (allowed == rate_meter::duration::max()) return std::nullopt; // the check is off
        return partial_since_ + allowed;
    }

    const websocket_options& options_;
    time_point partial_since_{}; // the reader stopped inside a frame or message
    rate_meter partial_rate_;    // its bytes since then
    time_point last_heard_{};
    time_point ping_sent_{}; // none outstanding when zero
    time_point close_sent_{};
};

} // namespace bareasio::detail
