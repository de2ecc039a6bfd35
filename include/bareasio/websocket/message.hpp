// websocket_message: what websocket::receive() gives: a whole text or
// binary message, or the end of the conversation (a close).
//     auto m = co_await ws.receive();
//     if (!m) co_return;                 // closed: m.close_code(), m.close_reason()
//     if (m.is_text()) use(m.text());
// The data is a view into the socket's message buffer, valid until the
// next receive() on the same socket; copy it (std::string(m.data())) to
// keep it longer. Thread safety: a value, used by one coroutine.
#pragma once

#include <cstdint>
#include <string_view>

namespace bareasio {

class websocket_message {
public:
    enum class kind { text, binary, close };

    websocket_message(kind type, std::string_view data, std::uint16_t code = 0)
        : type_(type), data_(data), code_(code) {}

    kind type() const noexcept { return type_; }
    bool is_text() const noexcept { return type_ == kind::text; }
    bool is_binary() const noexcept { return type_ == kind::binary; }
    // False once the socket is closed (by either side, or lost).
    explicit operator bool() const noexcept { return type_ != kind::close; }

    // The payload of a text or binary message (text is valid UTF-8).
    std::string_view data() const noexcept { return data_; }
    std::string_view text() const noexcept { return data_; }

    // For a close: the peer's code (1005 when it sent none, 1006 when the
    // connection was lost without a close frame), or the code the server
    // closed with after a protocol error of the peer's; and the reason.
    std::uint16_t close_code() const noexcept { return code_; }
    std::string_view close_reason() const noexcept { return type_ == kind::close ? data_ : ""; }

private:
    kind type_;
    std::string_view data_;
    std::uint16_t code_;
};

} // namespace bareasio
