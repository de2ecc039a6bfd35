// upgradable_connection: the connection beneath a request, for a handler
// that takes it over after answering 101 Switching Protocols (the
// WebSocket layer does). req.upgrade() is null for requests that have no
// connection (built by hand, or by the in-process test client).
//     upgradable_connection* conn = req.upgrade();
//     co_await conn->take(hooks);          // no more HTTP on it
//     co_await conn->write_all(handshake_response);
//     auto ec = co_await conn->receive_more(); conn->received(); conn->consume(n);
// After take(), the connection's loop calls the hooks: sweep() on each of
// its sweeps (the taker keeps its own deadlines) and stop() when a graceful
// stop begins. When the handler returns, the connection closes without
// writing anything more.
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
    using clock = std::chrono::steady_clock;
    virtual void sweep(clock::time_point now) = 0; // every 250 ms, from the loop's sweep
    virtual void stop() = 0;                       // the server began draining

protected:
    ~upgrade_hooks() = default;
};

class upgradable_connection {
public:
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
    // Writes all of `bytes`. Not cancellable (a protocol's frame is never
    // cut short): close() ends it.
    virtual asio::awaitable<std::error_code> write_all(std::string_view bytes) = 0;

    // Closes the socket: pending operations end with an error.
    virtual void close() noexcept = 0;

    // The server is draining (a taker that opens now says goodbye at once).
    virtual bool stopping() const noexcept = 0;

    virtual asio::any_io_executor executor() const = 0;

protected:
    ~upgradable_connection() = default;
};

} // namespace bareasio
