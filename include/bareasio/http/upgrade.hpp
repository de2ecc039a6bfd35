// upgradable_connection: the connection beneath a request, for a handler
// that takes it over after answering 101 Switching Protocols (the
// WebSocket layer does). req.upgrade() is null for requests that have no
// connection (built by hand, or by the in-process test client).
//     upgradable_connection* conn = req.upgrade();
//     co_await conn->take(hooks);          // no more HTTP on it
//     co_await conn->write_all(handshake_response, write_timeout);
//     auto ec = co_await conn->receive_more(); conn->received(); conn->consume(n);
//     conn->expires_at(conn->now() + ping_interval);
// The connection's transport keeps the deadlines (transport/transport.hpp):
// a write that the peer does not take within its timeout closes the
// socket; the one other deadline is the taker's, set with expires_at(),
// and when the loop's sweep (every 250 ms) finds it passed it calls
// hooks.deadline_passed(), which sets the next. hooks.stop() is called
// when a graceful stop begins. When the handler returns, the connection
// closes without writing anything more.
// Thread safety: on the connection's loop only.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <span>
#include <string_view>
#include <system_error>

namespace bareasio {

class upgrade_hooks {
public:
    using time_point = std::chrono::steady_clock::time_point;
    // The deadline set with expires_at() passed; `now` is the loop's clock.
    virtual void deadline_passed(time_point now) = 0;
    virtual void stop() = 0; // the server began draining

protected:
    ~upgrade_hooks() = default;
};

class upgradable_connection {
public:
    using time_point = upgrade_hooks::time_point;

    // Ends HTTP on the connection (and its watch for a hang-up); from now
    // on the hooks are called until the handler returns.
    virtual asio::awaitable<void> take(upgrade_hooks& hooks) = 0;

    // Bytes received and not yet consumed (a protocol may rewrite them in
    // place: WebSocket unmasks); valid until the next receive_more().
    virtual std::span<char> received() noexcept = 0;
    virtual void consume(std::size_t n) noexcept = 0;
    // Receives at least one more byte; eof when the peer closed, or
    // operation_aborted when cancelled or closed. No deadline: the taker
    // keeps its own and calls close().
    virtual asio::awaitable<std::error_code> receive_more() = 0;

    // Writes what the socket takes at once, without waiting; returns how
    // much. Errors other than "would block" are returned in `ec`.
    virtual std::size_t write_now(std::string_view bytes, std::error_code& ec) = 0;
    // Writes all of `bytes`, 64 KiB at a time, each piece within `timeout`
    // (else the socket closes, and this returns errc::timeout). Not
    // cancellable (a protocol's frame is never cut short): close() ends it.
    virtual asio::awaitable<std::error_code> write_all(std::string_view bytes,
                                                       std::chrono::milliseconds timeout) = 0;

    // The loop's clock, and the taker's deadline (max: none).
    virtual time_point now() const noexcept = 0;
    virtual void expires_at(time_point when) noexcept = 0;

    // Closes the socket: pending operations end with an error.
    virtual void close() noexcept = 0;

    // The server is draining (a taker that opens now says goodbye at once).
    virtual bool stopping() const noexcept = 0;

    virtual asio::any_io_executor executor() const = 0;

protected:
    ~upgradable_connection() = default;
};

} // namespace bareasio
