// Bytes of the WebSocket protocol as a test's client writes and expects
// them: the upgrade request with RFC 6455's sample key, its 101, and frames.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace test::ws {

// RFC 6455 §1.3's example key and its accept value.
inline constexpr std::string_view sample_key = "dGhlIHNhbXBsZSBub25jZQ==";
inline constexpr std::string_view sample_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

inline std::string upgrade_request(std::string_view path = "/echo", std::string_view extra = "") {
    return "GET " + std::string(path) +
           " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: " +
           std::string(sample_key) + "\r\nSec-WebSocket-Version: 13\r\n" + std::string(extra) +
           "\r\n";
}

inline std::string switching(std::string_view extra = "") {
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Accept: " +
           std::string(sample_accept) + "\r\n" + std::string(extra) + "\r\n";
}

// A frame as a client sends it: masked with `mask`.
inline std::string client_frame(unsigned first_byte, std::string_view payload,
                                std::array<unsigned char, 4> mask = {0x37, 0xfa, 0x21, 0x3d}) {
    std::string out(1, static_cast<char>(first_byte));
    const std::size_t n = payload.size();
    if (n < 126) {
        out += static_cast<char>(0x80 | n);
    } else if (n <= 0xFFFF) {
        out += static_cast<char>(0x80 | 126);
        out += static_cast<char>(n >> 8);
        out += static_cast<char>(n & 0xFF);
    } else {
        out += static_cast<char>(0x80 | 127);
        for (int i = 7; i >= 0; --i)
            out += static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF);
    }
    for (const unsigned char m : mask)
        out += static_cast<char>(m);
    for (std::size_t i = 0; i < n; ++i)
        out += static_cast<char>(payload[i] ^ mask[i % 4]);
    return out;
}

// A frame as the server sends it: never masked.
inline std::string server_frame(unsigned first_byte, std::string_view payload) {
    std::string out(1, static_cast<char>(first_byte));
    const std::size_t n = payload.size();
    if (n < 126) {
        out += static_cast<char>(n);
    } else if (n <= 0xFFFF) {
        out += static_cast<char>(126);
        out += static_cast<char>(n >> 8);
        out += static_cast<char>(n & 0xFF);
    } else {
        out += static_cast<char>(127);
        for (int i = 7; i >= 0; --i)
            out += static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF);
    }
    return out + std::string(payload);
}

inline std::string close_payload(std::uint16_t code, std::string_view reason = "") {
    return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)} +
           std::string(reason);
}

} // namespace test::ws
