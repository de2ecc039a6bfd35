// client_watch: the hang-up watch's state machine, transition by transition.
#include <bareasio/server/client_watch.hpp>

#include "../support/doctest.hpp"

using bareasio::client_watch;
using state = client_watch::state;
using input = client_watch::input;

TEST_CASE("client_watch: a handler is watched from the second sweep, until it ends") {
    client_watch w;
    CHECK(w.current() == state::off);
    CHECK(w.on(input::sweep) == state::off); // no handler: nothing to watch
    CHECK(w.on(input::handler_started) == state::armed);
    CHECK(w.on(input::sweep) == state::due);      // most handlers end before the next sweep
    CHECK(w.on(input::sweep) == state::reading);  // the connection starts a read
    CHECK(w.on(input::sweep) == state::reading);  // one read at a time
    CHECK(w.on(input::read_ended) == state::due); // bytes of a pipelined request: watch again
    CHECK(w.on(input::sweep) == state::reading);
    CHECK(w.on(input::handler_ended) == state::stopping); // the read is cancelled
    CHECK(w.on(input::sweep) == state::stopping);         // and no new one starts meanwhile
    CHECK(w.on(input::read_ended) == state::off);
    CHECK_FALSE(w.client_gone());
}

TEST_CASE("client_watch: a handler that ends before it is due is never watched") {
    client_watch w;
    w.on(input::handler_started);
    w.on(input::sweep);
    CHECK(w.on(input::handler_ended) == state::off);
    CHECK(w.on(input::handler_started) == state::armed); // the next request starts afresh
}

TEST_CASE("client_watch: a hang-up is final, even while the read is being cancelled") {
    client_watch w;
    w.on(input::handler_started);
    w.on(input::sweep);
    w.on(input::sweep);
    CHECK(w.on(input::hang_up) == state::gone);
    CHECK(w.client_gone());
    for (auto in : {input::handler_started, input::sweep, input::read_ended, input::handler_ended})
        CHECK(w.on(in) == state::gone);

    client_watch stopping;
    stopping.on(input::handler_started);
    stopping.on(input::sweep);
    stopping.on(input::sweep);
    stopping.on(input::handler_ended);
    CHECK(stopping.on(input::hang_up) == state::gone);
}
