// connection_stream: a connection's stream with the deadline of its current
// operation and the reads and writes the connection makes. The deadline is
// the stream's (as in Beast's basic_stream): the connection sets it before
// an operation, the loop's sweeper calls expire() once it has passed, and
// the pending operation then ends with errc::timeout, distinct from
// operation_aborted (a cancellation). One coarse sweep per loop replaces a
// timer per read.
// Sockets are non-blocking: a response is written directly when the socket
// takes it (the usual case) and the reactor is used only for the rest. An
// idle connection reads the next request's first bytes into the storage its
// empty output queue lends, a read the reactor keeps queued with no system
// call, so a keep-alive request costs three system calls (epoll_wait, recv,
// send) and no pool buffer is held while waiting.
// Any stream with a socket's async_read_some, async_write_some, cancel and
// close works (bareasio::testing::stream is one); one that also has
// non_blocking, read_some and write_some gets the direct paths. Without
// them an idle connection holds a pool buffer while it waits.
// Thread safety: one per connection, on its loop.
#pragma once

#include <bareasio/async/error.hpp>
#include <bareasio/detail/asio_compat.hpp>
#include <bareasio/server/data_rate.hpp>
#include <bareasio/server/output_queue.hpp>
#include <bareasio/server/read_buffer.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/buffer.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/error.hpp>
#include <asio/socket_base.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <system_error>
#include <utility>

namespace bareasio {

// A write to the client failed: not the failure of whatever was writing.
class write_error : public std::system_error {
public:
    explicit write_error(std::error_code ec) : std::system_error(ec, "writing the response") {}
};

template <class Stream>
class connection_stream {
public:
    using clock = std::chrono::steady_clock;

    explicit connection_stream(Stream stream) : stream_(std::move(stream)) {
        if constexpr (direct_io) {
            std::error_code ec;
            stream_.non_blocking(true, ec);
            direct_ = !ec;
        }
    }

    Stream& next_layer() noexcept { return stream_; }

    // ---- the deadline -----------------------------------------------------

    void expires_after(std::chrono::milliseconds timeout) noexcept {
        expires_at(clock::now() + timeout);
    }
    void expires_never() noexcept { expires_at(clock::time_point::max()); }
    void expires_at(clock::time_point when) noexcept {
        expiry_ = when;
        expired_ = false;
    }
    clock::time_point expiry() const noexcept { return expiry_; }

    // The sweeper found the deadline passed: the pending operation ends
    // with errc::timeout.
    void expire() noexcept {
        expired_ = true;
        cancel();
    }

    // ---- reading ------------------------------------------------------------

    // Reads more bytes into `in`. Success means at least one byte was added;
    // else errc::timeout (the deadline passed), operation_aborted (cancelled),
    // no_buffer_space (`in` is full of unparsed bytes: the parser consumes
    // what it is given, so only a caller that stopped parsing sees it) or
    // the stream's own error (eof: the client left). Without a buffer (idle), the first
    // bytes go into storage lent by the empty queue `spare`, then into a
    // pool buffer.
    asio::awaitable<std::error_code> read(read_buffer& in, output_queue& spare) {
        if (!in.has_storage() && direct_ && spare.empty()) {
            const auto scratch = spare.lend(std::min(first_read_max, in.storage_size()));
            auto [ec, n] = co_await stream_.async_read_some(scratch, detail::use_tuple);
            if (!ec) in.adopt({static_cast<const char*>(scratch.data()), n});
            spare.clear();
            // A read the reactor completed short leaves the socket drained,
            // so the next one is queued as it is (no epoll_ctl to re-arm).
            if (!ec && n == scratch.size()) read_now(in); // more may be waiting
            co_return outcome(ec);
        }
        in.acquire();
        if (in.full()) co_return asio::error::no_buffer_space;
        auto [ec, n] = co_await stream_.async_read_some(in.free_space(), detail::use_tuple);
        in.commit(n);
        co_return outcome(ec);
    }

    // Starts a read with `handler` (the client watch), beside the connection's own.
    template <class Handler>
    void async_read_some(asio::mutable_buffer into, Handler&& handler) {
        stream_.async_read_some(into, std::forward<Handler>(handler));
    }

    // ---- writing ------------------------------------------------------------

    // Writes what the stream takes at once, without the reactor. True when
    // all of `out` is written. Throws write_error.
    bool write_now(output_queue& out) {
        if constexpr (direct_io) {
            if (direct_ && !out.all_sent()) {
                std::error_code ec;
                out.sent(stream_.write_some(out.unsent(), ec));
                if (ec && !would_block(ec)) fail(out, ec);
            }
        }
        if (!out.all_sent()) return false;
        out.clear();
        return true;
    }

    // Writes all of `out`: at once when the stream takes it, else through
    // the reactor within `timeout` (the deadline of the operation in
    // progress is restored after). `try_now` false: write_now() just found
    // the stream full. Throws write_error.
    // `meter` (which must outlive the flush) accounts the response's waits
    // on the client; a wait is also cut short where it would take the
    // response below `rate` (see data_rate.hpp), taken by value as the
    // coroutine outlives the call.
    asio::awaitable<void> flush(output_queue& out, std::chrono::milliseconds timeout, bool try_now,
                                rate_meter& meter, min_data_rate rate) {
        if (out.empty() || (try_now && write_now(out))) co_return;
        // Only a write the client makes wait is accounted: bytes it takes
        // at once cost it nothing and earn it nothing.
        const auto previous = expiry_;
        const auto started = clock::now();
        const auto bytes = out.unsent().size();
        expires_at(started + std::min<clock::duration>(timeout, meter.allowance(rate, bytes)));
        auto [ec, n] = co_await asio::async_write(stream_, out.unsent(), detail::use_tuple);
        meter.record(clock::now() - started, bytes);
        const std::error_code result = outcome(ec);
        expires_at(previous);
        if (result) fail(out, result);
        out.clear();
    }

    // For a connection taken over after a 101 (see http/upgrade.hpp): what
    // the stream takes of `bytes` now, without the reactor; errors other
    // than "would block" are returned in `ec`.
    std::size_t write_some_now(std::string_view bytes, std::error_code& ec) {
        if constexpr (direct_io) {
            if (direct_ && !bytes.empty()) {
                const std::size_t n = stream_.write_some(asio::buffer(bytes), ec);
                if (would_block(ec)) ec = {};
                return n;
            }
        }
        return 0;
    }
    // ... and all of `bytes`, through the reactor, with no deadline, and
    // not cancellable: close() ends it.
    asio::awaitable<std::error_code> write_all(std::string_view bytes) {
        auto [ec, n] = co_await asio::async_write(
            stream_, asio::buffer(bytes),
            asio::bind_cancellation_slot(asio::cancellation_slot(), detail::use_tuple));
        co_return ec;
    }

    // ---- ending -------------------------------------------------------------

    // Streams with a protocol of their own end it before close(): TLS sends
    // close_notify. Plain sockets have nothing to say.
    static constexpr bool has_goodbye = requires(Stream & s) {
        s.async_goodbye(detail::use_tuple);
    };

    // Ends the stream's protocol within `timeout`; errors are the client's
    // and ignored, as close() follows. A template, so that an explicit
    // instantiation for a stream without one does not compile it.
    template <class Unused = void>
    asio::awaitable<void> goodbye(std::chrono::milliseconds timeout) {
        expires_after(timeout);
        co_await stream_.async_goodbye(detail::use_tuple);
    }

    void cancel() noexcept {
        std::error_code ignored;
        stream_.cancel(ignored);
    }

    void close() noexcept {
        std::error_code ignored;
        if constexpr (requires { stream_.shutdown(asio::socket_base::shutdown_both, ignored); })
            stream_.shutdown(asio::socket_base::shutdown_both, ignored);
        stream_.close(ignored);
    }

private:
    // Sockets can be read and written without the reactor when they are ready.
    static constexpr bool direct_io = requires(Stream & s, std::error_code& ec) {
        s.non_blocking(true, ec);
        s.read_some(asio::mutable_buffer(), ec);
        s.write_some(asio::const_buffer(), ec);
    };
    // At most this much of the spare storage receives an idle connection's
    // first bytes (a typical request head).
    static constexpr std::size_t first_read_max = 2048;

    static bool would_block(std::error_code ec) noexcept {
        return ec == asio::error::would_block || ec == asio::error::try_again;
    }

    // How an operation that ended with `ec` is reported.
    std::error_code outcome(std::error_code ec) const noexcept {
        return expired_ ? timed_out(ec) : ec;
    }
    static std::error_code timed_out(std::error_code ec) noexcept {
        if (ec == asio::error::operation_aborted) return errc::timeout;
        return ec;
    }

    // The first read filled its storage: takes what else is waiting. An
    // error is left for the next read to see.
    void read_now(read_buffer& in) {
        if constexpr (direct_io) {
            std::error_code ec;
            const std::size_t n = stream_.read_some(in.free_space(), ec);
            if (!ec) in.commit(n);
        }
    }

    [[noreturn]] static void fail(output_queue& out, std::error_code ec) {
        out.clear(); // nothing more will reach this client
        throw write_error(ec);
    }

    Stream stream_;
    bool direct_ = false; // non-blocking: direct reads and writes (direct_io)
    bool expired_ = false;
    clock::time_point expiry_ = clock::time_point::max();
};

} // namespace bareasio
