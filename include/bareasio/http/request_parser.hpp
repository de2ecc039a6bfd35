// request_parser: the llhttp adapter. It parses requests incrementally from
// whatever bytes have arrived, into a request_head the caller owns, and stops
// at each point the server acts on: the end of the head, each piece of body,
// the end of the message. Body pieces are views into the caller's buffer.
// llhttp (8.1, built with LLHTTP_STRICT_MODE) runs with no lenient flag
// set, so Content-Length with Transfer-Encoding, duplicate lengths, bad
// chunk sizes and control bytes in headers are errors (answered 400). It
// still accepts a bare LF ending the request line and obsolete line folding
// (RFC 9112 lets a server reject both, and proxies disagree on them, which is
// what smuggling feeds on): this adapter scans the head bytes llhttp
// consumed and rejects those too.
// Thread safety: one parser per connection.
#pragma once

#include <bareasio/http/header_list.hpp>
#include <bareasio/http/request.hpp>

#include <llhttp.h>

#include <cstddef>
#include <cstring>
#include <string_view>

namespace bareasio {

struct parser_limits {
    std::size_t max_header_bytes = 16 * 1024; // request line + headers -> 431
    std::size_t max_header_count = 100;       // -> 431
    std::size_t max_url_bytes = 8 * 1024;     // -> 414
};

class request_parser {
public:
    enum class event {
        need_more,        // everything given was consumed; feed more bytes
        head_complete,    // the head is in the request_head; body (if any) follows
        body,             // `body` holds the next piece of the body
        message_complete, // the request is complete (`body` may hold its last piece)
        error,            // malformed: answer error_status() and close
    };
    struct step {
        event what;
        std::size_t consumed; // bytes of the input used by this step
        std::string_view body;
    };

    explicit request_parser(request_head& head, parser_limits limits = {})
        : head_(&head), limits_(limits) {
        llhttp_init(&parser_, HTTP_REQUEST, &settings());
        parser_.data = this;
    }
    request_parser(const request_parser&) = delete;
    request_parser& operator=(const request_parser&) = delete;

    // Parses from the start of `data`, stopping after the next event.
    step parse(std::string_view data) {
        if (paused_) {
            llhttp_resume(&parser_);
            paused_ = false;
        }
        event_ = event::need_more;
        body_ = {};
        const bool in_head = !in_body_; // every byte llhttp takes now belongs to a head
        const auto rc = llhttp_execute(&parser_, data.data(), data.size());
        if (rc == HPE_OK) {
            if (in_head && !scan_head(data)) return reject_framing();
            return {body_.empty() ? event::need_more : event::body, data.size(), body_};
        }
        if (rc == HPE_PAUSED || rc == HPE_PAUSED_UPGRADE) {
            paused_ = true;
            auto consumed = static_cast<std::size_t>(llhttp_get_error_pos(&parser_) - data.data());
            if (in_head && !scan_head(data.substr(0, consumed))) return reject_framing();
            if (event_ == event::message_complete) head_scan_ = {}; // the next head starts fresh
            if (rc == HPE_PAUSED_UPGRADE) { // we do not switch protocols: finish and close
                head_->keep_alive = false;
                event_ = event::message_complete;
            }
            return {event_, consumed, body_};
        }
        if (error_status_ == 0) error_status_ = 400;
        reason_ = llhttp_get_error_reason(&parser_) ? llhttp_get_error_reason(&parser_) : "";
        return {event::error, 0, {}};
    }

private:
    // Line endings of the head, across calls: every LF must follow a CR,
    // every CR precede an LF, and no header line may start with whitespace
    // (obsolete folding). memchr finds the few line ends; the bytes between
    // are llhttp's to judge.
    bool scan_head(std::string_view bytes) noexcept {
        if (bytes.empty()) return true;
        const char* const first = bytes.data();
        const char* const last = first + bytes.size();
        auto blank = [](char c) { return c == ' ' || c == '\t'; };
        // The state left by the previous call applies to this call's first byte.
        if (head_scan_.after_cr && *first != '\n') return false;
        if (head_scan_.line_start && head_scan_.lines > 0 && blank(*first)) return false;
        for (auto* cr = static_cast<const char*>(std::memchr(first, '\r', bytes.size())); cr;
             cr = static_cast<const char*>(
                 std::memchr(cr + 1, '\r', static_cast<std::size_t>(last - cr - 1)))) {
            if (cr + 1 < last && cr[1] != '\n') return false;
        }
        for (auto* lf = static_cast<const char*>(std::memchr(first, '\n', bytes.size())); lf;
             lf = static_cast<const char*>(
                 std::memchr(lf + 1, '\n', static_cast<std::size_t>(last - lf - 1)))) {
            const bool cr_before = lf > first ? lf[-1] == '\r' : head_scan_.after_cr;
            if (!cr_before) return false;
            ++head_scan_.lines;
            if (lf + 1 < last && blank(lf[1])) return false;
        }
        head_scan_.after_cr = last[-1] == '\r';
        head_scan_.line_start = last[-1] == '\n';
        return true;
    }

    step reject_framing() {
        error_status_ = 400;
        reason_ = "bare LF or obsolete line folding in the request head";
        return {event::error, 0, {}};
    }

public:
    // The status a malformed request gets: 400, 414 or 431.
    int error_status() const noexcept { return error_status_; }
    std::string_view error_reason() const noexcept { return reason_; }

    // True between the end of a head and the end of its message.
    bool in_body() const noexcept { return in_body_; }

private:
    static request_parser& self(llhttp_t* p) { return *static_cast<request_parser*>(p->data); }

    int fail(int status, const char* reason) {
        error_status_ = status;
        llhttp_set_error_reason(&parser_, reason);
        return HPE_USER;
    }

    int count_head_bytes(std::size_t n) {
        head_bytes_ += n;
        if (head_bytes_ > limits_.max_header_bytes)
            return fail(431, "request head larger than the configured limit");
        return 0;
    }

    static const llhttp_settings_t& settings() {
        static const llhttp_settings_t s = [] {
            llhttp_settings_t s;
            llhttp_settings_init(&s);
            s.on_message_begin = [](llhttp_t* p) {
                auto& me = self(p);
                me.head_->clear();
                me.head_bytes_ = 0;
                me.in_field_ = false;
                return 0;
            };
            s.on_url = [](llhttp_t* p, const char* at, std::size_t n) {
                auto& me = self(p);
                me.head_->target.append(at, n);
                if (me.head_->target.size() > me.limits_.max_url_bytes)
                    return me.fail(414, "request target longer than the configured limit");
                return me.count_head_bytes(n);
            };
            s.on_header_field = [](llhttp_t* p, const char* at, std::size_t n) {
                auto& me = self(p);
                if (!me.in_field_) {
                    if (me.head_->headers.size() >= me.limits_.max_header_count)
                        return me.fail(431, "more header fields than the configured limit");
                    me.head_->headers.append_empty();
                    me.in_field_ = true;
                }
                me.head_->headers.back().name.append(at, n);
                return me.count_head_bytes(n);
            };
            s.on_header_field_complete = [](llhttp_t* p) {
                self(p).in_field_ = false;
                return 0;
            };
            s.on_header_value = [](llhttp_t* p, const char* at, std::size_t n) {
                auto& me = self(p);
                me.head_->headers.back().value.append(at, n);
                return me.count_head_bytes(n);
            };
            s.on_header_value_complete = [](llhttp_t* p) {
                auto& value = self(p).head_->headers.back().value;
                while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
                    value.pop_back();
                return 0;
            };
            s.on_headers_complete = [](llhttp_t* p) {
                auto& me = self(p);
                auto& head = *me.head_;
                head.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
                head.version = p->http_major * 10u + p->http_minor;
                head.keep_alive = llhttp_should_keep_alive(p) != 0;
                head.chunked = (p->flags & F_CHUNKED) != 0;
                if (p->flags & F_CONTENT_LENGTH) head.content_length = p->content_length;
                auto expect = head.headers.get("expect");
                head.expect_continue =
                    expect && iequals(*expect, "100-continue") && head.version >= 11;
                me.in_body_ = true;
                me.event_ = event::head_complete;
                return static_cast<int>(HPE_PAUSED);
            };
            s.on_body = [](llhttp_t* p, const char* at, std::size_t n) {
                auto& me = self(p);
                if (!me.body_.empty()) return me.fail(500, "two body pieces in one step");
                me.body_ = std::string_view(at, n);
                return 0;
            };
            s.on_chunk_complete = [](llhttp_t* p) {
                auto& me = self(p);
                if (me.body_.empty()) return 0;
                me.event_ = event::body;
                return static_cast<int>(HPE_PAUSED);
            };
            s.on_message_complete = [](llhttp_t* p) {
                auto& me = self(p);
                me.in_body_ = false;
                me.event_ = event::message_complete;
                return static_cast<int>(HPE_PAUSED);
            };
            return s;
        }();
        return s;
    }

    llhttp_t parser_;
    request_head* head_;
    parser_limits limits_;
    event event_ = event::need_more;
    std::string_view body_;
    std::size_t head_bytes_ = 0;
    bool in_field_ = false;
    bool paused_ = false;
    bool in_body_ = false;
    int error_status_ = 0;
    const char* reason_ = "";
    struct {
        bool after_cr = false;
        bool line_start = true;
        unsigned lines = 0;
    } head_scan_;
};

} // namespace bareasio
