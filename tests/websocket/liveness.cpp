// liveness: a WebSocket's deadlines on times alone (no socket, no clock):
// the ping after a quiet interval and the drop when it goes unanswered, the
// close handshake's limit, and a message below min_message_rate.
#include <bareasio/websocket/detail/liveness.hpp>

#include "../support/doctest.hpp"

#include <chrono>

using namespace std::chrono_literals;
using bareasio::websocket_options;
using bareasio::detail::liveness;
using state = bareasio::detail::websocket_state;
using due = liveness::due;

namespace {

const liveness::time_point t0 = liveness::time_point{} + 1h;

websocket_options quiet_options() {
    websocket_options o;
    o.ping_interval = 20s;
    o.ping_timeout = 10s;
    o.close_timeout = 5s;
    o.min_message_rate = {100, 2s}; // 100 bytes/s after 2 s
    return o;
}

} // namespace

TEST_CASE(
    "liveness: a quiet client gets a ping, and is dropped if a reader waits past the timeout") {
    const auto o = quiet_options();
    liveness live(o);
    live.heard(t0);
    CHECK(live.next(state::open, true) == t0 + 20s);
    CHECK(live.check(t0 + 19s, state::open, true) == due::nothing);
    CHECK(live.check(t0 + 20s, state::open, true) == due::ping);
    CHECK(live.next(state::open, true) == t0 + 30s); // the answer's deadline
    CHECK(live.check(t0 + 25s, state::open, true) == due::nothing);
    CHECK(live.check(t0 + 30s, state::open, true) == due::drop);

    // Without a reader the answer cannot be read: no drop, no deadline.
    CHECK(live.next(state::open, false) == liveness::time_point::max());
    CHECK(live.check(t0 + 99s, state::open, false) == due::nothing);
    // A receive() that begins times the answer from then.
    live.reading(t0 + 100s);
    CHECK(live.next(state::open, true) == t0 + 110s);
    // Any byte answers it; the next ping is an interval after.
    live.heard(t0 + 101s);
    CHECK(live.next(state::open, true) == t0 + 121s);
}

TEST_CASE("liveness: ping_interval 0 sends no ping; no ping outside the open state") {
    auto o = quiet_options();
    liveness live(o);
    live.heard(t0);
    CHECK(live.check(t0 + 1h, state::connecting, true) == due::nothing);
    CHECK(live.check(t0 + 1h, state::closed, true) == due::nothing);
    o.ping_interval = 0ms;
    CHECK(live.next(state::open, true) == liveness::time_point::max());
    CHECK(live.check(t0 + 1h, state::open, true) == due::nothing);
}

TEST_CASE("liveness: the client has close_timeout to answer our close") {
    const auto o = quiet_options();
    liveness live(o);
    live.heard(t0);
    live.closing(t0 + 1s);
    CHECK(live.next(state::closing, true) == t0 + 6s); // no ping while closing
    CHECK(live.check(t0 + 5s, state::closing, true) == due::nothing);
    CHECK(live.check(t0 + 6s, state::closing, true) == due::drop);
}

TEST_CASE("liveness: a message in progress must keep min_message_rate while someone reads") {
    const auto o = quiet_options();
    liveness live(o);
    live.heard(t0);
    live.took(10);
    live.stopped(true, t0); // inside a message: 2 s of grace
    CHECK(live.next(state::open, true) == t0 + 2s);
    CHECK(live.next(state::open, false) == t0 + 20s); // nobody reads: only the ping
    CHECK(live.check(t0 + 2s, state::open, true) == due::too_slow);

    live.took(490);              // 500 bytes in all earn 5 s at 100 bytes/s
    live.stopped(true, t0 + 1s); // still the same message: its start stays
    CHECK(live.next(state::open, true) == t0 + 5s);
    CHECK(live.check(t0 + 4s, state::open, true) == due::nothing);

    live.whole(); // a whole message came: the check starts over
    CHECK(live.next(state::open, true) == t0 + 20s);
    live.took(1);
    live.stopped(false, t0 + 3s); // stopped between frames
    CHECK(live.next(state::open, true) == t0 + 20s);
}

TEST_CASE("liveness: the rate check is off when min_message_rate is 0") {
    auto o = quiet_options();
    o.min_message_rate.bytes_per_second = 0;
    o.ping_interval = 0ms;
    liveness live(o);
    live.stopped(true, t0);
    CHECK(live.next(state::open, true) == liveness::time_point::max());
    CHECK(live.check(t0 + 1h, state::open, true) == due::nothing);
}
