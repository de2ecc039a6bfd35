// Response serialisation: writes the status line and header block of a
// response into a reusable output buffer and says how the body is framed.
// The server owns Date, Content-Length, Transfer-Encoding and Connection;
// a handler's own values for those (except Date) are replaced. A CR or LF in
// a header name or value is refused (response splitting), never sent.
// Thread safety: pure functions.
#pragma once

#include <bareasio/http/response.hpp>
#include <bareasio/http/status.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bareasio {

enum class body_framing {
    none,        // no body may follow (1xx, 204, 304)
    length,      // Content-Length bytes follow
    chunked,     // Transfer-Encoding: chunked
    until_close, // the body ends when the connection closes (HTTP/1.0 streams)
};

struct head_options {
    unsigned version = 11;     // the request's version: 10 or 11
    bool keep_alive = true;    // the connection stays open after this response
    bool head_request = false; // HEAD: the same headers as GET would get
};

namespace detail {
inline bool managed_header(std::string_view name) noexcept {
    return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
           iequals(name, "connection");
}

inline bool has_line_break(std::string_view s) noexcept {
    return s.find_first_of("\r\n") != std::string_view::npos;
}

// Appends the pieces in one go: one capacity check, no strlen.
template <class... Pieces>
void append_all(std::string& out, const Pieces&... pieces) {
    const std::size_t start = out.size();
    out.resize(start + (std::string_view(pieces).size() + ...));
    char* p = out.data() + start;
    ((p = std::copy_n(std::string_view(pieces).data(), std::string_view(pieces).size(), p)), ...);
}
} // namespace detail

// Appends "HTTP/1.1 <status> <reason>\r\n".
inline void write_status_line(std::string& out, int status) {
    if (status < 100 || status > 999) throw std::invalid_argument("HTTP status out of range");
    const char digits[3] = {static_cast<char>('0' + status / 100),
                            static_cast<char>('0' + status / 10 % 10),
                            static_cast<char>('0' + status % 10)};
    detail::append_all(out, std::string_view("HTTP/1.1 "), std::string_view(digits, 3),
                       std::string_view(" "), reason_phrase(status), std::string_view("\r\n"));
}

// How `res` will be framed for a request with these options.
inline body_framing framing_for(const response& res, const head_options& opt) noexcept {
    if (!status_allows_body(res.status)) return body_framing::none;
    if (res.body.type() != body_writer::kind::stream || res.body.length())
        return body_framing::length;
    return opt.version >= 11 ? body_framing::chunked : body_framing::until_close;
}

// Appends the status line and headers of `res`; returns the body framing.
// On a malformed header nothing is appended and std::invalid_argument thrown.
inline body_framing write_head(std::string& out, const response& res, std::string_view date,
                               const head_options& opt) {
    const auto start = out.size();
    try {
        write_status_line(out, res.status);
        bool has_type = false, has_date = false;
        for (const auto& f : res.headers) {
            if (f.name.empty() || detail::has_line_break(f.name) || detail::has_line_break(f.value))
                throw std::invalid_argument("header '" + f.name +
                                            "' has an empty name or a line break");
            if (detail::managed_header(f.name)) continue;
            has_type = has_type || iequals(f.name, "content-type");
            has_date = has_date || iequals(f.name, "date");
            detail::append_all(out, f.name, std::string_view(": "), f.value,
                               std::string_view("\r\n"));
        }
        const body_framing framing = framing_for(res, opt);
        if (!has_type && framing != body_framing::none && !res.body.content_type().empty())
            detail::append_all(out, std::string_view("Content-Type: "), res.body.content_type(),
                               std::string_view("\r\n"));
        if (!has_date)
            detail::append_all(out, std::string_view("Date: "), date, std::string_view("\r\n"));
        if (framing == body_framing::length) {
            char digits[24];
            auto end =
                std::to_chars(digits, digits + sizeof digits, res.body.length().value_or(0)).ptr;
            detail::append_all(out, std::string_view("Content-Length: "),
                               std::string_view(digits, static_cast<std::size_t>(end - digits)),
                               std::string_view("\r\n"));
        } else if (framing == body_framing::chunked) {
            out.append(std::string_view("Transfer-Encoding: chunked\r\n"));
        }
        if (!opt.keep_alive || framing == body_framing::until_close)
            out.append(std::string_view("Connection: close\r\n"));
        else if (opt.version < 11)
            out.append(std::string_view("Connection: keep-alive\r\n"));
        out.append(std::string_view("\r\n"));
        return framing;
    } catch (...) {
        out.resize(start);
        throw;
    }
}

// Appends one chunk of a chunked body ("<hex size>\r\n<data>\r\n").
inline void write_chunk(std::string& out, std::string_view data) {
    if (data.empty()) return; // an empty chunk would end the body
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, data.size(), 16).ptr;
    out.append(digits, end).append("\r\n").append(data).append("\r\n");
}

inline void write_last_chunk(std::string& out) {
    out.append("0\r\n\r\n");
}

} // namespace bareasio
