// SHA-1 (FIPS 180-4) and base64 (RFC 4648), for the one thing WebSocket
// needs them for: Sec-WebSocket-Accept. Not for anything that needs a
// secure hash. Thread safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace bareasio::detail {

using sha1_digest = std::array<unsigned char, 20>;

class sha1 {
public:
    void update(std::string_view data) noexcept {
        for (const char c : data) {
            block_[fill_++] = static_cast<unsigned char>(c);
            if (fill_ == 64) compress();
        }
        bits_ += static_cast<std::uint64_t>(data.size()) * 8;
    }

    sha1_digest finish() noexcept {
        const std::uint64_t bits = bits_;
        block_[fill_++] = 0x80;
        if (fill_ > 56) {
            while (fill_ < 64)
                block_[fill_++] = 0;
            compress();
        }
        while (fill_ < 56)
            block_[fill_++] = 0;
        for (int i = 7; i >= 0; --i)
            block_[fill_++] = static_cast<unsigned char>(bits >> (i * 8));
        compress();
        sha1_digest out;
        for (std::size_t i = 0; i < 20; ++i)
            out[i] = static_cast<unsigned char>(h_[i / 4] >> (24 - 8 * (i % 4)));
        return out;
    }

private:
    static std::uint32_t rotl(std::uint32_t x, int n) noexcept {
        return (x << n) | (x >> (32 - n));
    }

    static std::uint32_t mix(int round, std::uint32_t b, std::uint32_t c,
                             std::uint32_t d) noexcept {
        if (round < 20) return ((b & c) | (~b & d)) + 0x5A827999u;
        if (round < 40) return (b ^ c ^ d) + 0x6ED9EBA1u;
        if (round < 60) return ((b & c) | (b & d) | (c & d)) + 0x8F1BBCDCu;
        return (b ^ c ^ d) + 0xCA62C1D6u;
    }

    void compress() noexcept {
        std::array<std::uint32_t, 80> w;
        for (std::size_t i = 0; i < 16; ++i)
            w[i] = std::uint32_t{block_[4 * i]} << 24 | std::uint32_t{block_[4 * i + 1]} << 16 |
                   std::uint32_t{block_[4 * i + 2]} << 8 | std::uint32_t{block_[4 * i + 3]};
        for (std::size_t i = 16; i < 80; ++i)
            w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        std::uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
        for (int i = 0; i < 80; ++i) {
            const std::uint32_t t =
                rotl(a, 5) + mix(i, b, c, d) + e + w[static_cast<std::size_t>(i)];
            e = d;
            d = c;
            c = rotl(b, 30);
            b = a;
            a = t;
        }
        h_[0] += a;
        h_[1] += b;
        h_[2] += c;
        h_[3] += d;
        h_[4] += e;
        fill_ = 0;
    }

    std::array<std::uint32_t, 5> h_{0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u,
                                    0xC3D2E1F0u};
    std::array<unsigned char, 64> block_{};
    std::size_t fill_ = 0;
    std::uint64_t bits_ = 0;
};

inline std::string base64_encode(const unsigned char* data, std::size_t size) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    for (std::size_t i = 0; i < size; i += 3) {
        const std::uint32_t n = std::uint32_t{data[i]} << 16 |
                                (i + 1 < size ? std::uint32_t{data[i + 1]} << 8 : 0) |
                                (i + 2 < size ? std::uint32_t{data[i + 2]} : 0);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += i + 1 < size ? alphabet[(n >> 6) & 63] : '=';
        out += i + 2 < size ? alphabet[n & 63] : '=';
    }
    return out;
}

} // namespace bareasio::detail
