// connection: serves one client connection as one coroutine. It is built
// from named parts, each in its own header:
//   transport          the stream, its read and write deadlines, direct
//                      and reactor reads and writes (transport/)
//   read_buffer        bytes received and not yet parsed (from the loop's pool)
//   output_queue       responses waiting to be written together
//   client_watch       hang-up detection while a handler runs
// and the request cycle, here: serve() reads and parses heads;
// handle_request() runs begin_request, the handler, finish_body, then
// start_response (and stream_body for a streaming writer).
//
// Phases (phase_, changed by enter(); the loop's sweeper enforces the
// deadline each one sets on the transport):
//   handshake the stream's own (TLS), before any request  handshake_timeout: close
//   idle      waiting for the first byte of a request     keep_alive_timeout: close quietly
//   head      a request has begun, its head is incomplete header_timeout: 408 and close
//   handling  the handler runs; its body reads pull bytes body_timeout per read: 408, close
//             from the socket on demand (back-pressure)
//   closed    done
// Writes have write_timeout in any phase: a client that takes no bytes is
// dropped. After a handler returns, any unread body is drained (or the
// connection is closed), and its response is appended to the output queue,
// which is written when no further request is already buffered, so the
// responses to one read of pipelined requests leave in one write, in order.
// HTTP/2 (when loop_context::second offers it): before its first request a
// connection whose TLS handshake agreed on "h2", or whose client opened
// with HTTP/2's preface, is given to that protocol, which serves it to
// the end (server/second_protocol.hpp).
// Graceful stop: an idle connection closes at once; a busy one finishes its
// request, answers with Connection: close and closes; later pipelined
// requests are not started.
// Thread safety: a connection lives on one event loop and is used only there.
#pragma once

#include <bareasio/detail/asio_compat.hpp>
#include <bareasio/detail/log.hpp>
#include <bareasio/http/error_response.hpp>
#include <bareasio/http/http_error.hpp>
#include <bareasio/http/request.hpp>
#include <bareasio/http/request_parser.hpp>
#include <bareasio/http/response.hpp>
#include <bareasio/http/serializer.hpp>
#include <bareasio/http/upgrade.hpp>
#include <bareasio/server/client_watch.hpp>
#include <bareasio/server/loop_context.hpp>
#include <bareasio/transport/output_queue.hpp>
#include <bareasio/transport/read_buffer.hpp>
#include <bareasio/transport/transport.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/this_coro.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <system_error>

namespace bareasio {

// The face a connection shows to its loop's registry and sweeper.
class connection_base {
public:
    using time_point = loop_clock::time_point;
    enum class phase { handshake, idle, head, handling, closed };

    virtual ~connection_base() = default;

    phase current_phase() const noexcept { return phase_; }

    // Called by the sweeper: ends the pending I/O if its deadline passed,
    // else watches a long-running handler's client.
    virtual void sweep(time_point now) = 0;
    // A graceful stop began: an idle connection (or one in its handshake)
    // closes now.
    virtual void stop_if_idle() = 0;
    virtual void close() = 0;
    // What cancels the connection's coroutine (and the handler it awaits).
    void set_cancel_signal(asio::cancellation_signal* s) noexcept { cancel_signal_ = s; }

protected:
    phase phase_ = phase::idle;
    asio::cancellation_signal* cancel_signal_ = nullptr;
};

template <class Stream>
class connection final : public connection_base,
                         private body_source,
                         private body_sink,
                         private upgradable_connection {
public:
    using time_point = connection_base::time_point;

    connection(Stream stream, loop_context& loop)
        : transport_(std::move(stream), loop.clock), loop_(loop), config_(*loop.config),
          parser_(request_.head(), config_.limits()), in_(loop.buffers) {
        request_.set_info(loop.info);
        request_.set_stopping(loop.draining.token());
        request_.set_upgrade(this);
        find_peer();
    }

    Stream& stream() noexcept { return transport_.next_layer(); }

    // Serves requests until the client leaves, an error, or a stop.
    asio::awaitable<void> run() {
        bool served = false; // to the end: no error, no cancellation
        try {
            if (co_await handshake()) {
                co_await serve();
                served = true;
            }
        } catch (const std::system_error&) {
            // The client went away, an I/O deadline passed or the drain
            // deadline cancelled us: nothing to answer.
        }
        phase_ = phase::closed;
        const bool watching = watch_.on(watch_input::handler_ended) == watch_state::stopping;
        if constexpr (transport<Stream>::has_goodbye)
            if (served && !watching) { // TLS: close_notify, within write_timeout
                try {
                    co_await transport_.goodbye(config_.write_timeout);
                } catch (const std::system_error&) { // cancelled by the drain deadline
                }
            }
        transport_.close();
        // If this coroutine was cancelled, Asio would throw at the next
        // co_await; a watch read must still be waited for, since its
        // completion refers to this connection.
        co_await asio::this_coro::throw_if_cancelled(false);
        if (watching) co_await end_watch();
    }

    void sweep(time_point now) override {
        using deadline = typename transport<Stream>::deadline;
        switch (transport_.passed(now)) {
        case deadline::write: // the client takes nothing: dropped, whatever the protocol
            return transport_.expire_write();
        case deadline::read: // after a 101, the protocol decides what a deadline means
            return taken_ ? taken_->deadline_passed(now) : transport_.expire();
        case deadline::none:
            if (!taken_) watch_client();
            return;
        }
    }

    void stop_if_idle() override {
        if (taken_) taken_->stop();
        if (phase_ == phase::idle || phase_ == phase::handshake) transport_.cancel();
    }

    void close() noexcept override { transport_.close(); } // (also upgradable_connection's)

private:
    using event_kind = request_parser::event;
    using watch_state = client_watch::state;
    using watch_input = client_watch::input;

    // The current request's body, as the handler and finish_body() see it.
    enum class body_state {
        complete,          // read to its end, or there is none
        unread,            // more of it is to be read from the socket
        awaiting_continue, // the client waits for 100 Continue before sending it
        failed,            // malformed, timed out or cut off: the connection closes
    };

    void enter(phase p, std::chrono::milliseconds timeout) {
        phase_ = p;
        transport_.expires_after(timeout);
    }

    asio::awaitable<void> flush(bool try_now = true) {
        return transport_.flush(out_, config_.write_timeout, try_now, response_rate_,
                                config_.min_response_rate);
    }

    // ---- the request cycle ---------------------------------------------------

    // The stream's own handshake (TLS), within handshake_timeout. False: it
    // failed, timed out or was cancelled by a stop: the connection closes.
    asio::awaitable<bool> handshake() {
        if constexpr (transport<Stream>::has_handshake) {
            if (loop_.stopping()) co_return false;
            enter(phase::handshake, config_.handshake_timeout);
            const std::error_code ec = co_await transport_.handshake();
            if (ec) co_return false;
            phase_ = phase::idle;
            if constexpr (stream_with_alpn<Stream>)
                agreed_second_ = loop_.second && !loop_.second->alpn().empty() &&
                                 transport_.next_layer().alpn() == loop_.second->alpn();
        }
        co_return true;
    }

    // Reads each request head and handles the request, until the client
    // leaves, an error, or a stop. Heads are read here, not in a helper
    // coroutine: a frame less per request.
    asio::awaitable<void> serve() {
        if (loop_.second) { // a protocol of its own, before the first request
            const opening first = co_await sniff();
            if (first == opening::second) co_await switch_protocol();
            if (first != opening::http1) co_return;
        }
        for (;;) {
            if (!in_.empty()) {
                const event_kind what = parse_head();
                if (what == event_kind::head_complete) {
                    const bool again = co_await handle_request();
                    // A stop that began while the response was streamed:
                    // pipelined requests behind it are not started either.
                    if (!again || loop_.stopping()) break;
                    continue;
                }
                if (what == event_kind::error) {
                    co_await send_error(parser_.error_status(), parser_.error_reason());
                    co_return;
                }
            }
            // Answer what is answered before waiting for more.
            if (!out_.empty() && !transport_.write_now(out_)) co_await flush(false);
            if (phase_ != phase::head) {
                if (loop_.stopping()) break;
                enter(phase::idle, config_.keep_alive_timeout);
            }
            in_.prepare(phase_ == phase::idle);
            const std::error_code ec = co_await transport_.read(in_, out_);
            if (!ec) continue;
            if (phase_ == phase::head && ec == errc::timeout) {
                co_await send_error(408, "request head not received in time");
                co_return;
            }
            break;
        }
        co_await flush();
    }

    // What the connection speaks, decided before its first request (only
    // when a second protocol is offered: plain servers never pay for it).
    enum class opening { http1, second, undecided, closed };
    asio::awaitable<opening> sniff() {
        for (;;) {
            opening first = opens_with();
            // Neither HTTP/1.x nor HTTP/2's preface: no 400 either could read.
            if (first == opening::http1 && !says_http1()) first = opening::closed;
            if (first != opening::undecided) co_return first;
            if (!in_.empty() && phase_ != phase::head)
                enter(phase::head, config_.header_timeout); // part of a preface
            else if (in_.empty())
                enter(phase::idle, config_.keep_alive_timeout);
            if (loop_.stopping() && phase_ == phase::idle) co_return opening::closed;
            in_.prepare(phase_ == phase::idle);
            if (co_await transport_.read(in_, out_)) co_return opening::closed;
        }
    }

    opening opens_with() const noexcept {
        if (agreed_second_) return opening::second;
        const std::string_view preface = loop_.second->preface();
        if (preface.empty()) return opening::http1;
        const std::string_view got = in_.unparsed();
        const std::size_t n = std::min(got.size(), preface.size());
        if (got.substr(0, n) != preface.substr(0, n)) return opening::http1;
        return n == preface.size() ? opening::second : opening::undecided;
    }

    // With HTTP/2 offered, a first line that is complete and names no
    // HTTP/1 version (an HTTP/2 client's wrong preface, RFC 9113 §3.4) is
    // not answered with an HTTP/1.1 400: the connection closes.
    bool says_http1() const noexcept {
        const std::string_view got = in_.unparsed();
        const auto end = got.find('\n');
        return end == std::string_view::npos ||
               got.substr(0, end).find("HTTP/1.") != std::string_view::npos;
    }

    // Gives the connection to the second protocol (HTTP/2) until it ends.
    asio::awaitable<void> switch_protocol() {
        phase_ = phase::handling;
        transport_.expires_never();
        const auto protocol = loop_.second; // kept while it serves
        struct untake { // however serve() ends, the sweeper stops calling its hooks
            upgrade_hooks*& taken;
            ~untake() { taken = nullptr; }
        } guard{taken_};
        co_await protocol->serve(*this, loop_, peer_info{peer_, peer_trusted_, scheme_of<Stream>});
    }

    // Parses what has arrived of the next head. Bytes of a head that is not
    // complete (or malformed, and about to be answered) enter the head
    // phase: header_timeout runs from its first bytes, and a graceful stop
    // no longer takes the connection for idle.
    event_kind parse_head() {
        const auto step = parser_.parse(in_.unparsed());
        in_.consume(step.consumed);
        if (step.what != event_kind::head_complete && phase_ != phase::head)
            enter(phase::head, config_.header_timeout);
        return step.what;
    }

    // Handles the request whose head was just parsed: the handler, what it
    // left of the body, the response. False: close after it. The handler is
    // awaited here, not in a helper coroutine: each nested frame past Asio's
    // per-thread cache is an allocation.
    asio::awaitable<bool> handle_request() {
        if (!begin_request()) {
            co_await send_error(400, "malformed request target");
            co_return false;
        }
        response res;
        std::exception_ptr failure;
        watch_.on(watch_input::handler_started);
        try {
            res = co_await (*loop_.handler)(request_);
        } catch (...) {
            failure = std::current_exception();
        }
        if (watch_.on(watch_input::handler_ended) == watch_state::stopping) co_await end_watch();
        if (taken_) { // after a 101, the handler had the connection: it closes
            taken_ = nullptr;
            log_access(101, 0);
            co_return false;
        }
        if (watch_.client_gone() || failed_writing(failure)) { // nobody to answer
            log_access(499, 0);
            co_return false;
        }
        if (failure) res = failure_response(failure);
        if (body_ == body_state::failed && !answers_failed_body(res.status))
            co_return false; // the client is gone or sent garbage: nothing to answer
        bool reusable = body_ == body_state::complete; // after a 413 the rest is not worth reading
        if (!reusable && res.status != 413) reusable = co_await finish_body();
        bool again = keeps_alive(res, reusable);
        try {
            // A buffered response is only appended here (no coroutine frame);
            // it leaves with the next flush, together with any pipelined ones.
            const body_framing streaming = start_response(res, again);
            if (streaming != body_framing::none)
                again = co_await stream_body(res.body, streaming) && again;
            else if (out_.size() >= output_queue::flush_threshold)
                co_await flush();
        } catch (...) {
            log_access(res.status, streamed_);
            throw;
        }
        if (loop_.access) log_access(res.status, body_bytes(res));
        co_return again && !watch_.client_gone();
    }

    // Prepares the request whose head was parsed. False: its target is malformed.
    bool begin_request() {
        const request_head& head = request_.head();
        phase_ = phase::handling;
        transport_.expires_never(); // the handler takes as long as it takes
        if (loop_.access) started_ = transport_.now();
        streamed_ = 0;
        body_rate_.reset();
        response_rate_.reset();
        body_ = head.expect_continue ? body_state::awaiting_continue : body_state::unread;
        if (!head.chunked && head.content_length.value_or(0) == 0) {
            // No body: let the parser see the end of the message now.
            const auto step = parser_.parse(in_.unparsed());
            in_.consume(step.consumed);
            if (step.what == event_kind::message_complete) body_ = body_state::complete;
        }
        if (!request_.prepare(this)) return false;
        request_.body().set_limit(config_.max_body_bytes);
        if (peer_trusted_) { // only then can headers change who the client is
            const auto origin = loop_.proxies.resolve(peer_, true, head.headers);
            request_.set_client(origin.address, origin.scheme);
        }
        // Nothing of the request is left in the buffer (no body, no pipelined
        // bytes): a handler that waits (the seed's page) need not hold it.
        if (body_ == body_state::complete) in_.release_if_empty();
        return true;
    }

    // Statuses that answer a body that failed (the client may still read them).
    static bool answers_failed_body(int status) noexcept {
        return status == 400 || status == 408 || status == 413;
    }

    bool keeps_alive(const response& res, bool reusable) const {
        if (!request_.head().keep_alive || !reusable || loop_.stopping()) return false;
        const auto c = res.headers.get("connection");
        return !(c && contains_token(*c, "close"));
    }

    // What a handler's exception becomes.
    response failure_response(const std::exception_ptr& failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const std::system_error& e) {
            if (body_ == body_state::failed) return response(400);
            // Cancelled by the drain deadline or because the client left:
            // expected, and nothing will be sent.
            if ((loop_.stopping() || watch_.client_gone()) &&
                e.code() == asio::error::operation_aborted)
                return error_response(503);
        } catch (...) {
        }
        return handler_failure_response(failure,
                                        [this](std::string_view what) { log_failure(what); });
    }

    // The handler failed on a write to its client (a 100 Continue): what
    // reached the client is cut short, so nothing more may follow.
    static bool failed_writing(const std::exception_ptr& failure) noexcept {
        if (!failure) return false;
        try {
            std::rethrow_exception(failure);
        } catch (const write_error&) {
            return true;
        } catch (...) {
            return false;
        }
    }

    void log_failure(std::string_view what) const {
        detail::log_line("bareasio: handler for " + request_.head().method + " " +
                         request_.head().target + " failed: " + std::string(what));
    }

    void find_peer() {
        if constexpr (stream_with_peer<Stream>) {
            std::error_code ec;
            const auto endpoint = transport_.next_layer().remote_endpoint(ec);
            if (!ec) {
                peer_ = endpoint.address().to_string();
                peer_trusted_ = loop_.proxies.contains(endpoint.address());
            }
        }
        request_.set_client(peer_, scheme_of<Stream>);
    }

    // ---- the request body ------------------------------------------------------

    // body_source: the next piece of the current request's body.
    asio::awaitable<std::string_view> read_some() override {
        if (body_ == body_state::complete) co_return std::string_view{};
        if (body_ == body_state::awaiting_continue) {
            out_.append("HTTP/1.1 100 Continue\r\n\r\n");
            body_ = body_state::unread;
        }
        for (;;) {
            const auto step = parser_.parse(in_.unparsed());
            in_.consume(step.consumed);
            if (step.what == event_kind::error) {
                body_ = body_state::failed;
                throw http_error(400, "malformed request body");
            }
            body_rate_.record({}, step.body.size());
            if (step.what == event_kind::message_complete) body_ = body_state::complete;
            if (!step.body.empty() || body_ == body_state::complete) co_return step.body;
            if (!out_.empty()) co_await flush();
            in_.prepare(false);
            const std::error_code ec = co_await transport_.read(
                in_, out_, config_.body_timeout, body_rate_, config_.min_request_body_rate);
            if (ec) fail_body(ec);
        }
    }

    [[noreturn]] void fail_body(std::error_code ec) {
        // The handler was cancelled (with_timeout, the drain): the body is not broken.
        if (ec == asio::error::operation_aborted)
            throw std::system_error(ec, "reading the request body");
        body_ = body_state::failed;
        if (ec == errc::timeout) throw http_error(408, "request body not received in time");
        throw std::system_error(asio::error::eof, "client closed during the request body");
    }

    // After the handler: consumes what it left of the body, so that the next
    // request parses. False: close instead.
    asio::awaitable<bool> finish_body() {
        // A client that waits for 100 Continue holds the body back: do not invite it.
        if (body_ != body_state::unread) co_return body_ == body_state::complete;
        std::size_t drained = 0;
        try {
            while (body_ != body_state::complete) {
                const std::string_view piece = co_await this->read_some();
                drained += piece.size();
                if (drained > config_.max_body_bytes) co_return false;
            }
        } catch (const std::exception&) {
            co_return false;
        }
        co_return true;
    }

    // ---- the client watch ------------------------------------------------------

    // Called by the sweeper while a handler (or a streaming body) runs.
    void watch_client() {
        if (body_ != body_state::complete) return; // the handler reads the socket itself
        // Only a due watch starts a read: one already reading stays so, and
        // a second read would share the first's free space (and could
        // complete after the connection is gone).
        const bool starts = watch_.current() == watch_state::due;
        if (starts) {
            in_.acquire();          // given back while the handler runs
            if (in_.full()) return; // the client waits for us (back-pressure)
        }
        if (watch_.on(watch_input::sweep) != watch_state::reading || !starts) return;
        watch_.read_done().clear();
        // Into the free tail only: the handler may still hold views of earlier bytes.
        transport_.async_read_some(in_.free_space(), [this](std::error_code ec, std::size_t n) {
            in_.commit(n);
            const bool left = ec && ec != asio::error::operation_aborted;
            if (watch_.on(left ? watch_input::hang_up : watch_input::read_ended) ==
                    watch_state::gone &&
                cancel_signal_)
                cancel_signal_->emit(asio::cancellation_type::terminal);
            watch_.read_done().set();
        });
    }

    // Cancels the pending watch read and waits for its completion.
    asio::awaitable<void> end_watch() {
        transport_.cancel();
        co_await watch_.read_done().wait(
            asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
    }

    // ---- the response -----------------------------------------------------------

    bool head_request() const noexcept {
        return std::string_view(request_.head().method) == "HEAD";
    }

    // Appends the head of `res`, and its body when buffered, to the output
    // queue. Clears keep_alive when the body ends with the connection.
    // Returns the framing of a streaming body still to be sent, or none.
    body_framing start_response(response& res, bool& keep_alive) {
        const request_head& head = request_.head();
        head_options options{head.version, keep_alive, head_request()};
        body_framing framing;
        try {
            framing = write_head(out_.bytes(), res, loop_.dates.get(), options);
        } catch (const std::invalid_argument& e) {
            log_failure(e.what());
            res = error_response(500, "", nullptr);
            framing = write_head(out_.bytes(), res, loop_.dates.get(), options);
        }
        if (framing == body_framing::until_close) keep_alive = false;
        if (options.head_request || framing == body_framing::none) return body_framing::none;
        if (res.body.type() == body_writer::kind::buffer) out_.append(res.body.data());
        return res.body.type() == body_writer::kind::stream ? framing : body_framing::none;
    }

    // Runs a streaming writer with this connection as its sink; the client
    // is watched meanwhile (a long stream: server-sent events). False: the
    // body was cut short.
    asio::awaitable<bool> stream_body(const body_writer& body, body_framing framing) {
        streaming_ = framing;
        streamed_ = 0;
        bool complete = false;
        watch_.on(watch_input::handler_started);
        try {
            co_await body.producer()(*this);
            complete = true;
        } catch (const write_error&) {
            // The reader left or stopped reading: not the writer's failure.
        } catch (const std::system_error& e) {
            // Nor a reader that hung up, or the drain, cancelling it.
            if (!watch_.client_gone() && !loop_.stopping()) log_failure(e.what());
        } catch (const std::exception& e) {
            log_failure(e.what()); // the head is out: all we can do is cut the body short
        }
        if (watch_.on(watch_input::handler_ended) == watch_state::stopping) co_await end_watch();
        co_return complete&& end_stream(body);
    }

    // The streaming writer returned: checks its length and ends the chunks.
    bool end_stream(const body_writer& body) {
        if (auto length = body.length(); length && *length != streamed_) {
            log_failure("streaming writer wrote " + std::to_string(streamed_) +
                        " bytes after declaring " + std::to_string(*length));
            return false;
        }
        if (streaming_ == body_framing::chunked) write_last_chunk(out_.bytes());
        return true;
    }

    // body_sink: one chunk of a streamed body, written at once.
    asio::awaitable<void> write(std::string_view chunk) override {
        if (watch_.client_gone())
            throw std::system_error(asio::error::connection_reset, "client left");
        if (chunk.empty()) co_return;
        streamed_ += chunk.size();
        if (streaming_ == body_framing::chunked)
            write_chunk(out_.bytes(), chunk);
        else
            out_.append(chunk);
        co_await flush();
    }

    asio::awaitable<void> send_error(int status, std::string_view message) {
        response res = error_response(status, message, nullptr);
        log_access(status, res.body.data().size());
        head_options options{request_.head().version, false, false};
        write_head(out_.bytes(), res, loop_.dates.get(), options);
        out_.append(res.body.data());
        co_await flush();
    }

    // ---- taken over after a 101 (upgradable_connection) -----------------------

    asio::awaitable<void> take(upgrade_hooks& hooks) override {
        if (watch_.on(watch_input::handler_ended) == watch_state::stopping) co_await end_watch();
        taken_ = &hooks;
        transport_.expires_never();
        // The protocol writes from buffers of its own: the output queue only
        // lends its storage to reads, enough for a small message's in one.
        out_.bytes().reserve(taken_read_bytes);
    }
    static constexpr std::size_t taken_read_bytes = 512;
    std::span<char> received() noexcept override { return in_.unparsed_bytes(); }
    void consume(std::size_t n) noexcept override { in_.consume(n); }
    asio::awaitable<std::error_code> receive_more() override {
        in_.prepare(true); // an idle socket holds no pool buffer
        return transport_.read(in_, out_);
    }
    std::size_t write_now(std::string_view bytes, std::error_code& ec) override {
        return transport_.write_some_now(asio::buffer(bytes), ec);
    }
    asio::awaitable<std::error_code> write_all(std::string_view bytes,
                                               std::chrono::milliseconds timeout) override {
        return transport_.write_all(bytes, timeout);
    }
    time_point now() const noexcept override { return transport_.now(); }
    void expires_at(time_point when) noexcept override { transport_.expires_at(when); }
    bool stopping() const noexcept override { return loop_.stopping(); }
    asio::any_io_executor executor() const override {
        return const_cast<transport<Stream>&>(transport_).next_layer().get_executor();
    }

    // ---- the access log -------------------------------------------------------

    std::uint64_t body_bytes(const response& res) const noexcept {
        if (head_request()) return 0;
        if (res.body.type() == body_writer::kind::buffer) return res.body.data().size();
        return streamed_;
    }

    // One line for the request being answered (status 499: the client left).
    void log_access(int status, std::uint64_t bytes) {
        if (!loop_.access) return;
        const request_head& head = request_.head();
        const auto since =
            started_ == time_point{} ? loop_clock::duration{} : transport_.now() - started_;
        const access_record record{
            .client = request_.client_address(),
            .method = head.method,
            .target = head.target,
            .version = head.version,
            .status = status,
            .body_bytes = bytes,
            .referer = head.headers.get("referer").value_or(std::string_view{}),
            .user_agent = head.headers.get("user-agent").value_or(std::string_view{}),
            .duration = std::chrono::duration_cast<std::chrono::microseconds>(since),
        };
        loop_.access_line.clear();
        format_access_line(loop_.access_line, record, loop_.access_clock.get());
        loop_.access->write(loop_.access_line);
        started_ = {};
    }

    transport<Stream> transport_;
    loop_context& loop_;
    const server_config& config_;
    std::string peer_; // the TCP peer's address, once
    bool peer_trusted_ = false;
    bool agreed_second_ = false; // TLS's ALPN chose the second protocol
    request request_;
    request_parser parser_;
    read_buffer in_;
    output_queue out_;
    client_watch watch_;
    upgrade_hooks* taken_ = nullptr; // after a 101: the protocol that took over
    body_state body_ = body_state::complete;
    body_framing streaming_ = body_framing::none; // of the body being streamed
    std::uint64_t streamed_ = 0;                  // bytes of it so far
    rate_meter body_rate_;     // the current request's body (min_request_body_rate)
    rate_meter response_rate_; // its response (min_response_rate)
    time_point started_{};     // the current request's head was parsed (access log only)
};

} // namespace bareasio

#if defined(BAREASIO_SEPARATE_COMPILATION)
// The one connection a server makes, compiled once into the library
// (src/bareasio.cpp) instead of in every translation unit that names it.
#include <asio/ip/tcp.hpp>

namespace bareasio {
extern template class connection<asio::ip::tcp::socket>;
} // namespace bareasio
#endif
