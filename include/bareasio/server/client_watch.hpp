// client_watch: notices a client that hangs up while its handler runs, so
// the handler is cancelled (a wait on an event, a streaming write) instead
// of answering nobody. Starting a read for every handler would cost more
// than most handlers take, so the loop's sweeper (every 250 ms) watches
// only a handler it finds still running at its second sweep; a read is then
// kept pending on the socket until the handler ends. Bytes that arrive
// meanwhile (the next pipelined request) are kept in the read buffer, and
// a full buffer stops the watch (back-pressure).
// This class is the watch's state machine; every change of state goes
// through on(). The connection owns it, starts and cancels the read it
// asks for, and waits for that read before it goes on (see connection.hpp).
// Thread safety: one per connection, on its loop.
#pragma once

#include <bareasio/async/event.hpp>

namespace bareasio {

class client_watch {
public:
    enum class state {
        off,      // no handler (or streaming writer) runs
        armed,    // a handler runs: the next sweep makes the watch due
        due,      // a sweep has seen it: the next one starts a read
        reading,  // a watch read is pending on the socket
        stopping, // the handler ended while a read was pending: it is cancelled
        gone,     // the read saw the client hang up (final)
    };
    enum class input {
        handler_started, // a handler or a streaming body begins
        sweep,           // the sweeper passed (and the buffer has room)
        read_ended,      // the pending read completed with bytes, or was cancelled
        hang_up,         // the pending read saw end of file or an error
        handler_ended,   // the handler or streaming body is done
    };

    state current() const noexcept { return state_; }
    bool client_gone() const noexcept { return state_ == state::gone; }

    // The one transition function. Returns the new state.
    state on(input in) noexcept {
        state_ = next(state_, in);
        return state_;
    }

    // Set when a watch read completes; waited on before the connection
    // moves on, since the read's completion refers to the connection.
    event& read_done() noexcept { return read_done_; }

private:
    static state next(state s, input in) noexcept {
        if (s == state::gone) return s;
        switch (in) {
        case input::handler_started:
            return s == state::off ? state::armed : s;
        case input::sweep:
            if (s == state::armed) return state::due;
            return s == state::due ? state::reading : s;
        case input::read_ended:
            if (s == state::reading) return state::due; // bytes arrived: watch again
            return s == state::stopping ? state::off : s;
        case input::hang_up:
            return state::gone;
        case input::handler_ended:
            return s == state::reading || s == state::stopping ? state::stopping : state::off;
        }
        return s;
    }

    state state_ = state::off;
    event read_done_;
};

} // namespace bareasio
