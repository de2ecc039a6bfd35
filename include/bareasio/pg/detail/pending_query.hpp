// pg::detail::pending_query: one query on its way, shared by the coroutine
// that awaits it and the connection that runs it: what to run, where its
// results stand, then its rows or why it failed.
// Thread safety: the connection's strand writes it until `done` is set;
// the awaiting coroutine reads it after. `abandoned` from any thread.
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/pg/params.hpp>
#include <bareasio/pg/result.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace bareasio::pg::detail {

class pool_link;

struct pending_query {
    std::string sql;
    params values;
    // 0: any session; else the only session it may run in (a transaction's).
    std::uint64_t session = 0;

    result answer;
    std::string failure; // set when it failed
    std::string sqlstate;
    bool unavailable = false; // no connection could take it (pg::unavailable)
    event done;               // set once answer or failure is

    // The pool it went to, for a cancellation (set before it is sent).
    std::weak_ptr<pool_link> from;
    // Its awaiting coroutine went away (a time-out, a client that left).
    std::atomic<bool> abandoned{false};
    // Sent again once: a cancellation meant for the query before it hit it.
    bool resent = false;
    // Where its results stand (a new statement is prepared first).
    enum class stage { prepare_result, prepare_end, query_result, query_end, sync } at{};

    void fail(std::string why, std::string state = {}) {
        if (!failure.empty()) return; // the first failure says why
        failure = std::move(why);
        sqlstate = std::move(state);
    }
};

} // namespace bareasio::pg::detail
