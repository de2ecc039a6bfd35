// connection: serves one client connection as one coroutine.
//
// State machine (state_ says where it waits; the loop's sweeper enforces the
// deadline of the state it finds):
//   idle      waiting for the first byte of a request     keep_alive_timeout: close quietly
//   head      a request has begun, its head is incomplete header_timeout: 408 and close
//   handling  the handler runs; its body reads pull bytes body_timeout per read: 408, close
//             from the socket on demand (back-pressure)
//   writing   waiting for the client to take a response   write_timeout: close
// A handler still running at its second sweep (250-500 ms) with its body
// read is watched (most handlers end sooner, and starting a watch for each
// would cost more than the handler): the sweeper starts a read on the socket, so a client that hangs up is noticed
// and the handler is cancelled through Asio cancellation (a wait on an
// event, a streaming write) instead of answering nobody. Bytes that arrive
// meanwhile (the next pipelined request) are kept; the read buffer bounds
// how much, and a full buffer stops the watch (back-pressure).
// A request with no body and nothing behind it gives its read buffer back
// while its handler runs, so 10,000 handlers waiting do not hold 10,000
// buffers.
// Sockets are non-blocking: a response is written directly when the socket
// takes it (the usual case) and the reactor is used only for the rest. An
// idle connection reads the next request's first bytes into its empty
// output string's storage, a read the reactor keeps queued with no system
// call, so a keep-alive request costs one reactor operation and three
// system calls (epoll_wait, recv, send).
// After a handler returns, any unread body is drained (or the connection is
// closed), and its response is appended to one output buffer. The buffer is
// written when no further request is already buffered, so the responses to
// one read of pipelined requests leave in one write, in order.
// Graceful stop: an idle connection closes at once; a busy one finishes its
// request, answers with Connection: close and closes; later pipelined
// requests are not started.
// Thread safety: a connection lives on one event loop and is used only there.
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/detail/asio_compat.hpp>
#include <bareasio/detail/log.hpp>
#include <bareasio/http/date_cache.hpp>
#include <bareasio/http/error_response.hpp>
#include <bareasio/http/handler.hpp>
#include <bareasio/http/http_error.hpp>
#include <bareasio/http/request.hpp>
#include <bareasio/http/request_parser.hpp>
#include <bareasio/http/response.hpp>
#include <bareasio/http/serializer.hpp>
#include <bareasio/server/access_log.hpp>
#include <bareasio/server/buffer_pool.hpp>
#include <bareasio/server/config.hpp>
#include <bareasio/server/trusted_proxies.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/buffer.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/socket_base.hpp>
#include <asio/this_coro.hpp>
#include <asio/write.hpp>

#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bareasio {

// What the connections of one event loop share.
struct loop_context {
    const server_config* config = nullptr;
    buffer_pool buffers;     // sized from config->read_buffer_bytes
    trusted_proxies proxies; // from config->trusted_proxies
    const http_handler* handler = nullptr;
    shared_info info;
    date_cache dates;
    bool stopping = false; // graceful stop requested: finish, then close
    // The access log, when config->access_log names one; its timestamp and
    // line buffer are the loop's, so logging takes no lock but stdio's.
    std::shared_ptr<access_log> access;
    access_time access_clock;
    std::string access_line;
};

// The face a connection shows to the loop's registry and sweeper.
class connection_base {
public:
    using clock = std::chrono::steady_clock;
    enum class state { idle, head, handling, writing, closed };

    virtual ~connection_base() = default;

    state current_state() const noexcept { return state_; }
    clock::time_point deadline() const noexcept { return deadline_; }

    // The deadline of the current state passed: interrupt the pending I/O.
    void expire() {
        timed_out_ = true;
        cancel_io();
    }
    // A graceful stop began: an idle connection closes now.
    void stop_if_idle() {
        if (state_ == state::idle) cancel_io();
    }
    virtual void close() = 0;
    // Called by the sweeper: notice a client that leaves while its handler runs.
    virtual void watch_client() = 0;
    // What cancels the connection's coroutine (and the handler it awaits).
    void set_cancel_signal(asio::cancellation_signal* s) noexcept { cancel_signal_ = s; }

protected:
    virtual void cancel_io() = 0;

    void enter(state s, std::chrono::milliseconds timeout) {
        state_ = s;
        deadline_ = clock::now() + timeout;
    }
    void enter_unbounded(state s) {
        state_ = s;
        deadline_ = clock::time_point::max();
    }

    state state_ = state::idle;
    clock::time_point deadline_ = clock::time_point::max();
    bool timed_out_ = false;
    asio::cancellation_signal* cancel_signal_ = nullptr;
};

template <class Stream>
class connection final : public connection_base, private body_source, private body_sink {
public:
    connection(Stream stream, loop_context& loop)
        : stream_(std::move(stream)), loop_(loop), config_(*loop.config),
          parser_(request_.head(), config_.limits()) {
        request_.set_info(loop.info);
        if constexpr (requires(Stream & s) { s.remote_endpoint(); }) {
            std::error_code ec;
            const auto endpoint = stream_.remote_endpoint(ec);
            if (!ec) {
                peer_ = endpoint.address().to_string();
                peer_trusted_ = loop_.proxies.contains(endpoint.address());
            }
        }
        request_.set_client(peer_, "http");
        if constexpr (direct_io) {
            std::error_code ec;
            stream_.non_blocking(true, ec);
            direct_ = !ec;
        }
    }

    Stream& stream() noexcept { return stream_; }

    // Serves requests until the client leaves, an error, or a stop.
    asio::awaitable<void> run() {
        try {
            co_await serve();
        } catch (const std::system_error&) {
            // The client went away, an I/O deadline passed or the drain
            // deadline cancelled us: nothing to answer.
        }
        state_ = state::closed;
        watch_allowed_ = false;
        close();
        // If this coroutine was cancelled, Asio would throw at the next
        // co_await; the watch callback must still be waited for, since it
        // refers to this connection.
        co_await asio::this_coro::throw_if_cancelled(false);
        co_await stop_watching();
        if (!buffer_.empty()) loop_.buffers.give(std::move(buffer_));
    }

    void watch_client() override {
        if (!watch_allowed_ || !body_done_ || watching_ || client_gone_) return;
        if (!watch_due_) { // a first sweep: most handlers end before the next
            watch_due_ = true;
            return;
        }
        if (buffer_.empty()) { // given back while the handler runs
            buffer_ = loop_.buffers.take();
            begin_ = end_ = 0;
        }
        if (end_ == buffer_.size()) return; // full: the client waits for us (back-pressure)
        watching_ = true;
        watch_done_.clear();
        // Into the free tail only: the handler may still hold views of earlier bytes.
        stream_.async_read_some(asio::buffer(buffer_.data() + end_, buffer_.size() - end_),
                                [this](std::error_code ec, std::size_t n) {
                                    watching_ = false;
                                    end_ += n;
                                    if (ec && ec != asio::error::operation_aborted) {
                                        client_gone_ = true;
                                        if (cancel_signal_)
                                            cancel_signal_->emit(asio::cancellation_type::terminal);
                                    }
                                    watch_done_.set();
                                });
    }

    void close() override {
        std::error_code ignored;
        if constexpr (requires { stream_.shutdown(asio::socket_base::shutdown_both, ignored); })
            stream_.shutdown(asio::socket_base::shutdown_both, ignored);
        stream_.close(ignored);
    }

private:
    void cancel_io() override {
        std::error_code ignored;
        stream_.cancel(ignored);
    }

    // Ends a watch read, if one is pending, and waits for its callback.
    asio::awaitable<void> stop_watching() {
        if (!watching_) co_return;
        cancel_io();
        co_await watch_done_.wait(
            asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
    }

    // Reads each request head and handles the request, until the client
    // leaves, an error, or a stop. Heads are read here, not in a helper
    // coroutine: a frame less per request.
    asio::awaitable<void> serve() {
        bool started = false; // bytes of the next request have arrived
        for (;;) {
            if (begin_ < end_) {
                started = true;
                auto step = parser_.parse(buffered());
                begin_ += step.consumed;
                if (step.what == request_parser::event::head_complete) {
                    started = false;
                    const bool keep_going = co_await handle_request();
                    // A stop that began while the response was streamed:
                    // pipelined requests behind it are not started either.
                    if (!keep_going || loop_.stopping) break;
                    continue;
                }
                if (step.what == request_parser::event::error) {
                    co_await send_error(parser_.error_status(), parser_.error_reason());
                    co_return;
                }
            }
            if (!out_.empty() && !write_now()) // answer what is answered before waiting
                co_await flush(false);
            if (loop_.stopping && !started) break;
            if (!started)
                enter(state::idle, config_.keep_alive_timeout);
            else if (state_ != state::head)
                enter(state::head, config_.header_timeout);
            timed_out_ = false;
            const std::size_t n = co_await read_more();
            if (n == 0) {
                if (timed_out_ && started) {
                    co_await send_error(408, "request head not received in time");
                    co_return;
                }
                break;
            }
        }
        co_await flush();
    }

    // ---- reading ---------------------------------------------------------

    std::string_view buffered() const noexcept { return {buffer_.data() + begin_, end_ - begin_}; }

    // Reads more bytes into the buffer; 0 when the client is gone.
    asio::awaitable<std::size_t> read_more() {
        if (begin_ == end_) {
            begin_ = end_ = 0;
            // Idle between requests with nothing unparsed: hold no buffer.
            if (state_ == state::idle && !buffer_.empty()) loop_.buffers.give(std::move(buffer_));
        } else if (end_ == buffer_.size()) {
            std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        if (buffer_.empty()) {
            std::size_t first = 0;
            if constexpr (direct_io) {
                if (direct_ && out_.empty()) {
                    // Without a buffer, the first bytes are read into out_'s
                    // storage, unused while idle (everything is written). A read
                    // that the reactor completes short leaves the socket
                    // known drained, so the next one is queued as it is:
                    // no epoll_ctl to re-arm a readiness wait per request.
                    out_.resize(
                        std::min({out_.capacity(), first_read_max, loop_.buffers.buffer_size()}));
                    auto [ec, n] = co_await stream_.async_read_some(
                        asio::buffer(out_.data(), out_.size()), detail::use_tuple);
                    const bool full = n == out_.size();
                    if (!ec) {
                        buffer_ = loop_.buffers.take();
                        std::memcpy(buffer_.data(), out_.data(), n);
                        end_ = first = n;
                    }
                    out_.clear();
                    read_error_ = ec;
                    if (ec) co_return 0;
                    if (!full) co_return first;
                }
            }
            if (buffer_.empty()) {
                // Wait for bytes without a buffer, then take one from the loop's pool.
                if constexpr (requires {
                                  stream_.async_wait(asio::socket_base::wait_read,
                                                     detail::use_tuple);
                              }) {
                    auto [ec] = co_await stream_.async_wait(asio::socket_base::wait_read,
                                                            detail::use_tuple);
                    read_error_ = ec;
                    if (ec) co_return 0;
                }
                buffer_ = loop_.buffers.take();
            }
            if constexpr (direct_io) {
                // The socket is readable (or the first read filled its
                // storage): read now rather than through a reactor operation.
                if (direct_) {
                    std::error_code ec;
                    const std::size_t n = stream_.read_some(
                        asio::buffer(buffer_.data() + end_, buffer_.size() - end_), ec);
                    if (!ec) {
                        end_ += n;
                        co_return first + n;
                    }
                    if (first > 0) co_return first; // parsed first; an error shows at the next read
                    if (ec != asio::error::would_block && ec != asio::error::try_again) {
                        read_error_ = ec;
                        co_return 0;
                    }
                }
            }
        }
        auto [ec, n] = co_await stream_.async_read_some(
            asio::buffer(buffer_.data() + end_, buffer_.size() - end_), detail::use_tuple);
        read_error_ = ec;
        if (ec) co_return 0;
        end_ += n;
        co_return n;
    }

    // body_source: the next piece of the current request's body.
    asio::awaitable<std::string_view> read_some() override {
        if (body_done_) co_return std::string_view{};
        if (request_.head().expect_continue && !continue_sent_) {
            out_.append("HTTP/1.1 100 Continue\r\n\r\n");
            continue_sent_ = true;
        }
        for (;;) {
            auto step = parser_.parse(buffered());
            begin_ += step.consumed;
            if (step.what == request_parser::event::error) {
                body_failed_ = true;
                throw http_error(400, "malformed request body");
            }
            if (step.what == request_parser::event::message_complete) body_done_ = true;
            if (!step.body.empty() || body_done_) co_return step.body;
            if (!out_.empty()) co_await flush();
            enter(state::handling, config_.body_timeout);
            timed_out_ = false;
            const auto n = co_await read_more();
            enter_unbounded(state::handling);
            if (n == 0) {
                // The handler was cancelled (with_timeout, the drain): its
                // read was aborted, the body is not broken.
                if (read_error_ == asio::error::operation_aborted && !timed_out_)
                    throw std::system_error(read_error_, "reading the request body");
                body_failed_ = true;
                if (timed_out_) throw http_error(408, "request body not received in time");
                throw std::system_error(asio::error::eof, "client closed during the request body");
            }
        }
    }

    // After the handler: consume what it left of the body. False: close.
    asio::awaitable<bool> finish_body() {
        if (body_done_) co_return true;
        if (body_failed_) co_return false;
        if (request_.head().expect_continue && !continue_sent_)
            co_return false; // the client holds the body back: do not invite it
        std::size_t drained = 0;
        try {
            while (!body_done_) {
                std::string_view piece = co_await this->read_some();
                drained += piece.size();
                if (drained > config_.max_body_bytes) co_return false;
            }
        } catch (const std::exception&) {
            co_return false;
        }
        co_return true;
    }

    // ---- handling --------------------------------------------------------

    // Handles the request whose head was just parsed; false: close after it.
    asio::awaitable<bool> handle_request() {
        const request_head& head = request_.head();
        if (loop_.access) started_ = clock::now();
        streamed_ = 0;
        body_done_ = false;
        body_failed_ = false;
        continue_sent_ = false;
        if (!head.chunked && head.content_length.value_or(0) == 0) {
            // No body: let the parser see the end of the message now.
            auto step = parser_.parse(buffered());
            begin_ += step.consumed;
            body_done_ = step.what == request_parser::event::message_complete;
        }
        if (!request_.prepare(this)) {
            co_await send_error(400, "malformed request target");
            co_return false;
        }
        request_.body().set_limit(config_.max_body_bytes);
        if (peer_trusted_) { // only then can headers change who the client is
            const auto origin = loop_.proxies.resolve(peer_, true, head.headers);
            request_.set_client(origin.address, origin.scheme);
        }
        enter_unbounded(state::handling);
        // Nothing of the request is left in the buffer (no body, no pipelined
        // bytes): a handler that waits (the seed's page) need not hold it.
        if (body_done_ && begin_ == end_ && !buffer_.empty()) {
            loop_.buffers.give(std::move(buffer_));
            begin_ = end_ = 0;
        }

        // The handler is awaited here, not in a helper coroutine: each nested
        // frame past Asio's per-thread cache of two is an allocation.
        response res;
        std::exception_ptr failure;
        try {
            watch_allowed_ = true; // the sweeper may now watch for a hang-up
            watch_due_ = false;
            res = co_await (*loop_.handler)(request_);
        } catch (...) {
            failure = std::current_exception();
        }
        watch_allowed_ = false;
        if (failure) res = failure_response(failure);
        if (watching_) co_await stop_watching();
        if (client_gone_) { // nobody to answer
            log_access(499, 0);
            co_return false;
        }
        if (body_failed_ && !body_done_ && res.status != 400 && res.status != 408 &&
            res.status != 413)
            co_return false;        // the client is gone or sent garbage: nothing to answer
        bool reusable = body_done_; // after a 413 the rest of the body is not worth reading
        if (!reusable && res.status != 413) reusable = co_await finish_body();
        bool keep_alive = head.keep_alive && reusable && !loop_.stopping;
        if (auto c = res.headers.get("connection"); c && contains_token(*c, "close"))
            keep_alive = false;
        watch_allowed_ = res.body.type() == body_writer::kind::stream; // a long stream (SSE)
        watch_due_ = false;
        bool again = keep_alive;
        try {
            // A buffered response is only appended here (no coroutine frame);
            // it leaves with the next flush, together with any pipelined ones.
            const body_framing streaming = start_response(res, again);
            if (streaming != body_framing::none) {
                const bool complete = co_await stream_body(res.body, streaming);
                if (!complete) again = false;
            } else if (out_.size() >= flush_threshold) {
                co_await flush();
            }
        } catch (...) {
            watch_allowed_ = false;
            log_access(res.status, streamed_);
            throw;
        }
        watch_allowed_ = false;
        if (loop_.access) log_access(res.status, body_bytes(res));
        if (watching_) co_await stop_watching(); // a streaming body may have been watched too
        co_return again && !client_gone_;
    }

    // What a handler's exception becomes.
    response failure_response(const std::exception_ptr& failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const std::system_error& e) {
            if (body_failed_) return response(400);
            // Cancelled by the drain deadline or because the client left:
            // expected, and nothing will be sent.
            if ((loop_.stopping || client_gone_) && e.code() == asio::error::operation_aborted)
                return error_response(503);
        } catch (...) {
        }
        return handler_failure_response(failure,
                                        [this](std::string_view what) { log_failure(what); });
    }

    void log_failure(std::string_view what) const {
        detail::log_line("bareasio: handler for " + request_.head().method + " " +
                         request_.head().target + " failed: " + std::string(what));
    }

    // ---- the access log ----------------------------------------------------

    std::uint64_t body_bytes(const response& res) const noexcept {
        if (head_request()) return 0;
        if (res.body.type() == body_writer::kind::buffer) return res.body.data().size();
        return streamed_;
    }

    // One line for the request being answered (status 499: the client left).
    void log_access(int status, std::uint64_t bytes) {
        if (!loop_.access) return;
        const request_head& head = request_.head();
        const header_list& headers = head.headers;
        access_record record{
            .client = request_.client_address(),
            .method = head.method,
            .target = head.target,
            .version = head.version,
            .status = status,
            .body_bytes = bytes,
            .referer = headers.get("referer").value_or(std::string_view{}),
            .user_agent = headers.get("user-agent").value_or(std::string_view{}),
            .duration = std::chrono::duration_cast<std::chrono::microseconds>(
                started_ == clock::time_point{} ? clock::duration{} : clock::now() - started_),
        };
        loop_.access_line.clear();
        format_access_line(loop_.access_line, record, loop_.access_clock.get());
        loop_.access->write(loop_.access_line);
        started_ = {};
    }

    // ---- writing ---------------------------------------------------------

    bool head_request() const noexcept {
        return std::string_view(request_.head().method) == "HEAD";
    }

    // Appends the head of `res`, and its body when buffered, to out_. Clears
    // keep_alive when the body ends with the connection. Returns the framing
    // of a streaming body still to be sent, or none.
    body_framing start_response(response& res, bool& keep_alive) {
        const request_head& head = request_.head();
        head_options options{head.version, keep_alive, head_request()};
        body_framing framing;
        try {
            framing = write_head(out_, res, loop_.dates.get(), options);
        } catch (const std::invalid_argument& e) {
            log_failure(e.what());
            res = error_response(500, "", nullptr);
            framing = write_head(out_, res, loop_.dates.get(), options);
        }
        if (framing == body_framing::until_close) keep_alive = false;
        if (options.head_request || framing == body_framing::none) return body_framing::none;
        if (res.body.type() == body_writer::kind::buffer) out_.append(res.body.data());
        return res.body.type() == body_writer::kind::stream ? framing : body_framing::none;
    }

    // Runs a streaming writer with this connection as its sink.
    asio::awaitable<bool> stream_body(const body_writer& body, body_framing framing) {
        chunked_ = framing == body_framing::chunked;
        streamed_ = 0;
        try {
            co_await body.producer()(*this);
        } catch (const std::system_error& e) {
            // A reader that left, or the drain, is not the writer's failure.
            if (!write_failed_ && !client_gone_ && !loop_.stopping) log_failure(e.what());
            co_return false;
        } catch (const std::exception& e) {
            log_failure(e.what()); // the head is out: all we can do is cut the body short
            co_return false;
        }
        if (auto length = body.length(); length && *length != streamed_) {
            log_failure("streaming writer wrote " + std::to_string(streamed_) +
                        " bytes after declaring " + std::to_string(*length));
            co_return false;
        }
        if (chunked_) write_last_chunk(out_);
        co_return true;
    }

    // body_sink: one chunk of a streamed body, written at once.
    asio::awaitable<void> write(std::string_view chunk) override {
        if (client_gone_) throw std::system_error(asio::error::connection_reset, "client left");
        if (chunk.empty()) co_return;
        streamed_ += chunk.size();
        if (chunked_)
            write_chunk(out_, chunk);
        else
            out_.append(chunk);
        co_await flush();
    }

    // Writes what a socket takes at once, without the reactor: the usual
    // case for a response. True when nothing is left to write.
    bool write_now() {
        if constexpr (direct_io) {
            if (direct_ && out_sent_ < out_.size()) {
                std::error_code ec;
                out_sent_ += stream_.write_some(
                    asio::buffer(out_.data() + out_sent_, out_.size() - out_sent_), ec);
                if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
                    write_failed_ = true;
                    written(); // nothing more will reach this client
                    throw std::system_error(ec, "writing the response");
                }
            }
        }
        if (out_sent_ < out_.size()) return false;
        written();
        return true;
    }

    void written() {
        out_.clear();
        out_sent_ = 0;
        if (out_.capacity() > 4 * flush_threshold) out_.shrink_to_fit();
    }

    // Writes all of out_; try_now false when write_now() just found the
    // socket full.
    asio::awaitable<void> flush(bool try_now = true) {
        if (out_.empty() || (try_now && write_now())) co_return;
        const auto previous = state_;
        const auto previous_deadline = deadline_;
        enter(state::writing, config_.write_timeout);
        auto [ec, n] = co_await asio::async_write(
            stream_, asio::buffer(out_.data() + out_sent_, out_.size() - out_sent_),
            detail::use_tuple);
        written();
        state_ = previous;
        deadline_ = previous_deadline;
        if (ec) {
            write_failed_ = true;
            throw std::system_error(ec, "writing the response");
        }
    }

    asio::awaitable<void> send_error(int status, std::string_view message) {
        response res = error_response(status, message, nullptr);
        log_access(status, res.body.data().size());
        head_options options{request_.head().version, false, false};
        write_head(out_, res, loop_.dates.get(), options);
        out_.append(res.body.data());
        co_await flush();
    }

    static constexpr std::size_t flush_threshold = 64 * 1024;
    // At most this much of out_ receives an idle connection's first bytes
    // (a typical request head; resize() clears what it exposes).
    static constexpr std::size_t first_read_max = 2048;
    // Sockets can be read and written without the reactor when they are ready.
    static constexpr bool direct_io = requires(Stream & s, std::error_code& ec) {
        s.non_blocking(true, ec);
        s.read_some(asio::mutable_buffer(), ec);
        s.write_some(asio::const_buffer(), ec);
    };

    Stream stream_;
    loop_context& loop_;
    std::string peer_; // the TCP peer's address, once
    bool peer_trusted_ = false;
    const server_config& config_;
    request request_;
    request_parser parser_;
    std::vector<char> buffer_; // [begin_, end_) holds bytes not yet parsed
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::string out_;          // responses waiting to be written together
    std::size_t out_sent_ = 0; // bytes of out_ already written
    bool direct_ = false;      // the socket is in non-blocking mode (direct_io)
    std::uint64_t streamed_ = 0;
    clock::time_point started_{}; // the current request's head was parsed (access log only)
    bool body_done_ = false;
    bool body_failed_ = false;
    bool continue_sent_ = false;
    bool chunked_ = false;
    bool write_failed_ = false;
    bool watching_ = false;      // a watch read is pending
    bool client_gone_ = false;   // the watch saw the client hang up
    bool watch_allowed_ = false; // only while a handler or a streaming body is awaited
    bool watch_due_ = false;     // a sweep has seen this handler already: the next one watches
    std::error_code read_error_; // how the last read ended
    event watch_done_;
};

} // namespace bareasio
