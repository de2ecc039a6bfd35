// pg::pending: a query already sent (pool::send, transaction::send), its
// answer still to await; several sent before any is awaited travel
// together on one connection, pipelined.
//     std::vector<pg::pending> reads;
//     for (int id : ids) reads.push_back(db.send("SELECT ... WHERE id = $1", id));
//     for (auto& r : reads) rows.push_back(co_await r.one());
// Awaiting resumes the coroutine on its own executor. A coroutine that is
// cancelled while it awaits (wait_for's deadline, a client that left)
// gives its query up: never sent if it still waits in the pool, cancelled
// on the server when it runs if it was sent (SQLSTATE 57014).
// Thread safety: await it once, from one coroutine (any executor).
#pragma once

#include <bareasio/pg/error.hpp>
#include <bareasio/pg/params.hpp>
#include <bareasio/pg/result.hpp>

#include <asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace bareasio::pg {

namespace detail {
struct pending_query;
asio::awaitable<result> answer_of(std::shared_ptr<pending_query> q);
asio::awaitable<row> one_row_of(std::shared_ptr<pending_query> q);
asio::awaitable<std::uint64_t> affected_by(std::shared_ptr<pending_query> q);
} // namespace detail

class pending {
public:
    explicit pending(std::shared_ptr<detail::pending_query> q) : q_(std::move(q)) {}
    // Its rows; throws pg::error (the server's message and SQLSTATE, or
    // the lost connection named) or pg::unavailable (no connection up).
    // (These are not coroutines: what they return holds the query, so a
    // pending may be a temporary, as in db.send(...).get().)
    asio::awaitable<result> get() { return detail::answer_of(q_); }
    // Its one row (else pg::error).
    asio::awaitable<row> one() { return detail::one_row_of(q_); }
    // How many rows it changed (INSERT, UPDATE, DELETE).
    asio::awaitable<std::uint64_t> affected() { return detail::affected_by(q_); }

private:
    std::shared_ptr<detail::pending_query> q_;
};

namespace detail {

// query(), query_one() and execute() for anything with send() (the pool,
// a transaction).
template <class Derived>
class query_methods {
public:
    // Runs `sql` with `args` bound to $1, $2, ... and returns its rows.
    template <class... Args>
    asio::awaitable<result> query(std::string_view sql, const Args&... args) {
        return self().send(sql, args...).get();
    }
    // The same, for a query that returns exactly one row (else pg::error).
    template <class... Args>
    asio::awaitable<row> query_one(std::string_view sql, const Args&... args) {
        return self().send(sql, args...).one();
    }
    // The same, for a statement that returns no rows: how many it changed.
    template <class... Args>
    asio::awaitable<std::uint64_t> execute(std::string_view sql, const Args&... args) {
        return self().send(sql, args...).affected();
    }

private:
    Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

} // namespace detail
} // namespace bareasio::pg
