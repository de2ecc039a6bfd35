// utf8_validator: checks UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF) as it arrives, piece by piece, so a
// text message is refused at its first bad byte, even in the middle of a
// frame or across fragments (RFC 6455 §8.1).
//     utf8_validator v;
//     if (!v.feed(piece)) fail(1007);   // ... at the end: if (!v.complete()) fail(1007);
// Thread safety: one per message being read.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace bareasio {

class utf8_validator {
public:
    // False at the first byte that cannot be part of valid UTF-8; the
    // validator stays failed until reset().
    bool feed(std::string_view bytes) noexcept {
        const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
        const auto* end = p + bytes.size();
        while (p != end) {
            if (need_ == 0) {
                p = skip_ascii(p, end);
                if (p == end) break;
                if (!start(*p++)) return fail();
            } else {
                if (*p < low_ || *p > high_) return fail();
                low_ = 0x80;
                high_ = 0xBF;
                --need_;
                ++p;
            }
        }
        return true;
    }

    // True when the bytes so far end at a character's end.
    bool complete() const noexcept { return need_ == 0; }

    void reset() noexcept { *this = utf8_validator{}; }

private:
    // Skips ASCII eight bytes at a time.
    static const unsigned char* skip_ascii(const unsigned char* p,
                                           const unsigned char* end) noexcept {
        while (end - p >= 8) {
            std::uint64_t word;
            std::memcpy(&word, p, 8);
            if (word & 0x8080808080808080ull) break;
            p += 8;
        }
        while (p != end && *p < 0x80)
            ++p;
        return p;
    }

    // A lead byte: how many continuation bytes follow, and the range of the
    // first (which rules out overlong forms, surrogates and > U+10FFFF).
    bool start(unsigned char c) noexcept {
        if (c >= 0xC2 && c <= 0xDF) return expect(1, 0x80, 0xBF);
        if (c == 0xE0) return expect(2, 0xA0, 0xBF);
        if (c == 0xED) return expect(2, 0x80, 0x9F);
        if (c >= 0xE1 && c <= 0xEF) return expect(2, 0x80, 0xBF);
        if (c == 0xF0) return expect(3, 0x90, 0xBF);
        if (c >= 0xF1 && c <= 0xF3) return expect(3, 0x80, 0xBF);
        if (c == 0xF4) return expect(3, 0x80, 0x8F);
        return false;
    }
    bool expect(unsigned need, unsigned char low, unsigned char high) noexcept {
        need_ = need;
        low_ = low;
        high_ = high;
        return true;
    }
    bool fail() noexcept {
        need_ = failed;
        low_ = 1; // nothing is in [1, 0]: every later byte fails too
        high_ = 0;
        return false;
    }

    static constexpr unsigned failed = 255;
    unsigned need_ = 0; // continuation bytes still expected
    unsigned char low_ = 0x80;
    unsigned char high_ = 0xBF;
};

} // namespace bareasio
