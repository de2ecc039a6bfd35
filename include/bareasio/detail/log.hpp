// Minimal diagnostics to stderr, one whole line per call so lines from
// different threads never interleave mid-line. Text that came from outside
// (a Redis channel, a client) goes through printable() first, so it can
// neither forge log lines nor make huge ones, and warnings that an outsider
// can repeat at will go through a log_limiter.
#pragma once

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

namespace bareasio::detail {

// `text` for a log line: control bytes (newlines, ANSI escapes) and
// backslashes escaped as \xNN, and cut after `most` bytes, saying how long
// it was.
inline std::string printable(std::string_view text, std::size_t most = 120) {
    std::string out;
    const std::string_view shown = text.substr(0, most);
    out.reserve(shown.size() + 16);
    for (const char c : shown) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u != 0x7F && c != '\\') {
            out += c;
            continue;
        }
        static constexpr char hex[] = "0123456789abcdef";
        out += "\\x";
        out += hex[u >> 4];
        out += hex[u & 0xF];
    }
    if (shown.size() < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
    return out;
}

// At most one line per `every` for a kind of warning; the next line that
// passes says how many were held back.
// Thread safety: none; one owner (a strand) uses it.
class log_limiter {
public:
    using clock = std::chrono::steady_clock;
    explicit log_limiter(clock::duration every = std::chrono::seconds(10)) : every_(every) {}

    // The line to log now (with the count of those held back), or empty.
    std::string pass(std::string line, clock::time_point now = clock::now()) {
        if (now < next_) {
            ++held_;
            return {};
        }
        next_ = now + every_;
        if (held_ != 0)
            line +=
                " (" + std::to_string(held_) + " more like it in the last " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(every_).count()) +
                " s not logged)";
        held_ = 0;
        return line;
    }

private:
    clock::duration every_;
    clock::time_point next_{};
    unsigned long held_ = 0;
};

inline void log_line(std::string_view text) {
    std::string line;
    line.reserve(text.size() + 1);
    line.append(text).push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

inline std::string describe(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}

} // namespace bareasio::detail
