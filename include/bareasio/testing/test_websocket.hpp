// bareasio::testing::test_websocket: the client's end of a WebSocket that
// the in-process test client opens (client::websocket_connect), as
// Starlette's TestClient.websocket_connect gives one. The application's
// handler runs as the server runs it, on the real protocol engine: frames
// are masked, pings answered, the close handshake completed.
//     auto ws = co_await c.websocket_connect("/chat/lobby");
//     co_await ws.send_text("hello");
//     CHECK(co_await ws.receive_text() == "hello");
//     CHECK(co_await ws.close(1000) == 1000);   // the server's answer
// receive() returns the next text or binary message, or the close (false,
// with its code and reason) once the server closed; a server that closed
// without a close frame gives 1006. receive_text() and receive_binary()
// throw std::runtime_error on anything else, naming what came. The
// client answers the server's pings and close by itself; ping() waits for
// its pong (messages arriving meanwhile wait for receive()). Destroying an
// open socket leaves without a close, as a client that disconnects does.
// No extension is offered (messages are never compressed).
// Thread safety: use from the test's coroutine only.
#pragma once

#include <bareasio/http/header_list.hpp>
#include <bareasio/testing/detail/upgrade_pipe.hpp>
#include <bareasio/websocket/frame.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace bareasio::testing {

class test_websocket {
public:
    struct message {
        enum class kind { text, binary, close };
        kind type = kind::close;
        std::string data;       // the payload; for a close, the reason
        std::uint16_t code = 0; // for a close: 1005 without a code, 1006 without a frame
        explicit operator bool() const noexcept { return type != kind::close; }
        bool is_text() const noexcept { return type == kind::text; }
        bool is_binary() const noexcept { return type == kind::binary; }
    };

    // `keep` is what must live as long as the socket (the request).
    test_websocket(std::shared_ptr<detail::upgrade_pipe> pipe, std::shared_ptr<void> keep,
                   header_list response_headers)
        : pipe_(std::move(pipe)), keep_(std::move(keep)), headers_(std::move(response_headers)) {}
    test_websocket(test_websocket&&) noexcept = default;
    test_websocket& operator=(test_websocket&&) = delete;
    test_websocket(const test_websocket&) = delete;
    ~test_websocket() {
        if (pipe_) pipe_->leave();
    }

    // The 101's headers, and the subprotocol the server chose (empty: none).
    const header_list& headers() const noexcept { return headers_; }
    std::string_view subprotocol() const noexcept {
        return headers_.get("sec-websocket-protocol").value_or(std::string_view{});
    }

    void send_text(std::string_view text) { send_frame(opcode::text, text); }
    void send_binary(std::string_view bytes) { send_frame(opcode::binary, bytes); }
    void send_json(const nlohmann::json& value) { send_text(value.dump()); }

    // The next message, or the close once the server closed.
    asio::awaitable<message> receive() {
        for (;;) {
            pump();
            if (!inbox_.empty()) {
                message m = std::move(inbox_.front());
                inbox_.pop_front();
                co_return m;
            }
            if (closed_) co_return close_;
            co_await more();
        }
    }
    asio::awaitable<std::string> receive_text() { return receive_as(message::kind::text); }
    asio::awaitable<std::string> receive_binary() { return receive_as(message::kind::binary); }
    asio::awaitable<nlohmann::json> receive_json() {
        co_return nlohmann::json::parse(co_await receive_text());
    }

    // Sends a ping and waits for its pong.
    asio::awaitable<void> ping(std::string_view payload = {}) {
        if (payload.size() > 125) throw std::invalid_argument("a ping carries at most 125 bytes");
        send_frame(opcode::ping, payload);
        for (;;) {
            pump();
            for (auto it = pongs_.begin(); it != pongs_.end(); ++it)
                if (*it == payload) {
                    pongs_.erase(it);
                    co_return;
                }
            if (closed_) throw std::runtime_error("the socket closed before the pong came");
            co_await more();
        }
    }

    // Starts the close handshake with `code` and waits for the server's
    // close; returns the code it answered with.
    asio::awaitable<std::uint16_t> close(std::uint16_t code = close_code::normal,
                                         std::string_view reason = {}) {
        if (!close_sent_) send_close(code, reason);
        while (!closed_) {
            pump();
            if (!closed_) co_await more();
        }
        co_return close_.code;
    }

    bool closed() const noexcept { return closed_; }

private:
    asio::awaitable<std::string> receive_as(message::kind wanted) {
        message m = co_await receive();
        if (m.type != wanted)
            throw std::runtime_error(std::string("test_websocket: expected a ") +
                                     (wanted == message::kind::text ? "text" : "binary") +
                                     " message, got " +
                                     (m.is_text()     ? "text"
                                      : m.is_binary() ? "binary"
                                                      : "the close") +
                                     (m ? "" : " (" + std::to_string(m.code) + " " + m.data + ")"));
        co_return std::move(m.data);
    }

    // Waits until the server writes, closes or its handler ends.
    asio::awaitable<void> more() {
        if (pipe_->server_closed() && pipe_->from_server().empty()) {
            end_without_frame();
            co_return;
        }
        pipe_->changed().clear();
        co_await pipe_->changed().wait();
    }

    void end_without_frame() {
        if (closed_) return;
        closed_ = true;
        close_ = {message::kind::close, {}, close_code::abnormal};
    }

    // Takes every whole frame the server has written.
    void pump() {
        std::string& in = pipe_->from_server();
        std::size_t at = 0;
        while (!closed_) {
            const auto frame = next_frame(std::string_view(in).substr(at));
            if (!frame) break;
            at += frame->size;
            take(*frame);
        }
        in.erase(0, at);
        if (!closed_ && pipe_->server_closed() && in.empty()) end_without_frame();
    }

    struct frame {
        bool fin;
        opcode op;
        std::string_view payload;
        std::size_t size; // of the whole frame
    };

    // A server frame (never masked), if all of it is there.
    static std::optional<frame> next_frame(std::string_view in) {
        if (in.size() < 2) return std::nullopt;
        const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(in[i]); };
        std::uint64_t length = byte(1) & 0x7F;
        std::size_t head = 2;
        if (length >= 126) {
            const std::size_t digits = length == 126 ? 2 : 8;
            if (in.size() < 2 + digits) return std::nullopt;
            length = 0;
            for (std::size_t i = 0; i < digits; ++i)
                length = length << 8 | byte(2 + i);
            head += digits;
        }
        if (in.size() - head < length) return std::nullopt;
        return frame{(byte(0) & 0x80) != 0, static_cast<opcode>(byte(0) & 0x0F),
                     in.substr(head, static_cast<std::size_t>(length)),
                     head + static_cast<std::size_t>(length)};
    }

    void take(const frame& f) {
        switch (f.op) {
        case opcode::ping:
            if (!close_sent_) send_frame(opcode::pong, f.payload);
            return;
        case opcode::pong:
            pongs_.emplace_back(f.payload);
            return;
        case opcode::close:
            return take_close(f.payload);
        case opcode::text:
        case opcode::binary:
            partial_ = {f.op == opcode::text ? message::kind::text : message::kind::binary, {}, 0};
            break;
        default:
            break; // a continuation adds to partial_
        }
        partial_.data.append(f.payload);
        if (f.fin) inbox_.push_back(std::move(partial_));
    }

    void take_close(std::string_view payload) {
        close_ = {message::kind::close, {}, close_code::no_status};
        if (payload.size() >= 2) {
            close_.code = static_cast<std::uint16_t>(static_cast<unsigned char>(payload[0]) << 8 |
                                                     static_cast<unsigned char>(payload[1]));
            close_.data.assign(payload.substr(2));
        }
        // Answered with the same code (RFC 6455 §5.5.1), unless we began.
        if (!close_sent_) send_close(close_.code == close_code::no_status ? 0 : close_.code, {});
        closed_ = true;
    }

    void send_close(std::uint16_t code, std::string_view reason) {
        std::string payload;
        if (code != 0) {
            payload += static_cast<char>(code >> 8);
            payload += static_cast<char>(code & 0xFF);
            payload.append(reason);
        }
        send_frame(opcode::close, payload);
        close_sent_ = true;
    }

    // A frame as a client sends it: masked (RFC 6455 §5.3).
    void send_frame(opcode op, std::string_view payload) {
        if (close_sent_) throw std::logic_error("test_websocket: sending after the close");
        std::string out(1, static_cast<char>(0x80 | static_cast<unsigned>(op)));
        const std::size_t n = payload.size();
        if (n < 126) {
            out += static_cast<char>(0x80 | n);
        } else {
            const std::size_t digits = n <= 0xFFFF ? 2 : 8;
            out += static_cast<char>(0x80 | (digits == 2 ? 126 : 127));
            for (std::size_t i = digits; i-- > 0;)
                out += static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF);
        }
        for (const unsigned char m : mask)
            out += static_cast<char>(m);
        for (std::size_t i = 0; i < n; ++i)
            out += static_cast<char>(payload[i] ^ mask[i % 4]);
        pipe_->send(out);
    }
    static constexpr std::array<unsigned char, 4> mask = {0x9e, 0x21, 0x5c, 0x07};

    std::shared_ptr<detail::upgrade_pipe> pipe_;
    std::shared_ptr<void> keep_;
    header_list headers_;
    std::deque<message> inbox_;
    std::deque<std::string> pongs_;
    message partial_;
    message close_;
    bool close_sent_ = false;
    bool closed_ = false;
};

} // namespace bareasio::testing
