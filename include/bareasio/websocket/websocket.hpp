// websocket: what a WebSocket handler is given (bareASGI's WebSocket). The
// handler accepts (or rejects), then receives and sends whole messages:
//     awaitable<void> echo(websocket& ws) {
//         co_await ws.accept();
//         while (auto m = co_await ws.receive())
//             co_await ws.send(m); // text stays text, binary stays binary
//     }
//     app.ws_router.add("/echo", echo);
// One coroutine may receive while others send (full duplex): sends are
// queued and written in order, never interleaved. When the handler
// returns, the socket is closed (1000, or 1011 if it threw) and the close
// handshake completed; a handler that returns without accepting answers 403.
// ws.sender() is a handle for other coroutines, other loops and other
// threads (a broadcast, a service); see websocket_sender.
// Thread safety: the websocket is used on its handler's loop (receive() by
// one coroutine at a time); websocket_sender is safe from any thread.
#pragma once

#include <bareasio/http/http_error.hpp>
#include <bareasio/http/request.hpp>
#include <bareasio/http/response.hpp>
#include <bareasio/http/writers.hpp>
#include <bareasio/websocket/detail/session.hpp>
#include <bareasio/websocket/handshake.hpp>
#include <bareasio/websocket/message.hpp>
#include <bareasio/websocket/options.hpp>
#include <bareasio/websocket/shared_message.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace bareasio {

// A handle to send through a websocket from anywhere. Copies share the
// socket; they keep only its queue alive, never the connection, so a
// handle to a socket that has closed is safe and its sends return false.
// Its sends reach the socket's event loop, so they must not outlive the
// server: a handle kept past serve()'s return has nowhere to send.
// Thread safety: every member is safe from any thread; sends run on the
// socket's loop and co_await resumes the caller on its own executor.
class websocket_sender {
public:
    websocket_sender() = default;

    // Queues a text (or binary) message; false if the socket is closed or
    // the queue full under the drop or close policy. With the wait policy
    // it waits for room (the client reads too slowly).
    asio::awaitable<bool> send(std::string text) const {
        return send_as(session_, opcode::text, std::move(text));
    }
    asio::awaitable<bool> send_binary(std::string bytes) const {
        return send_as(session_, opcode::binary, std::move(bytes));
    }
    // A broadcast's message, text or binary as it was made: every socket
    // it is sent to shares its payload (see shared_message).
    asio::awaitable<bool> send(shared_message m) const {
        return send_as(session_, opcode::text, std::move(m));
    }

    // Without waiting, from code that is not a coroutine: the message is
    // dropped if the queue is full (or the socket closed).
    void try_send(std::string text) const { post_send(opcode::text, std::move(text)); }
    void try_send_binary(std::string bytes) const { post_send(opcode::binary, std::move(bytes)); }
    void try_send(shared_message m) const { post_send(opcode::text, std::move(m)); }

    // Closes the socket with `code` and `reason` (the close handshake, as
    // websocket::close() starts it): the handler's receive() then returns
    // the client's close. Without waiting; nothing happens if it is not
    // open. Throws std::invalid_argument for a code a close frame may not
    // carry, or a reason over 123 bytes.
    void close(std::uint16_t code = close_code::normal, std::string reason = {}) const {
        session::check_close(code, reason);
        if (!session_ || session_->ended()) return;
        asio::post(session_->executor(), [s = session_, code, r = std::move(reason)] {
            asio::co_spawn(s->executor(), close_on(s, code, r), asio::detached);
        });
    }

    explicit operator bool() const noexcept { return session_ != nullptr; }
    friend bool operator==(const websocket_sender&, const websocket_sender&) = default;
    // Orders handles (to keep them in a std::set or as map keys).
    friend bool operator<(const websocket_sender& a, const websocket_sender& b) noexcept {
        return std::less<>{}(a.session_.get(), b.session_.get());
    }

private:
    friend class websocket;
    using session = detail::websocket_session;
    explicit websocket_sender(std::shared_ptr<session> s) : session_(std::move(s)) {}

    // A std::string (sent as `op`) or a shared_message (as it was made).
    template <class Payload>
    static asio::awaitable<bool> send_on(std::shared_ptr<session> s, opcode op, Payload payload,
                                         send_queue_full when_full) {
        if constexpr (std::is_same_v<Payload, shared_message>)
            co_return co_await s->send(payload, when_full);
        else
            co_return co_await s->send(op, payload, when_full);
    }

    // Static, with the session by value: the coroutine may outlive the
    // handle it was called on (co_spawn(ex, handle.send(x), detached)).
    template <class Payload>
    static asio::awaitable<bool> send_as(std::shared_ptr<session> s, opcode op, Payload payload) {
        if (!s || s->ended()) co_return false;
        const auto when_full = s->options().when_full;
        const auto here = co_await asio::this_coro::executor;
        if (here == s->executor()) co_return co_await send_on(s, op, std::move(payload), when_full);
        // On the socket's loop; the caller's cancellation stays on its own
        // thread (a cancelled caller's message is still sent).
        const auto ex = s->executor();
        co_return co_await asio::co_spawn(
            ex, send_on(std::move(s), op, std::move(payload), when_full),
            asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
    }

    template <class Payload>
    void post_send(opcode op, Payload payload) const {
        if (!session_ || session_->ended()) return;
        asio::post(session_->executor(), [s = session_, op, p = std::move(payload)]() mutable {
            if (s->current() != session::status::open) return;
            asio::co_spawn(s->executor(), send_on(s, op, std::move(p), send_queue_full::drop),
                           asio::detached);
        });
    }

    static asio::awaitable<void> close_on(std::shared_ptr<session> s, std::uint16_t code,
                                          std::string reason) {
        co_await s->close(code, reason);
    }

    std::shared_ptr<session> session_;
};

class websocket {
public:
    // Built by the router for a request that passed the handshake checks.
    websocket(request& req, std::shared_ptr<const websocket_options> options)
        : request_(req),
          session_(std::make_shared<detail::websocket_session>(req.upgrade(), std::move(options))) {
    }
    websocket(const websocket&) = delete;
    websocket& operator=(const websocket&) = delete;

    // The upgrade request: path, query, headers, matches, info, client.
    request& req() const noexcept { return request_; }
    // The Origin the browser sent (empty for non-browser clients): check it
    // against the sites allowed to connect before accepting.
    std::string_view origin() const noexcept {
        return request_.headers().get("origin").value_or(std::string_view{});
    }
    // The subprotocols the client offered, in its order of preference.
    std::vector<std::string_view> subprotocols() const {
        return offered_subprotocols(request_.headers());
    }

    // Answers 101 and opens the socket, with one of the offered
    // subprotocols (or none) and extra response headers. Throws
    // std::invalid_argument for a subprotocol the client did not offer,
    // std::logic_error if already accepted or rejected.
    asio::awaitable<void> accept(std::string_view subprotocol = {}, header_list headers = {}) {
        if (decided()) throw std::logic_error("websocket: accept() after accept() or reject()");
        const auto offered = subprotocols();
        if (!subprotocol.empty() &&
            std::find(offered.begin(), offered.end(), subprotocol) == offered.end())
            throw std::invalid_argument("websocket: the client did not offer subprotocol " +
                                        std::string(subprotocol));
        std::string head, extension;
        std::unique_ptr<message_compression> compression;
        if (const auto& negotiate = session_->options().compression)
            compression = negotiate(request_.headers(), extension);
        if (!compression) extension.clear();
        const auto key = trim_ows(*request_.headers().get("sec-websocket-key"));
        write_accept_response(head, key, subprotocol, extension, headers);
        accepted_ = true;
        co_await session_->open(std::move(head), std::move(compression));
    }

    // Refuses the socket with an HTTP status (a 401, a 404 for a room that
    // does not exist), answered when the handler returns as a thrown
    // http_error is: the application's error handler shapes it.
    void reject(int status, std::string_view message = {}, header_list headers = {}) {
        if (decided()) throw std::logic_error("websocket: reject() after accept() or reject()");
        rejection_ = http_error(status, std::string(message), std::move(headers));
    }

    // The next whole message, or a close (false) once the socket closed.
    // Resumes on the handler's loop. One receive() at a time.
    asio::awaitable<websocket_message> receive() { return session_->receive(); }

    // Sends a text message (a binary one with send_binary; a received
    // message as it came with send(m)). Returns when it is queued; false
    // if the socket is not open (or see websocket_options::when_full).
    asio::awaitable<bool> send(std::string_view text) { return session_->send(opcode::text, text); }
    asio::awaitable<bool> send_binary(std::string_view bytes) {
        return session_->send(opcode::binary, bytes);
    }
    asio::awaitable<bool> send(const websocket_message& m) {
        return session_->send(m.is_binary() ? opcode::binary : opcode::text, m.data());
    }
    // A broadcast's message: its payload is shared, not copied (shared_message).
    asio::awaitable<bool> send(const shared_message& m) {
        return session_->send(m, session_->options().when_full);
    }

    // Starts the close handshake; receive() returns the client's close.
    // Throws std::invalid_argument for a code a close frame may not carry.
    asio::awaitable<void> close(std::uint16_t code = close_code::normal,
                                std::string_view reason = {}) {
        return session_->close(code, reason);
    }

    bool is_open() const noexcept {
        return session_->current() == detail::websocket_session::status::open;
    }
    // Requested once the socket starts closing (either side, or lost): a
    // coroutine that sends on its own ends with until_stopped(..., ws.closing()).
    const stop_token& closing() const noexcept { return session_->closing(); }

    websocket_sender sender() const { return websocket_sender(session_); }

    // For the router, when the handler returned: whether it accepted; if
    // not, the error that answers the request (its reject(), or a 403).
    bool accepted() const noexcept { return accepted_; }
    http_error refusal() const {
        return rejection_ ? *rejection_ : http_error(403, "the WebSocket was not accepted");
    }
    // ... and if it did, the close handshake.
    asio::awaitable<void> finish(bool failed) { return session_->finish(failed); }

private:
    bool decided() const noexcept { return accepted_ || rejection_.has_value(); }

    request& request_;
    std::shared_ptr<detail::websocket_session> session_;
    bool accepted_ = false;
    std::optional<http_error> rejection_;
};

} // namespace bareasio
