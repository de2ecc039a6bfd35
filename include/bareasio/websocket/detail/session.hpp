// websocket_session: one WebSocket's protocol engine over the connection a
// handler took over (http/upgrade.hpp). Its parts, each in detail/:
//   message_reader  frames in: checked, unmasked, inflated, assembled
//   outbox          frames out: framed, bounded, batched, the latest pong
//   liveness        the close, message-rate and ping deadlines, as one
// The session moves bytes between them and the connection, answers control
// frames, runs the close handshake, and sets liveness's next deadline as
// its transport's (transport/transport.hpp), where each write piece also
// has write_timeout. The websocket a handler holds and every
// websocket_sender share it; the connection is reached through it only
// while the handler runs. Its state (websocket_state) changes only in
// enter().
//
// One reader at a time (receive()); any number of senders: whoever finds
// no write in progress writes, for itself and everyone queued behind it.
// Memory is bounded by send_queue_bytes: it counts what is queued and what
// is being written, control frames included; while a write waits for the
// client only the answer to the latest ping is kept (RFC 6455 §5.5.3 allows
// it), and the reader stops reading while the queue is over its bound, as
// HTTP pipelining does.
// Thread safety: on the connection's loop only; websocket_sender posts there.
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/async/stop_token.hpp>
#include <bareasio/http/upgrade.hpp>
#include <bareasio/websocket/detail/liveness.hpp>
#include <bareasio/websocket/detail/message_reader.hpp>
#include <bareasio/websocket/detail/outbox.hpp>
#include <bareasio/websocket/frame.hpp>
#include <bareasio/websocket/message.hpp>
#include <bareasio/websocket/options.hpp>
#include <bareasio/websocket/shared_message.hpp>
#include <bareasio/websocket/utf8.hpp>

#include <asio/awaitable.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace bareasio::detail {

class websocket_session final : public upgrade_hooks,
                                public std::enable_shared_from_this<websocket_session> {
public:
    using time_point = upgrade_hooks::time_point;
    using status = websocket_state;

    websocket_session(upgradable_connection* conn, std::shared_ptr<const websocket_options> options)
        : conn_(conn), shared_options_(std::move(options)), options_(*shared_options_) {
        if (conn_) executor_ = conn_->executor();
    }

    status current() const noexcept { return status_; }
    const asio::any_io_executor& executor() const noexcept { return executor_; }
    const stop_token& closing() const noexcept { return closing_token_; }
    const websocket_options& options() const noexcept { return options_; }

    // ---- opening -----------------------------------------------------------

    // Takes the connection over and writes the 101 response; `compression`
    // was negotiated (or is null).
    asio::awaitable<void> open(std::string response,
                               std::unique_ptr<message_compression> compression) {
        compression_ = std::move(compression);
        reader_.set_compression(compression_.get());
        box_.set_compression(compression_.get());
        co_await conn_->take(*this);
        live_.heard(now());
        box_.raw(std::move(response));
        enter(status::open);
        if (stop_pending_ || conn_->stopping()) { // accepted while the server drains
            queue_close(close_code::going_away, "server shutting down");
            enter(status::closing);
        }
        rearm();
        co_await flush();
        box_.forget_raw();
    }

    // ---- receiving -----------------------------------------------------------

    // The next whole message, or the close (see websocket_message).
    asio::awaitable<websocket_message> receive() {
        if (reading_) throw std::logic_error("websocket: receive() while another is in progress");
        reading_ = true;
        reader_guard guard{reading_};
        // A ping sent while nobody read: its answer is read from now on.
        live_.reading(now());
        if (delivered_) { // a cancelled receive() leaves its partial message
            delivered_ = false;
            reader_.clear_message();
        }
        for (;;) {
            if (status_ == status::closed || !conn_) co_return closed_message();
            const step got = parse();
            if (got == step::more)
                live_.stopped(reader_.partial() || !conn_->received().empty(), now());
            if (box_.has_output()) kick();
            if (got == step::message) {
                live_.whole();
                delivered_ = true;
                co_return websocket_message(reader_.kind(), reader_.message());
            }
            if (got == step::closed) co_return closed_message();
            if (over_bound()) { // the client does not read what it asks for: wait
                co_await drained();
                continue;
            }
            rearm(); // what this read waits for, with what came so far
            const std::error_code ec = co_await conn_->receive_more();
            // Cancelled (a timeout around receive(), a sibling that ended):
            // the socket stays open, and what was read stays for the next call.
            if (ec == asio::error::operation_aborted && status_ != status::closed)
                throw std::system_error(ec, "websocket receive cancelled");
            if (ec) {
                lost();
                co_return closed_message();
            }
            live_.heard(now());
        }
    }

    // ---- sending ----------------------------------------------------------------

    // Queues a message and writes the queue unless a write is in progress.
    // False when the socket is not open, or when the queue is full and the
    // policy is drop or close.
    asio::awaitable<bool> send(opcode op, std::string_view payload) {
        return send(op, payload, options_.when_full);
    }
    asio::awaitable<bool> send(opcode op, std::string_view payload, send_queue_full when_full) {
        if (status_ == status::open && full(payload.size())) {
            const bool room = co_await make_room(payload.size(), when_full);
            if (!room) co_return false;
        }
        if (status_ != status::open) co_return false;
        box_.message(op, payload, nullptr);
        co_await flush();
        co_return true;
    }
    // A broadcast's message: its payload is shared, not copied (see shared_message).
    asio::awaitable<bool> send(const shared_message& m, send_queue_full when_full) {
        if (status_ == status::open && full(m.size())) {
            const bool room = co_await make_room(m.size(), when_full);
            if (!room) co_return false;
        }
        if (status_ != status::open) co_return false;
        box_.message(m.is_binary() ? opcode::binary : opcode::text, m.data(), &m.payload_);
        co_await flush();
        co_return true;
    }

    // Throws std::invalid_argument for what a close frame may not carry.
    static void check_close(std::uint16_t code, std::string_view reason) {
        if (!valid_close_code(code) || reason.size() > 123)
            throw std::invalid_argument("websocket: close code must be 1000-1003, 1007-1014 or "
                                        "3000-4999, and its reason at most 123 bytes");
    }

    // Starts the close handshake; the client's close is read by receive().
    asio::awaitable<void> close(std::uint16_t code, std::string_view reason) {
        check_close(code, reason);
        if (status_ != status::open) co_return;
        queue_close(code, reason);
        enter(status::closing);
        co_await flush();
    }

    // The handler returned: closes (1000, or 1011 when it failed), waits
    // for the client's close within close_timeout, and lets go of the
    // connection. Nothing may call the connection after this.
    asio::awaitable<void> finish(bool failed) {
        // The handler may have been cancelled (the drain deadline): the
        // close handshake and the wait for the last write run regardless.
        co_await asio::this_coro::reset_cancellation_state();
        co_await asio::this_coro::throw_if_cancelled(false);
        try {
            if (status_ == status::open)
                co_await close(failed ? close_code::internal_error : close_code::normal, "");
            while (status_ == status::closing && conn_) {
                const auto m = co_await receive(); // data after our close is dropped
                if (!m) break;
            }
        } catch (const std::exception&) {
            // A failed write or read: the socket is done either way.
        }
        if (conn_) conn_->close();
        while (writing_) {
            written_.clear();
            co_await written_.wait(
                asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
        }
        conn_ = nullptr;
        // Nothing more is sent or read: what large messages left goes now,
        // not when the last sender handle goes.
        box_.release();
        reader_.release();
        ended_.store(true, std::memory_order_release);
        enter(status::closed);
    }

    // True once finish() let go of the connection; any thread may ask.
    bool ended() const noexcept { return ended_.load(std::memory_order_acquire); }

    // ---- upgrade_hooks: the deadline and graceful stop ------------------------------

    // The transport found the deadline rearm() set passed: what it was for
    // is done (detail/liveness.hpp), and the next is set. (A write's
    // deadline the transport keeps itself.)
    void deadline_passed(time_point now) override {
        if (!conn_) return;
        switch (live_.check(now, status_, reading_)) {
        case liveness::due::drop:
            return drop();
        case liveness::due::too_slow:
            fail(close_code::policy_violation, "message arriving too slowly");
            return write_in_background();
        case liveness::due::ping:
            box_.frame(opcode::ping, "");
            write_in_background();
            break;
        case liveness::due::nothing:
            break;
        }
        rearm();
    }

    void stop() override {
        if (status_ == status::connecting) stop_pending_ = true; // see open()
        if (!conn_ || status_ != status::open) return;
        queue_close(close_code::going_away, "server shutting down");
        enter(status::closing);
        write_in_background();
    }

private:
    enum class step { more, message, closed };

    // The loop's clock (the transport's).
    time_point now() const noexcept { return conn_ ? conn_->now() : time_point{}; }

    // Sets the transport's deadline to the earliest of what this session
    // waits for, or none. Called where one may have come nearer; one that
    // moved later (a client heard from) is found by deadline_passed().
    void rearm() {
        if (conn_) conn_->expires_at(live_.next(status_, reading_));
    }

    struct reader_guard {
        bool& reading;
        ~reader_guard() { reading = false; }
    };

    // The one place the state changes.
    void enter(status next) {
        status_ = next;
        if (next == status::closing) {
            live_.closing(now());
            rearm();
        }
        if (next == status::closing || next == status::closed) {
            closing_source_.request_stop();
            written_.set(); // waiting senders see it is over
        }
    }

    // ---- frames in (detail/message_reader.hpp) ----------------------------------------

    // Parses what has arrived, acting on control frames, until a message is
    // whole, the socket closes, or more bytes are needed.
    step parse() {
        using found = message_reader::found;
        for (;;) {
            std::size_t used = 0;
            const auto got = reader_.parse(conn_->received(), used);
            conn_->consume(used);
            live_.took(used);
            switch (got.what) {
            case found::more:
                return step::more;
            case found::message:
                return step::message;
            case found::ping:
                if (status_ == status::open) answer_ping();
                break;
            case found::pong: // any byte heard already cleared the ping
                break;
            case found::close:
                return peer_closed(got.code, got.reason);
            case found::failure:
                fail(got.code, got.reason);
                return step::closed;
            }
        }
    }

    // The client's close (RFC 6455 §7.4): answered with the same code while
    // open, and the socket closed.
    step peer_closed(std::uint16_t code, std::string_view reason) {
        if (status_ == status::open) queue_close(code == close_code::no_status ? 0 : code, "");
        closed_code_ = code;
        closed_reason_.assign(reason);
        close_after_write_ = true; // the server closes TCP first (RFC 6455 §7.1.1)
        enter(status::closed);
        return step::closed;
    }

    // Fails the connection (RFC 6455 §7.1.7): a close frame with `code` if
    // none was sent, then the socket closes once it is written.
    bool fail(std::uint16_t code, std::string_view reason) {
        if (status_ == status::open) queue_close(code, reason);
        closed_code_ = code;
        closed_reason_.assign(reason);
        close_after_write_ = true;
        enter(status::closed);
        return false;
    }

    // The connection ended without a close frame.
    void lost() {
        if (status_ != status::closed) {
            closed_code_ = close_code::abnormal;
            closed_reason_.clear();
        }
        enter(status::closed);
    }

    // Stops waiting for a client that does not answer or does not read.
    void drop() {
        lost();
        if (conn_) conn_->close();
    }

    websocket_message closed_message() const {
        return websocket_message(websocket_message::kind::close, closed_reason_, closed_code_);
    }

    // ---- frames out (detail/outbox.hpp) -------------------------------------------

    bool full(std::size_t size) const noexcept { return box_.full(size); }
    bool over_bound() const noexcept { return conn_ && box_.over_bound(); }

    // Waits until the queue is written (or the socket closed).
    asio::awaitable<void> drained() {
        kick();
        while (over_bound() && status_ != status::closed) {
            written_.clear();
            co_await written_.wait();
        }
    }

    // The queue is full: waits for room, or drops, or closes (`when_full`).
    // Whether the message may be queued.
    asio::awaitable<bool> make_room(std::size_t size, send_queue_full when_full) {
        while (status_ == status::open && full(size)) {
            if (when_full == send_queue_full::drop) co_return false;
            if (when_full == send_queue_full::close) {
                fail(close_code::policy_violation, "send queue full");
                co_await flush();
                co_return false;
            }
            written_.clear();
            co_await written_.wait();
        }
        co_return status_ == status::open;
    }

    // A ping's answer: only the latest while a write waits for the client.
    void answer_ping() { box_.pong(reader_.control(), writing_); }

    void queue_close(std::uint16_t code, std::string_view reason) { box_.close(code, reason); }

    // Writes the queue, unless another coroutine is writing (it takes
    // what was queued meanwhile). A failed write fails the connection. A
    // writer that is cancelled writes the queue first (writes are not
    // cancellable: a frame is never cut) and throws after.
    asio::awaitable<void> flush() {
        if (writing_ || !conn_) co_return;
        writing_ = true;
        writer_guard guard{*this};
        // The writer's own cancellation waits until the queue is written:
        // a frame cut short would corrupt the stream for everyone.
        const bool throws = co_await asio::this_coro::throw_if_cancelled();
        co_await asio::this_coro::throw_if_cancelled(false);
        std::error_code ec;
        while (box_.has_output() && !ec) {
            const send_queue& batch = box_.take();
            written_.set(); // the queue has room again
            ec = co_await write(batch);
            box_.written();
        }
        co_await asio::this_coro::throw_if_cancelled(throws);
        guard.done = true;
        if (ec) {
            box_.discard();
            lost();
            conn_->close();
        } else if (close_after_write_) {
            conn_->close();
        }
    }

    // Ends a flush however it ends (bad_alloc included): the next writer may
    // start, waiters wake, and what is still queued has a writer.
    struct writer_guard {
        websocket_session& self;
        bool done = false;
        ~writer_guard() {
            self.writing_ = false;
            self.box_.written();
            self.written_.set();
            if (!done && self.box_.has_output()) self.write_in_background();
        }
    };

    // Writes `batch` directly when the socket takes it, else through the
    // transport's reactor path, where each 64 KiB piece has write_timeout,
    // so a client that reads steadily is never dropped.
    asio::awaitable<std::error_code> write(const send_queue& batch) {
        std::error_code ec;
        for (std::size_t i = 0; i < batch.pieces() && !ec; ++i) {
            std::string_view bytes = batch.piece(i);
            bytes.remove_prefix(conn_->write_now(bytes, ec));
            if (!ec && !bytes.empty())
                ec = co_await conn_->write_all(bytes, options_.write_timeout);
        }
        co_return ec;
    }

    // Writes what the reader queued (a pong, the answer to a close) without
    // awaiting, so that a cancelled receive() loses nothing: at once when
    // the socket takes it, else in a writer of the socket's own.
    void kick() {
        if (writing_ || !conn_) return;
        send_queue& pending = box_.unwritten();
        if (pending.empty()) return;
        if (pending.has_shared()) return write_in_background();
        std::error_code ec;
        pending.consume(conn_->write_now(pending.bytes(), ec));
        if (ec) {
            box_.discard();
            lost();
            conn_->close();
        } else if (!pending.empty()) {
            write_in_background();
        } else if (close_after_write_) {
            conn_->close();
        }
    }

    // From the sweeper or a stop: writes what it queued, in a coroutine
    // of its own, when nobody is writing.
    void write_in_background() {
        if (writing_ || !conn_) return;
        asio::co_spawn(
            executor_, [self = shared_from_this()]() { return self->flush(); }, asio::detached);
    }

    upgradable_connection* conn_;
    asio::any_io_executor executor_;
    std::shared_ptr<const websocket_options> shared_options_; // the router's, shared
    const websocket_options& options_;
    status status_ = status::connecting;
    stop_source closing_source_;
    stop_token closing_token_ = closing_source_.token();

    // reading
    bool reading_ = false;
    message_reader reader_{options_.max_message_bytes};
    bool delivered_ = false; // the reader's message was returned by the last receive()
    std::uint16_t closed_code_ = close_code::abnormal;
    std::string closed_reason_;

    std::unique_ptr<message_compression> compression_; // negotiated, or null

    // writing
    outbox box_{options_.send_queue_bytes};
    bool writing_ = false;      // a flush() is writing (the one writer)
    bool stop_pending_ = false; // stop() came before the socket was open
    std::atomic<bool> ended_{false};
    bool close_after_write_ = false;
    // Set when the queue is taken for writing (it has room), when a write
    // ends and when the socket closes; whoever waits checks why.
    event written_;

    liveness live_{options_}; // the close, message-rate and ping deadlines
};

} // namespace bareasio::detail
