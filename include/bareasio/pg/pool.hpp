// pg::pool: PostgreSQL from coroutines without blocking the event loop, on
// libpq in non-blocking pipeline mode, each connection's socket awaited by
// Asio. The application holds one pool in its state and opens it in a
// lifespan startup handler:
//     struct state { pg::pool db; };
//     app.lifespan.add("postgresql",
//         [&](lifespan_context& ctx) { return ctx.info<state>().db.connect(ctx.executor, url); },
//         [](lifespan_context& ctx) { return ctx.info<state>().db.close(); });
//     auto row = co_await db.query_one("SELECT randomnumber FROM world WHERE id = $1", id);
//     int n = row.get<int>(0);
// Transactions hold one connection for their scope (see transaction.hpp).
// Parameters are always bound ($1, $2: see params.hpp); there is no call
// that splices values into SQL. Each statement is prepared once per
// connection. Many coroutines share each connection: their queries are
// pipelined, each followed by a Sync, so a query that fails fails alone.
// The caller is resumed on its own executor, whatever loop or thread the
// connection runs on.
// Failure: a connection lost mid-query fails its queries with pg::error
// naming the cause, then reconnects in the background with a back-off
// (every loss and recovery is logged). With no connection up, a query fails
// at once with pg::unavailable, an http_error with status 503. connect()
// that cannot reach the database within connect_timeout throws naming the
// host and port, so a startup handler fails the start.
// Host names are resolved with Asio before libpq connects (libpq's own
// lookup would block the loop); an address or a Unix socket path is used
// as it is. URLs are libpq's: postgresql://user:password@host:port/db?...
// Link: libbareasio_pg and libpq (meson: bareasio_pg_dep).
// Thread safety: query(), query_one(), execute(), send() and transaction()
// from any thread; connect() and close() must not overlap each other.
#pragma once

#include <bareasio/pg/error.hpp>
#include <bareasio/pg/listener.hpp>
#include <bareasio/pg/params.hpp>
#include <bareasio/pg/pending.hpp>
#include <bareasio/pg/result.hpp>
#include <bareasio/pg/transaction.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

namespace bareasio::pg {

struct pool_options {
    // Connections opened by connect() and kept up; each pipelines many queries.
    std::size_t connections = 4;
    // How long connect() waits for the first connection (startup fails past it).
    std::chrono::milliseconds connect_timeout{5000};
    // The server cancels a statement running longer than this (SQLSTATE 57014); 0: never.
    std::chrono::milliseconds statement_timeout{0};
    // The delay before reconnecting, doubling up to the maximum.
    std::chrono::milliseconds reconnect_delay{100};
    std::chrono::milliseconds max_reconnect_delay{2000};
};

namespace detail {
std::shared_ptr<pool_link> make_pool_link();
std::shared_ptr<pending_query> send_query(const std::shared_ptr<pool_link>& link, std::string sql,
                                          params values);
asio::awaitable<transaction> begin(std::shared_ptr<pool_link> link);

template <class F>
using body_result_t = typename std::invoke_result_t<F&, transaction&>::value_type;
} // namespace detail

class pool : public detail::query_methods<pool> {
public:
    pool() : link_(detail::make_pool_link()) {}
    pool(pool&&) noexcept = default; // a moved-from one may only be destroyed
    pool& operator=(pool&&) = delete;
    // Stops the connections (without waiting) if close() was not called.
    ~pool();

    // Opens options.connections connections to `url` on strands of `ex`.
    // Throws std::runtime_error naming the host and port if the database
    // cannot be reached within connect_timeout, or refuses (a password).
    asio::awaitable<void> connect(asio::any_io_executor ex, std::string url,
                                  pool_options options = {});
    // Fails what is still waiting, and closes every connection.
    asio::awaitable<void> close();

    // Sends the query now and returns it, to await later (see pending);
    // query(), query_one() and execute() send and await at once.
    template <class... Args>
    pending send(std::string_view sql, const Args&... args) {
        return pending(detail::send_query(link_, std::string(sql), detail::make_params(args...)));
    }

    // Runs `body(tx)` in a transaction on a connection of its own: COMMIT
    // when it returns (its value is returned), ROLLBACK when it throws (the
    // exception goes on). Throws pg::unavailable when no connection is up.
    template <class F>
    asio::awaitable<detail::body_result_t<F>> transaction(F body) {
        pg::transaction tx = co_await detail::begin(link_);
        if constexpr (std::is_void_v<detail::body_result_t<F>>) {
            co_await body(tx);
            co_await tx.commit();
        } else {
            auto value = co_await body(tx);
            co_await tx.commit();
            co_return value;
        }
    }

    // A listener of NOTIFY on `channel` (see listener.hpp), from any thread,
    // before or after connect(); it ends when the pool is closed.
    listener listen(std::string channel);

    // Connections up now (of options.connections).
    std::size_t connected() const noexcept;

private:
    std::shared_ptr<detail::pool_link> link_;
};

} // namespace bareasio::pg
