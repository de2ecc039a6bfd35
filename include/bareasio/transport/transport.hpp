// transport: one connection's stream with everything every protocol on
// it shares, so that HTTP/1.1 and a WebSocket (and the TLS handshake
// before either) add only their framing:
//   deadlines  one for reading and one for writing, set by the loop's
//              clock (clock.hpp) and checked by the loop's one coarse
//              sweep (no timer per operation). A passed write deadline
//              closes the stream: a peer that takes no bytes is dropped,
//              whatever the protocol. A passed read deadline is the
//              owner's to act on: HTTP expires the read (it ends with
//              errc::timeout, distinct from operation_aborted, and a 408
//              can still be written); a WebSocket pings, or closes.
//   rates      a minimum data rate (data_rate.hpp) shortens a write's
//              deadline, and a reader's, to what the bytes moved so far
//              earn.
//   writes     direct first: what the stream takes at once is written
//              without the reactor (the usual case); the rest through the
//              reactor, 64 KiB at a time, each piece within the write
//              timeout, so a peer that reads steadily is never dropped.
//   reads      into the connection's read_buffer; an idle connection reads
//              its first bytes into storage its empty output_queue lends
//              (a read the reactor keeps queued with no system call), so
//              a keep-alive request costs three system calls (epoll_wait,
//              recv, send) and no pool buffer is held while waiting.
// Any byte_stream works (stream.hpp); a direct_stream gets the direct
// paths. Without them an idle connection holds a pool buffer while it waits.
// Thread safety: one per connection, on its loop.
#pragma once

#include <bareasio/async/error.hpp>
#include <bareasio/detail/asio_compat.hpp>
#include <bareasio/transport/clock.hpp>
#include <bareasio/transport/data_rate.hpp>
#include <bareasio/transport/output_queue.hpp>
#include <bareasio/transport/read_buffer.hpp>
#include <bareasio/transport/stream.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/buffer.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/error.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>

namespace bareasio {

// A write to the client failed: not the failure of whatever was writing.
class write_error : public std::system_error {
public:
    explicit write_error(std::error_code ec) : std::system_error(ec, "writing the response") {}
};

template <byte_stream Stream>
class transport {
public:
    using time_point = loop_clock::time_point;
    using duration = loop_clock::duration;
    // What the sweep found passed.
    enum class deadline { none, read, write };

    // `clock` (the loop's) must outlive the transport.
    transport(Stream stream, const loop_clock& clock) : stream_(std::move(stream)), clock_(&clock) {
        if constexpr (direct_stream<Stream>) direct_ = detail::make_non_blocking(stream_);
    }

    Stream& next_layer() noexcept { return stream_; }
    time_point now() const noexcept { return clock_->now(); }

    // ---- deadlines ------------------------------------------------------------

    // The read deadline: of what the owner waits for from the peer.
    void expires_after(std::chrono::milliseconds timeout) noexcept { expires_at(now() + timeout); }
    void expires_never() noexcept { expires_at(time_point::max()); }
    void expires_at(time_point when) noexcept {
        read_expiry_ = when;
        if (expired_ == deadline::read) expired_ = deadline::none;
    }
    time_point expiry() const noexcept { return read_expiry_; }
    // The write deadline: set by the writes themselves (max: none writing).
    time_point write_expiry() const noexcept { return write_expiry_; }

    // Which deadline has passed at `now` (the write's first).
    deadline passed(time_point now) const noexcept {
        if (write_expiry_ <= now) return deadline::write;
        if (read_expiry_ <= now) return deadline::read;
        return deadline::none;
    }

    // The read deadline passed: the pending operations end with
    // errc::timeout. The deadline is spent; the owner may still write.
    void expire() noexcept {
        if (expired_ == deadline::none) expired_ = deadline::read;
        read_expiry_ = time_point::max();
        cancel();
    }
    // The write deadline passed: the peer takes nothing, so nothing more
    // can reach it. The stream closes; every pending and later operation
    // ends with errc::timeout.
    void expire_write() noexcept {
        expired_ = deadline::write;
        write_expiry_ = time_point::max();
        close();
    }

    // ---- reading ------------------------------------------------------------

    // Reads more bytes into `in`. Success means at least one byte was added;
    // else errc::timeout (a deadline passed), operation_aborted (cancelled),
    // no_buffer_space (`in` is full of unparsed bytes: the parser consumes
    // what it is given, so only a caller that stopped parsing sees it) or
    // the stream's own error (eof: the peer left). Without a buffer (idle),
    // the first bytes go into storage lent by the empty queue `spare`, then
    // into a pool buffer.
    asio::awaitable<std::error_code> read(read_buffer& in, output_queue& spare) {
        if (!in.has_storage() && direct_ && spare.empty()) {
            const auto scratch = spare.lend(std::min(first_read_max, in.storage_size()));
            auto [ec, n] = co_await stream_.async_read_some(scratch, detail::use_tuple);
            if (!ec) in.adopt({static_cast<const char*>(scratch.data()), n});
            spare.clear();
            // A read the reactor completed short leaves the socket drained,
            // so the next one is queued as it is (no epoll_ctl to re-arm).
            if (!ec && n == scratch.size()) read_now(in); // more may be waiting
            co_return read_outcome(ec);
        }
        in.acquire();
        if (in.full()) co_return asio::error::no_buffer_space;
        auto [ec, n] = co_await stream_.async_read_some(in.free_space(), detail::use_tuple);
        in.commit(n);
        co_return read_outcome(ec);
    }

    // Reads as read() does, within `timeout` and within what `meter` allows
    // at `rate` (a request body), the rule writes follow: the meter
    // accounts the wait on the peer, and the read deadline ends with it.
    asio::awaitable<std::error_code> read(read_buffer& in, output_queue& spare,
                                          std::chrono::milliseconds timeout, rate_meter& meter,
                                          min_data_rate rate) {
        const time_point started = now();
        expires_at(started + std::min<duration>(timeout, meter.allowance(rate)));
        const std::error_code ec = co_await read(in, spare);
        meter.record(now() - started, 0);
        expires_never();
        co_return ec;
    }

    // Starts a read with `handler` (the client watch), beside the owner's own.
    template <class Handler>
    void async_read_some(asio::mutable_buffer into, Handler&& handler) {
        stream_.async_read_some(into, std::forward<Handler>(handler));
    }

    // ---- writing ------------------------------------------------------------

    // Writes what the stream takes of `out` at once, without the reactor.
    // True when all of it is written. Throws write_error.
    bool write_now(output_queue& out) {
        if constexpr (direct_stream<Stream>) {
            // Not through write_some_now(): written out here, GCC inlines the
            // send (about 30 instructions less per request, callgrind).
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
    // the reactor, each piece within `timeout` and within what `meter`
    // allows at `rate` (the meter accounts the waits on the peer, and must
    // outlive the flush; `rate` is taken by value as the coroutine outlives
    // the call). `try_now` false: write_now() just found the stream full.
    // Cancellable (a hang-up cancels a streaming response). Throws write_error.
    asio::awaitable<void> flush(output_queue& out, std::chrono::milliseconds timeout, bool try_now,
                                rate_meter& meter, min_data_rate rate) {
        if (out.empty() || (try_now && write_now(out))) co_return;
        while (!out.all_sent()) {
            const auto piece = first_piece(out.unsent());
            auto [ec, n] = co_await write_piece(piece, timeout, &meter, rate, detail::use_tuple);
            out.sent(n);
            if (ec) fail(out, ec);
        }
        out.clear();
    }

    // What the stream takes of `bytes` now, without the reactor (0 for a
    // stream without direct paths); errors other than "would block" are
    // returned in `ec`.
    std::size_t write_some_now(asio::const_buffer bytes, std::error_code& ec) {
        if constexpr (direct_stream<Stream>) {
            if (direct_ && bytes.size() != 0) {
                const std::size_t n = stream_.write_some(bytes, ec);
                if (ec && would_block(ec)) ec = {}; // (no error: no category lookups)
                return n;
            }
        }
        return 0;
    }
    // All of `bytes`, through the reactor, each piece within `timeout`. Not
    // cancellable (a protocol's frame is never cut short): the write
    // deadline or close() ends it.
    asio::awaitable<std::error_code> write_all(std::string_view bytes,
                                               std::chrono::milliseconds timeout) {
        while (!bytes.empty()) {
            const auto piece = first_piece(asio::buffer(bytes));
            auto [ec, n] = co_await write_piece(
                piece, timeout, nullptr, {},
                asio::bind_cancellation_slot(asio::cancellation_slot(), detail::use_tuple));
            if (ec) co_return ec;
            bytes.remove_prefix(n);
        }
        co_return std::error_code{};
    }

    // ---- beginning and ending -------------------------------------------------

    static constexpr bool has_handshake = stream_with_handshake<Stream>;
    static constexpr bool has_goodbye = stream_with_goodbye<Stream>;

    // Makes the stream's own handshake (TLS) within the read deadline: a
    // client that does not finish it in time ends it with errc::timeout. A
    // template, as goodbye() is.
    template <class Unused = void>
    asio::awaitable<std::error_code> handshake() {
        auto [ec] = co_await stream_.async_handshake(detail::use_tuple);
        co_return read_outcome(ec);
    }

    // Ends the stream's protocol within `timeout`; errors are the peer's
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
        detail::shutdown_if_any(stream_);
        stream_.close(ignored);
    }

private:
    // At most this much of the spare storage receives an idle connection's
    // first bytes (a typical request head).
    static constexpr std::size_t first_read_max = 2048;
    // What one wait on the reactor writes at most: its write deadline.
    static constexpr std::size_t piece_bytes = 64 * 1024;

    static bool would_block(std::error_code ec) noexcept {
        return ec == asio::error::would_block || ec == asio::error::try_again;
    }
    static asio::const_buffer first_piece(asio::const_buffer bytes) noexcept {
        return asio::buffer(bytes, piece_bytes);
    }

    // One piece through the reactor, under the write deadline: `timeout`,
    // shortened to what the meter allows at `rate` when there is one. Only
    // a write the peer makes wait is accounted: bytes it takes at once cost
    // it nothing and earn it nothing.
    template <class Token>
    asio::awaitable<std::tuple<std::error_code, std::size_t>>
    write_piece(asio::const_buffer piece, std::chrono::milliseconds timeout, rate_meter* meter,
                min_data_rate rate, Token token) {
        const time_point started = now();
        duration allowed = timeout;
        if (meter) allowed = std::min(allowed, meter->allowance(rate, piece.size()));
        write_expiry_ = started + allowed;
        auto [ec, n] = co_await asio::async_write(stream_, piece, token);
        write_expiry_ = time_point::max();
        if (meter) meter->record(now() - started, n);
        co_return std::tuple{expired_ == deadline::write ? timed_out(ec) : ec, n};
    }

    // How a read that ended with `ec` is reported: a passed deadline, of
    // either kind, is a timeout.
    std::error_code read_outcome(std::error_code ec) const noexcept {
        return expired_ != deadline::none ? timed_out(ec) : ec;
    }
    static std::error_code timed_out(std::error_code ec) noexcept {
        if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor)
            return errc::timeout;
        return ec;
    }

    // The first read filled its storage: takes what else is waiting. An
    // error is left for the next read to see.
    void read_now(read_buffer& in) {
        if constexpr (direct_stream<Stream>) {
            std::error_code ec;
            const std::size_t n = stream_.read_some(in.free_space(), ec);
            if (!ec) in.commit(n);
        }
    }

    [[noreturn]] static void fail(output_queue& out, std::error_code ec) {
        out.clear(); // nothing more will reach this peer
        throw write_error(ec);
    }

    Stream stream_;
    const loop_clock* clock_;
    bool direct_ = false;               // non-blocking: direct reads and writes (direct_stream)
    deadline expired_ = deadline::none; // the last that passed, until a new one is set
    time_point read_expiry_ = time_point::max();
    time_point write_expiry_ = time_point::max();
};

} // namespace bareasio
