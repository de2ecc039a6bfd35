// access_log: one line per request in the combined log format (Apache's and
// nginx's), followed by the request's duration in seconds:
//     127.0.0.1 - - [21/Nov/2026:10:15:32 +0000] "GET / HTTP/1.1" 200 412 "-" "curl/7.88.1" 0.100231
// Off by default; server_config::access_log = "-" writes to stderr, any
// other value appends to that file. Status 499 means the client left before
// its response was written (nginx's convention). Bytes are the body's, "-"
// for none. Quotes, backslashes and control or non-ASCII bytes in the
// request line, Referer and User-Agent are escaped (\" \\ \xHH) so a client
// cannot forge lines.
// Thread safety: each event loop has its own access_log (the same file
// opened once per loop) and calls write() and reopen() only there; each
// line leaves in one fwrite on a line-buffered stream, so lines from
// several loops never interleave. format_access_line and access_time are
// per loop.
#pragma once

#include <bareasio/detail/log.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>
#include <system_error>

namespace bareasio {

// What one line says.
struct access_record {
    std::string_view client{}; // empty: "-"
    std::string_view method{};
    std::string_view target{};
    unsigned version = 11;
    int status = 0;
    std::uint64_t body_bytes = 0;
    std::string_view referer{};
    std::string_view user_agent{};
    std::chrono::microseconds duration{};
};

// The log's timestamp, "21/Nov/2026:10:15:32 +0000" (UTC), formatted at
// most once per second.
class access_time {
public:
    std::string_view get() noexcept {
        const std::time_t now = std::time(nullptr);
        if (now != formatted_at_) format(now);
        return {text_, 26};
    }

private:
    void format(std::time_t now) noexcept {
        static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        std::tm tm{};
        gmtime_r(&now, &tm);
        std::snprintf(text_, sizeof text_, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday,
                      months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        formatted_at_ = now;
    }

    std::time_t formatted_at_ = -1;
    char text_[32] = {};
};

namespace detail {
inline void append_escaped(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (const char ch : text) {
        const auto byte = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out.push_back('\\');
            out.push_back(ch);
        } else if (byte < 0x20 || byte >= 0x7f) {
            out.append("\\x");
            out.push_back(hex[byte >> 4]);
            out.push_back(hex[byte & 0xf]);
        } else {
            out.push_back(ch);
        }
    }
}

inline void append_quoted_or_dash(std::string& out, std::string_view text) {
    out.push_back('"');
    if (text.empty())
        out.push_back('-');
    else
        append_escaped(out, text);
    out.push_back('"');
}
} // namespace detail

// Appends one line, newline included, to `out`.
inline void format_access_line(std::string& out, const access_record& r, std::string_view time) {
    if (r.client.empty())
        out.push_back('-');
    else
        detail::append_escaped(out, r.client); // behind a proxy it comes from a header
    out.append(" - - [").append(time).append("] \"");
    if (r.method.empty()) {
        out.push_back('-'); // no request line could be read
    } else {
        detail::append_escaped(out, r.method);
        out.push_back(' ');
        detail::append_escaped(out, r.target);
        out.append(r.version == 10 ? " HTTP/1.0" : r.version == 20 ? " HTTP/2.0" : " HTTP/1.1");
    }
    out.append("\" ").append(std::to_string(r.status)).push_back(' ');
    if (r.body_bytes == 0)
        out.push_back('-');
    else
        out.append(std::to_string(r.body_bytes));
    out.push_back(' ');
    detail::append_quoted_or_dash(out, r.referer);
    out.push_back(' ');
    detail::append_quoted_or_dash(out, r.user_agent);
    const auto us = r.duration.count();
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, " %lld.%06lld\n", static_cast<long long>(us / 1'000'000),
                  static_cast<long long>(us % 1'000'000));
    out.append(seconds);
}

class access_log {
public:
    // "-": stderr; anything else: a file, opened for appending (created if
    // missing). Throws std::system_error naming the file if it cannot be opened.
    explicit access_log(const std::string& destination) : destination_(destination) {
        if (destination == "-") return;
        file_ = open(destination);
        if (!file_)
            throw std::system_error(errno, std::generic_category(),
                                    "cannot open the access log " + destination);
        owned_ = true;
    }
    ~access_log() {
        if (owned_)
            std::fclose(file_);
        else
            std::fflush(file_);
    }
    access_log(const access_log&) = delete;
    access_log& operator=(const access_log&) = delete;

    // Writes one formatted line (see format_access_line). A log that cannot
    // be written (a full disk, a pipe whose reader left) is reported once,
    // on stderr, and its lines are dropped until it can be written again.
    void write(std::string_view line) const noexcept {
        const bool written =
            std::fwrite(line.data(), 1, line.size(), file_) == line.size() && !std::ferror(file_);
        if (written) {
            failing_.store(false, std::memory_order_relaxed);
            return;
        }
        const int error = errno;
        std::clearerr(file_);
        if (failing_.exchange(true, std::memory_order_relaxed)) return;
        detail::log_line("bareasio: cannot write the access log " + destination_ + ": " +
                         std::generic_category().message(error) +
                         "; its lines are dropped until it can be written again");
    }

    // Opens the file again (SIGHUP, after logrotate moved it). If that fails
    // the old file stays, and the failure is returned.
    std::error_code reopen() noexcept {
        if (!owned_) return {};
        std::FILE* fresh = open(destination_);
        if (!fresh) return {errno, std::generic_category()};
        std::fclose(file_);
        file_ = fresh;
        failing_.store(false, std::memory_order_relaxed);
        return {};
    }

    const std::string& destination() const noexcept { return destination_; }

private:
    static std::FILE* open(const std::string& path) noexcept {
        std::FILE* f = std::fopen(path.c_str(), "a");
        if (f) std::setvbuf(f, nullptr, _IOLBF, 16 * 1024); // whole lines, seen at once by tail -f
        return f;
    }

    std::string destination_;
    std::FILE* file_ = stderr;
    bool owned_ = false;
    mutable std::atomic<bool> failing_{false}; // the last write failed, and was reported
};

} // namespace bareasio
