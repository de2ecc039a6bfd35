// loop_clock: the time an event loop's deadlines are measured in. The loop
// holds one (loop_context::clock); every transport of the loop sets its
// deadlines by it, the sweep that checks them reads it, and so do the
// protocols over a transport (a WebSocket's pings and close handshake).
// It is the steady clock unless a test freezes it: then time moves only
// when the test moves it, so a deadline passes in a test without a sleep.
//     loop.clock.freeze();
//     loop.clock.advance(1100ms);            // no sweep: time just passes
//     registry.sweep_once(loop.clock.now()); // deadlines passed by now end
// Thread safety: used only on its loop.
#pragma once

#include <chrono>
#include <optional>

namespace bareasio {

class loop_clock {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;
    using duration = clock::duration;

    time_point now() const noexcept { return frozen_ ? *frozen_ : clock::now(); }

    // Tests: time stops at `at` and moves only with advance().
    void freeze(time_point at = clock::now()) noexcept { frozen_ = at; }
    void advance(duration by) noexcept {
        if (frozen_) *frozen_ += by;
    }

private:
    std::optional<time_point> frozen_;
};

} // namespace bareasio
