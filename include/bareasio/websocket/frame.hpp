// WebSocket framing (RFC 6455 §5): the frame header as a client sends it,
// parsed and checked, and the header of a frame the server sends (never
// masked). The payload is unmasked in place by unmask().
//     frame_header h;
//     auto got = parse_frame_header(bytes, h, /*rsv1_allowed=*/false);
//     if (got.status == frame_status::complete) { bytes = bytes.substr(got.size); ... }
//     append_frame_header(out, opcode::text, /*fin=*/true, payload.size());
// Thread safety: pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace bareasio {

enum class opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

inline bool is_control(opcode op) noexcept {
    return (static_cast<unsigned>(op) & 0x8) != 0;
}

// Close status codes (RFC 6455 §7.4.1) the server sends.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005; // received without a code; never sent
inline constexpr std::uint16_t abnormal = 1006;  // closed without a close frame; never sent
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
inline constexpr std::uint16_t try_again_later = 1013;
} // namespace close_code

// Whether a close frame may carry `code` (RFC 6455 §7.4, and the IANA
// registry: 1000-1003, 1007-1014 are defined; 3000-4999 are for
// applications and libraries).
inline bool valid_close_code(std::uint16_t code) noexcept {
    if (code >= 3000 && code <= 4999) return true;
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

struct frame_header {
    bool fin = false;
    bool rsv1 = false; // "compressed" under permessage-deflate
    opcode op = opcode::continuation;
    std::uint64_t length = 0;
    std::array<unsigned char, 4> mask{};
};

enum class frame_status {
    complete,   // the header was parsed
    incomplete, // more bytes are needed
    invalid,    // a protocol error: close with 1002
};

struct frame_parse {
    frame_status status;
    std::size_t size = 0;         // of the header, when complete
    const char* reason = nullptr; // when invalid
};

// Parses a client's frame header from the start of `bytes` (RFC 6455 §5.2):
// masked, no reserved bit but RSV1 when `rsv1_allowed`, a known opcode, a
// control frame unfragmented and at most 125 bytes, a 64-bit length with
// its top bit clear.
inline frame_parse parse_frame_header(std::string_view bytes, frame_header& h,
                                      bool rsv1_allowed) noexcept {
    if (bytes.size() < 2) return {frame_status::incomplete};
    const auto b0 = static_cast<unsigned char>(bytes[0]);
    const auto b1 = static_cast<unsigned char>(bytes[1]);
    h.fin = (b0 & 0x80) != 0;
    h.rsv1 = (b0 & 0x40) != 0;
    if ((b0 & 0x30) != 0 || (h.rsv1 && !rsv1_allowed))
        return {frame_status::invalid, 0, "reserved bit set"};
    const unsigned op = b0 & 0x0F;
    if ((op > 2 && op < 8) || op > 10) return {frame_status::invalid, 0, "unknown opcode"};
    h.op = static_cast<opcode>(op);
    if ((b1 & 0x80) == 0) return {frame_status::invalid, 0, "frame not masked"};
    std::size_t size = 2;
    std::uint64_t length = b1 & 0x7F;
    const std::size_t extra = length == 126 ? 2 : length == 127 ? 8 : 0;
    if (bytes.size() < size + extra + 4) return {frame_status::incomplete};
    if (extra != 0) {
        length = 0;
        for (std::size_t i = 0; i < extra; ++i)
            length = length << 8 | static_cast<unsigned char>(bytes[size + i]);
        size += extra;
        if (length >> 63) return {frame_status::invalid, 0, "frame length over 2^63"};
    }
    if (is_control(h.op)) {
        if (!h.fin) return {frame_status::invalid, 0, "fragmented control frame"};
        if (length > 125) return {frame_status::invalid, 0, "control frame over 125 bytes"};
        if (h.rsv1) return {frame_status::invalid, 0, "reserved bit set"};
    }
    h.length = length;
    std::memcpy(h.mask.data(), bytes.data() + size, 4);
    return {frame_status::complete, size + 4};
}

// Unmasks `bytes` in place; `offset` is their position in the payload.
inline void unmask(char* bytes, std::size_t size, const std::array<unsigned char, 4>& mask,
                   std::uint64_t offset) noexcept {
    std::array<unsigned char, 8> key;
    for (std::size_t i = 0; i < 8; ++i)
        key[i] = mask[(offset + i) % 4];
    std::uint64_t word_key;
    std::memcpy(&word_key, key.data(), 8);
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, bytes + i, 8);
        word ^= word_key;
        std::memcpy(bytes + i, &word, 8);
    }
    for (; i < size; ++i)
        bytes[i] = static_cast<char>(bytes[i] ^ key[i % 8]);
}

// The header of a frame the server sends (unmasked): 2, 4 or 10 bytes
// into `out` (which must hold 10); returns how many.
inline std::size_t write_frame_header(char* out, opcode op, bool fin, std::uint64_t length,
                                      bool rsv1 = false) noexcept {
    out[0] = static_cast<char>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | static_cast<unsigned>(op));
    if (length < 126) {
        out[1] = static_cast<char>(length);
        return 2;
    }
    const std::size_t extra = length <= 0xFFFF ? 2 : 8;
    out[1] = static_cast<char>(extra == 2 ? 126 : 127);
    for (std::size_t i = 0; i < extra; ++i)
        out[2 + i] = static_cast<char>(length >> (8 * (extra - 1 - i)));
    return 2 + extra;
}

} // namespace bareasio
