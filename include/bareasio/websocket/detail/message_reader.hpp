// message_reader: a WebSocket's frames in (RFC 6455 §5): each frame header
// parsed and checked against the message in progress, payloads unmasked in
// place, text checked as UTF-8 as it comes, compressed messages inflated
// (permessage-deflate), control frames kept whole, messages assembled. It
// does no I/O and reads no clock: the session (session.hpp) gives it the
// bytes that arrived, consumes what it used, and acts on what it found.
//     std::size_t used = 0;
//     const auto got = reader.parse(conn.received(), used); // unmasks in place
//     conn.consume(used);
//     if (got.what == message_reader::found::message) deliver(reader.kind(), reader.message());
// Thread safety: one per socket, used on its loop.
#pragma once

#include <bareasio/detail/release_memory.hpp>
#include <bareasio/websocket/frame.hpp>
#include <bareasio/websocket/message.hpp>
#include <bareasio/websocket/message_compression.hpp>
#include <bareasio/websocket/utf8.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace bareasio::detail {

class message_reader {
public:
    // What parse() stopped at.
    enum class found {
        more,    // the bytes end inside a frame: read more
        message, // a whole message: kind(), message()
        ping,    // a ping: its payload is control()
        pong,    // a pong
        close,   // the client's close, checked: code (no_status: none) and reason
        failure, // the client broke the protocol: fail with code and reason
    };
    struct outcome {
        found what = found::more;
        std::uint16_t code = 0;
        std::string_view reason; // valid until the next parse()
    };

    explicit message_reader(std::size_t max_message_bytes) : max_bytes_(max_message_bytes) {}

    // The negotiated permessage-deflate (null: none, and RSV1 is refused).
    void set_compression(message_compression* c) noexcept { compression_ = c; }

    // Parses frames from `bytes` until it finds something; `used` is how
    // many bytes it took (the caller consumes them).
    outcome parse(std::span<char> bytes, std::size_t& used) {
        used = 0;
        for (;;) {
            const std::span<char> rest = bytes.subspan(used);
            if (!in_frame_) {
                std::size_t header = 0;
                if (auto bad = start_frame(std::string_view(rest.data(), rest.size()), header))
                    return *bad;
                if (header == 0) return {};
                used += header;
                continue;
            }
            const auto n = static_cast<std::size_t>(
                std::min<std::uint64_t>(frame_.length - frame_done_, rest.size()));
            if (n == 0 && frame_done_ < frame_.length) return {};
            if (auto bad = take_payload(rest.data(), n)) return *bad;
            used += n;
            if (frame_done_ < frame_.length) return {};
            in_frame_ = false;
            if (auto done = end_frame()) return *done;
        }
    }

    websocket_message::kind kind() const noexcept { return kind_; }
    const std::string& message() const noexcept { return message_; }
    // The last control frame's payload (the session answers a ping with it).
    std::string& control() noexcept { return control_; }
    // Inside a frame or a message.
    bool partial() const noexcept { return in_frame_ || in_message_; }

    // The message returned is done with: its buffer is emptied (and freed
    // if a large message grew it, so an idle socket holds little).
    void clear_message() noexcept {
        release_if_large(message_, kept_capacity);
        message_.clear();
    }
    // Nothing more will be read: large buffers go now.
    void release() noexcept { release_if_large(message_, kept_capacity); }

private:
    static constexpr std::size_t kept_capacity = 64 * 1024; // as the send queue's

    static outcome failure(std::uint16_t code, std::string_view reason) noexcept {
        return {found::failure, code, reason};
    }

    // Parses the next frame header and checks it against the message in
    // progress; `header` is its size (0: incomplete).
    std::optional<outcome> start_frame(std::string_view bytes, std::size_t& header) {
        const frame_parse got = parse_frame_header(bytes, frame_, compression_ != nullptr);
        if (got.status == frame_status::incomplete) return std::nullopt;
        if (got.status == frame_status::invalid)
            return failure(close_code::protocol_error, got.reason);
        const bool continuation = frame_.op == opcode::continuation;
        if (continuation && frame_.rsv1)
            return failure(close_code::protocol_error, "reserved bit set on a continuation frame");
        const bool data = !is_control(frame_.op);
        if (data && continuation == !in_message_)
            return failure(close_code::protocol_error,
                           continuation ? "continuation frame without a message"
                                        : "new message before the last one ended");
        if (data && frame_.length > max_bytes_ - message_.size())
            return failure(close_code::too_big, "message larger than the server accepts");
        if (data && !continuation) begin_message(frame_.op, frame_.rsv1);
        header = got.size;
        in_frame_ = true;
        frame_done_ = 0;
        control_.clear();
        return std::nullopt;
    }

    void begin_message(opcode op, bool compressed) {
        in_message_ = true;
        compressed_ = compressed;
        kind_ =
            op == opcode::text ? websocket_message::kind::text : websocket_message::kind::binary;
        utf8_.reset();
    }

    // Unmasks and keeps `n` payload bytes; text is checked as it comes.
    std::optional<outcome> take_payload(char* at, std::size_t n) {
        unmask(at, n, frame_.mask, frame_done_);
        const std::string_view piece(at, n);
        frame_done_ += n;
        if (is_control(frame_.op)) {
            control_.append(piece);
            return std::nullopt;
        }
        if (compressed_) return inflate(piece, false);
        if (kind_ == websocket_message::kind::text && !utf8_.feed(piece))
            return failure(close_code::invalid_payload, "text is not valid UTF-8");
        message_.append(piece);
        return std::nullopt;
    }

    // Decompresses a piece of a compressed message into message_, checking
    // its size and (for text) its UTF-8 as it comes.
    std::optional<outcome> inflate(std::string_view piece, bool end) {
        const std::size_t before = message_.size();
        const auto got = compression_->decompress(piece, end, message_, max_bytes_);
        if (got == message_compression::result::too_big)
            return failure(close_code::too_big, "message larger than the server accepts");
        if (got == message_compression::result::corrupt)
            return failure(close_code::invalid_payload, "compressed data is corrupt");
        if (kind_ == websocket_message::kind::text &&
            !utf8_.feed(std::string_view(message_).substr(before)))
            return failure(close_code::invalid_payload, "text is not valid UTF-8");
        return std::nullopt;
    }

    // A frame is whole: what it completes, if anything.
    std::optional<outcome> end_frame() {
        switch (frame_.op) {
        case opcode::ping:
            return outcome{found::ping, 0, {}};
        case opcode::pong:
            return outcome{found::pong, 0, {}};
        case opcode::close:
            return close_frame();
        default:
            break;
        }
        if (!frame_.fin) return std::nullopt;
        in_message_ = false;
        if (compressed_)
            if (auto bad = inflate({}, true)) return bad;
        if (kind_ == websocket_message::kind::text && !utf8_.complete())
            return failure(close_code::invalid_payload, "text ends inside a UTF-8 character");
        return outcome{found::message, 0, {}};
    }

    // The client's close frame (RFC 6455 §5.5.1, §7.4), its code and reason checked.
    outcome close_frame() const {
        if (control_.empty()) return {found::close, close_code::no_status, {}};
        if (control_.size() == 1)
            return failure(close_code::protocol_error, "close frame of 1 byte");
        const auto code = static_cast<std::uint16_t>(static_cast<unsigned char>(control_[0]) << 8 |
                                                     static_cast<unsigned char>(control_[1]));
        const std::string_view reason = std::string_view(control_).substr(2);
        if (!valid_close_code(code))
            return failure(close_code::protocol_error, "invalid close code");
        utf8_validator check;
        if (!check.feed(reason) || !check.complete())
            return failure(close_code::invalid_payload, "close reason is not valid UTF-8");
        return {found::close, code, reason};
    }

    std::size_t max_bytes_;
    message_compression* compression_ = nullptr;
    frame_header frame_;
    bool in_frame_ = false;
    std::uint64_t frame_done_ = 0; // payload bytes of frame_ read so far
    bool in_message_ = false;
    bool compressed_ = false; // the message in progress (RSV1 on its first frame)
    websocket_message::kind kind_ = websocket_message::kind::text;
    utf8_validator utf8_;
    std::string message_; // the message being assembled
    std::string control_; // a control frame's payload
};

} // namespace bareasio::detail
