// The definitions behind http/request_parser.hpp: the one place that
// includes <llhttp.h>. Compiled once, with llhttp itself, by
// src/request_parser.cpp (meson's bareasio_llhttp library); never included
// by a header a user includes.
#pragma once

#include <bareasio/http/request_parser.hpp>

#include <llhttp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <new>

namespace bareasio {

struct request_parser_callbacks {
    using part = request_parser::part;
    using chunk_line = request_parser::chunk_line;

    static request_parser& self(llhttp_t* p) { return *static_cast<request_parser*>(p->data); }

    static llhttp_t* state(request_parser& me) noexcept {
        return std::launder(reinterpret_cast<llhttp_t*>(me.llhttp_));
    }

    static int on_message_begin(llhttp_t* p) {
        auto& me = self(p);
        me.head_->clear();
        me.head_bytes_ = 0;
        me.in_field_ = false;
        me.hosts_ = 0;
        me.expect_field_ = 0;
        me.last_chunk_ = false;
        return 0;
    }
    static int on_url(llhttp_t* p, const char* at, std::size_t n) {
        auto& me = self(p);
        me.head_->target.append(at, n);
        if (me.head_->target.size() > me.limits_.max_url_bytes)
            return me.fail(414, "request target longer than the configured limit");
        return me.count_head_bytes(n);
    }
    // Head fields are stored; trailer fields are checked, counted against
    // the head's byte limit and dropped (RFC 9110 §6.5.1 lets a server
    // discard them), so the head a handler holds views into never changes.
    static int on_header_field(llhttp_t* p, const char* at, std::size_t n) {
        auto& me = self(p);
        const bool head = me.part_ == part::head;
        if (!me.in_field_) {
            if (head && me.head_->headers.size() >= me.limits_.max_header_count)
                return me.fail(431, "more header fields than the configured limit");
            if (head) me.head_->headers.append_empty();
            me.in_field_ = true;
            me.field_bytes_ = 0;
        }
        me.field_bytes_ += n;
        if (head) me.head_->headers.back().name.append(at, n);
        return me.count_head_bytes(n);
    }
    static int on_header_field_complete(llhttp_t* p) {
        auto& me = self(p);
        const bool named = me.in_field_ && me.field_bytes_ > 0;
        me.in_field_ = false;
        if (!named) return me.fail(400, "empty header field name");
        if (me.part_ != part::head) return 0;
        const std::string& name = me.head_->headers.back().name;
        if (name.size() == 4 && is_host(name.data())) {
            ++me.hosts_;
            me.host_field_ = me.head_->headers.size() - 1;
        } else if (name.size() == 6 && me.expect_field_ == 0 && iequals(name, "expect")) {
            me.expect_field_ = me.head_->headers.size();
        }
        return 0;
    }

    // Whether 4 bytes spell "host" in any case: one load and one compare,
    // since every header name of every request passes here.
    static bool is_host(const char* name) noexcept {
        std::uint32_t word;
        std::memcpy(&word, name, 4);
        std::uint32_t host;
        std::memcpy(&host, "host", 4);
        return (word | 0x20202020u) == host;
    }

    // The bytes of a reg-name: unreserved, '%' (of a percent-encoding) and
    // sub-delims (RFC 3986); ':' ends it (the port follows).
    static constexpr auto reg_name_bytes = [] {
        std::array<bool, 256> table{};
        for (int c = 0; c < 256; ++c)
            table[static_cast<std::size_t>(c)] =
                (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        for (unsigned char c : std::string_view("-._~%!$&'()*+,;="))
            table[c] = true;
        return table;
    }();

    // RFC 9112 §3.2: uri-host [ ":" port ], an IP literal in brackets or a
    // reg-name; empty is allowed.
    static bool valid_host(std::string_view host) noexcept {
        std::size_t at = 0;
        if (!host.empty() && host.front() == '[') {
            for (at = 1; at < host.size() && host[at] != ']'; ++at) {
                const char c = host[at];
                if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'))
                    return false;
            }
            if (at++ == host.size()) return false; // no ']'
        } else {
            while (at < host.size() && reg_name_bytes[static_cast<unsigned char>(host[at])])
                ++at;
        }
        if (at == host.size()) return true;
        if (host[at] != ':') return false;
        for (++at; at < host.size(); ++at)
            if (host[at] < '0' || host[at] > '9') return false;
        return true;
    }

    static bool host_ok(const request_parser& me, const request_head& head) noexcept {
        if (me.hosts_ == 0) return head.version < 11;
        return me.hosts_ == 1 &&
               valid_host(head.headers.begin()[static_cast<std::ptrdiff_t>(me.host_field_)].value);
    }
    static int on_header_value(llhttp_t* p, const char* at, std::size_t n) {
        auto& me = self(p);
        if (me.part_ == part::head) me.head_->headers.back().value.append(at, n);
        return me.count_head_bytes(n);
    }
    static int on_header_value_complete(llhttp_t* p) {
        auto& me = self(p);
        if (me.part_ != part::head) return 0;
        auto& value = me.head_->headers.back().value;
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
            value.pop_back();
        return 0;
    }
    static int on_headers_complete(llhttp_t* p) {
        auto& me = self(p);
        auto& head = *me.head_;
        head.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
        head.version = p->http_major * 10u + p->http_minor;
        if (p->http_major == 0) return me.fail(400, "HTTP/0.9 requests are not supported");
        if (p->http_major != 1) return me.fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
        if (!host_ok(me, head)) return me.fail(400, "missing, repeated or invalid Host header");
        // Not a proxy: a CONNECT tunnel is refused (and the bytes after it
        // are another protocol's, so the connection closes).
        if (p->method == HTTP_CONNECT) return me.fail(501, "CONNECT is not supported here");
        // An Upgrade the server does not take is ignored (RFC 9110 §7.8):
        // the request is answered and the connection goes on in HTTP/1.1.
        p->upgrade = 0;
        head.keep_alive = llhttp_should_keep_alive(p) != 0;
        head.chunked = (p->flags & F_CHUNKED) != 0;
        if (head.chunked) {
            if (int status = coding_status(head.headers))
                return me.fail(status, status == 501 ? "a transfer coding other than chunked"
                                                     : "chunked applied more than once");
            me.start_chunk_line();
        }
        if (p->flags & F_CONTENT_LENGTH) head.content_length = p->content_length;
        // Found while parsing, as Host is: no search through the fields here.
        head.expect_continue =
            me.expect_field_ != 0 && head.version >= 11 &&
            iequals(head.headers.begin()[static_cast<std::ptrdiff_t>(me.expect_field_ - 1)].value,
                    "100-continue");
        me.part_ = part::body;
        me.event_ = request_parser::event::head_complete;
        return static_cast<int>(HPE_PAUSED);
    }

    // RFC 9112 §6.1, for a chunked request: 0 when its Transfer-Encoding is
    // chunked alone; 501 for any other coding (gzip, identity: the server
    // decodes none); 400 for chunked twice.
    static int coding_status(const header_list& headers) noexcept {
        int chunked = 0;
        for (const auto& field : headers) {
            if (!iequals(field.name, "transfer-encoding")) continue;
            std::string_view list = field.value;
            while (!list.empty()) {
                const auto comma = list.find(',');
                const auto coding = trim_ows(list.substr(0, comma));
                if (iequals(coding, "chunked"))
                    ++chunked;
                else if (!coding.empty())
                    return 501;
                list =
                    comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
            }
        }
        return chunked == 1 ? 0 : 400;
    }

    static int on_body(llhttp_t* p, const char* at, std::size_t n) {
        auto& me = self(p);
        if (!me.body_.empty()) return me.fail(500, "two body pieces in one step");
        me.body_ = std::string_view(at, n);
        return 0;
    }
    static int on_chunk_header(llhttp_t* p) {
        self(p).last_chunk_ = p->content_length == 0;
        return 0;
    }
    // The next chunk-size line is parsed by the adapter: pause before it.
    static int on_chunk_complete(llhttp_t* p) {
        auto& me = self(p);
        if (me.last_chunk_) return 0; // the trailers ended; the message completes next
        me.start_chunk_line();
        if (!me.body_.empty()) me.event_ = request_parser::event::body;
        return static_cast<int>(HPE_PAUSED);
    }
    static int on_message_complete(llhttp_t* p) {
        auto& me = self(p);
        me.part_ = part::head;
        me.event_ = request_parser::event::message_complete;
        return static_cast<int>(HPE_PAUSED);
    }

    static const llhttp_settings_t& settings() {
        static const llhttp_settings_t s = [] {
            llhttp_settings_t s;
            llhttp_settings_init(&s);
            s.on_message_begin = on_message_begin;
            s.on_url = on_url;
            s.on_header_field = on_header_field;
            s.on_header_field_complete = on_header_field_complete;
            s.on_header_value = on_header_value;
            s.on_header_value_complete = on_header_value_complete;
            s.on_headers_complete = on_headers_complete;
            s.on_body = on_body;
            s.on_chunk_header = on_chunk_header;
            s.on_chunk_complete = on_chunk_complete;
            s.on_message_complete = on_message_complete;
            return s;
        }();
        return s;
    }
};

request_parser::request_parser(request_head& head, parser_limits limits)
    : head_(&head), limits_(limits) {
    static_assert(sizeof(llhttp_t) <= sizeof llhttp_ && alignof(llhttp_t) <= 8,
                  "request_parser::llhttp_ is too small for this llhttp version");
    llhttp_t* p = ::new (static_cast<void*>(llhttp_)) llhttp_t;
    llhttp_init(p, HTTP_REQUEST, &request_parser_callbacks::settings());
    p->data = this;
}

request_parser::step request_parser::parse(std::string_view data) {
    llhttp_t* p = request_parser_callbacks::state(*this);
    if (paused_) {
        llhttp_resume(p);
        paused_ = false;
    }
    event_ = event::need_more;
    body_ = {};
    std::size_t done = 0;
    for (;;) {
        if (chunk_line_ != chunk_line::none) {
            done += feed_chunk_line({data.data() + done, data.size() - done});
            if (error_status_ != 0) return {event::error, 0, {}};
            if (chunk_line_ != chunk_line::none) return {event::need_more, done, {}};
        }
        const std::string_view rest(data.data() + done, data.size() - done);
        if (part_ == part::head && !head_scan_.version_checked) {
            done += feed_request_line(rest);
            if (error_status_ != 0) return {event::error, 0, {}};
            if (!head_scan_.version_checked && rest.find('\n') == std::string_view::npos)
                return {event::need_more, done, {}};
            continue;
        }
        // Every byte llhttp takes now belongs to a head or to trailers.
        const bool scanned = part_ != part::body;
        const auto rc = llhttp_execute(p, rest.data(), rest.size());
        const bool paused = rc == HPE_PAUSED || rc == HPE_PAUSED_UPGRADE;
        if (!paused && rc != HPE_OK) return llhttp_failed();
        const std::size_t used =
            paused ? static_cast<std::size_t>(llhttp_get_error_pos(p) - rest.data()) : rest.size();
        if (scanned && !scan_head({rest.data(), used})) return reject_framing();
        done += used;
        if (!paused) return {body_.empty() ? event::need_more : event::body, done, body_};
        paused_ = true;
        if (event_ == event::message_complete) head_scan_ = {}; // the next head starts fresh
        if (rc == HPE_PAUSED_UPGRADE) { // we do not switch protocols: finish and close
            head_->keep_alive = false;
            event_ = event::message_complete;
        }
        if (event_ != event::need_more) return {event_, done, body_};
        llhttp_resume(p); // paused before a chunk-size line, with nothing to report
        paused_ = false;
    }
}

// RFC 9110 §2.5: a request of a later HTTP/1 minor version (HTTP/1.2) is
// served as HTTP/1.1, and another major version (HTTP/2.0 on a request
// line, HTTP/3.0) is a 505. llhttp refuses both as malformed once it has
// read the version, so the request line is looked at first: until it is
// whole, its last bytes (where the version goes) are held back; then a later
// minor version is given to llhttp as "HTTP/1.1". Returns the bytes used.
std::size_t request_parser::feed_request_line(std::string_view rest) {
    constexpr std::size_t version_size = 8; // HTTP/d.d
    const std::size_t lf = rest.find('\n');
    if (lf == std::string_view::npos) {
        const std::size_t ready = rest.size() - std::min(rest.size(), version_size + 1);
        return feed_head(rest.substr(0, ready), rest.substr(0, ready)) ? ready : 0;
    }
    std::string_view line = rest.substr(0, lf);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) // an empty line before the request: llhttp's to judge
        return feed_head(rest.substr(0, lf + 1), rest.substr(0, lf + 1)) ? lf + 1 : 0;
    head_scan_.version_checked = true;
    const std::string_view version =
        line.size() >= version_size ? line.substr(line.size() - version_size) : line;
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (version.size() != version_size || !version.starts_with("HTTP/") || !digit(version[5]) ||
        version[6] != '.' || !digit(version[7]))
        return 0; // not a version: llhttp says what is wrong
    if (version[5] >= '2') {
        reject(505, "only HTTP/1.0 and HTTP/1.1 are supported");
        return 0;
    }
    if (version[5] != '1' || version[7] <= '1') return 0; // HTTP/1.0, HTTP/1.1: as they are
    const std::size_t at = line.size() - version_size;
    if (!feed_head(rest.substr(0, at), rest.substr(0, at)) || !feed_head(version, "HTTP/1.1"))
        return 0;
    return line.size();
}

// Gives llhttp `as` for the head bytes `bytes` (the same, or a version
// read as HTTP/1.1). False, with the error set, when the head is malformed.
bool request_parser::feed_head(std::string_view bytes, std::string_view as) {
    if (bytes.empty()) return true;
    llhttp_t* p = request_parser_callbacks::state(*this);
    if (llhttp_execute(p, as.data(), as.size()) != HPE_OK) {
        llhttp_failed();
        return false;
    }
    if (!scan_head(bytes)) {
        reject_framing();
        return false;
    }
    return true;
}

request_parser::step request_parser::llhttp_failed() {
    if (error_status_ == 0) { // llhttp's own error, not one a callback reported
        llhttp_t* p = request_parser_callbacks::state(*this);
        error_status_ = 400;
        reason_ = llhttp_get_error_reason(p) ? llhttp_get_error_reason(p) : "";
    }
    return {event::error, 0, {}};
}

namespace {

// Longer chunk-size lines are refused: extensions are not worth more.
constexpr std::size_t max_chunk_line_bytes = 4096;

constexpr auto token_bytes = [] { // RFC 9110 §5.6.2 tchar
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c)
        table[static_cast<std::size_t>(c)] =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~"))
        table[c] = true;
    return table;
}();

bool is_token(char c) noexcept {
    return token_bytes[static_cast<unsigned char>(c)];
}
bool is_blank(char c) noexcept {
    return c == ' ' || c == '\t';
}
bool is_hex(char c) noexcept {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}
bool is_qdtext(char c) noexcept { // and obs-text
    const auto u = static_cast<unsigned char>(c);
    return c == '\t' || c == ' ' || u == 0x21 || (u >= 0x23 && u <= 0x5B) ||
           (u >= 0x5D && u <= 0x7E) || u >= 0x80;
}
bool is_pair_text(char c) noexcept { // after a backslash: HTAB, SP, VCHAR, obs-text
    const auto u = static_cast<unsigned char>(c);
    return c == '\t' || (u >= 0x20 && u != 0x7F);
}

} // namespace

// A chunk-size line, RFC 9112 §7.1.1:
//     chunk-size *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ) CRLF
// Its size digits are given to llhttp as they come, and a CRLF at its end;
// the extensions are checked and dropped (no one here uses them).
std::size_t request_parser::feed_chunk_line(std::string_view bytes) {
    llhttp_t* p = request_parser_callbacks::state(*this);
    auto give = [&](std::string_view piece) {
        if (piece.empty() || llhttp_execute(p, piece.data(), piece.size()) == HPE_OK) return true;
        llhttp_failed();
        return false;
    };
    std::size_t i = 0;
    while (i < bytes.size() && chunk_line_ != chunk_line::none) {
        const bool in_size =
            chunk_line_ == chunk_line::size_first || chunk_line_ == chunk_line::size;
        if (++chunk_line_bytes_ > max_chunk_line_bytes || !chunk_line_byte(bytes[i])) {
            reject(400, "malformed chunk-size line");
            return i;
        }
        ++i;
        // The size digits are the line's first bytes: bytes[0, i - 1) here.
        if (in_size && chunk_line_ != chunk_line::size && !give(bytes.substr(0, i - 1))) return i;
    }
    if (chunk_line_ == chunk_line::size) give(bytes.substr(0, i)); // more digits may follow
    if (chunk_line_ == chunk_line::none && i > 0 && give("\r\n") && last_chunk_) {
        part_ = part::trailers; // checked line by line as a head is
        head_scan_ = {false, true, 1};
    }
    return i;
}

// One byte of a chunk-size line; false when it breaks the grammar.
bool request_parser::chunk_line_byte(char c) noexcept {
    using s = chunk_line;
    auto to = [this](s next) {
        chunk_line_ = next;
        return true;
    };
    switch (chunk_line_) {
    case s::size_first:
        return is_hex(c) && to(s::size);
    case s::size:
        if (is_hex(c)) return true;
        [[fallthrough]];
    case s::after_value:
        if (c == '\r') return to(s::lf);
        [[fallthrough]];
    case s::before_semicolon:
        if (is_blank(c)) return to(chunk_line_ == s::size ? s::before_semicolon : chunk_line_);
        return c == ';' && to(s::before_name);
    case s::before_name:
        if (is_blank(c)) return true;
        return is_token(c) && to(s::name);
    case s::name:
        if (is_token(c)) return true;
        if (c == '\r') return to(s::lf);
        [[fallthrough]];
    case s::after_name:
        if (is_blank(c)) return to(s::after_name);
        if (c == '=') return to(s::before_value);
        return c == ';' && to(s::before_name);
    case s::before_value:
        if (is_blank(c)) return true;
        if (c == '"') return to(s::quoted_value);
        return is_token(c) && to(s::token_value);
    case s::token_value:
        if (is_token(c)) return true;
        if (c == '\r') return to(s::lf);
        if (is_blank(c)) return to(s::after_value);
        return c == ';' && to(s::before_name);
    case s::quoted_value:
        if (c == '"') return to(s::after_value);
        if (c == '\\') return to(s::quoted_pair);
        return is_qdtext(c);
    case s::quoted_pair:
        return is_pair_text(c) && to(s::quoted_value);
    case s::lf:
        return c == '\n' && to(s::none);
    case s::none:
        break;
    }
    return false;
}

// Line endings of the head, across calls: every LF must follow a CR,
// every CR precede an LF, and no header line may start with whitespace
// (obsolete folding). memchr finds the few line ends; the bytes between
// are llhttp's to judge.
bool request_parser::scan_head(std::string_view bytes) noexcept {
    if (bytes.empty()) return true;
    const char* const first = bytes.data();
    const char* const last = first + bytes.size();
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    auto next = [last](const char* from, char c) {
        return static_cast<const char*>(
            std::memchr(from, c, static_cast<std::size_t>(last - from)));
    };
    // The state left by the previous call applies to this call's first byte.
    if (head_scan_.after_cr && *first != '\n') return false;
    if (head_scan_.line_start && head_scan_.lines > 0 && blank(*first)) return false;
    for (auto* cr = next(first, '\r'); cr; cr = cr + 1 < last ? next(cr + 1, '\r') : nullptr)
        if (cr + 1 < last && cr[1] != '\n') return false;
    for (auto* lf = next(first, '\n'); lf; lf = lf + 1 < last ? next(lf + 1, '\n') : nullptr) {
        const bool cr_before = lf > first ? lf[-1] == '\r' : head_scan_.after_cr;
        if (!cr_before) return false;
        ++head_scan_.lines;
        if (lf + 1 < last && blank(lf[1])) return false;
    }
    head_scan_.after_cr = last[-1] == '\r';
    head_scan_.line_start = last[-1] == '\n';
    return true;
}

request_parser::step request_parser::reject_framing() {
    return reject(400, "bare LF or obsolete line folding in the request head or trailers");
}

request_parser::step request_parser::reject(int status, const char* reason) {
    error_status_ = status;
    reason_ = reason;
    return {event::error, 0, {}};
}

int request_parser::fail(int status, const char* reason) {
    error_status_ = status;
    reason_ = reason;
    llhttp_set_error_reason(request_parser_callbacks::state(*this), reason);
    return HPE_USER;
}

int request_parser::count_head_bytes(std::size_t n) {
    head_bytes_ += n;
    if (head_bytes_ > limits_.max_header_bytes)
        return fail(431, "request head larger than the configured limit");
    return 0;
}

} // namespace bareasio
