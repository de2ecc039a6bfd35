// request_parser: the llhttp adapter. It parses requests incrementally from
// whatever bytes have arrived, into a request_head the caller owns, and stops
// at each point the server acts on: the end of the head, each piece of body,
// the end of the message. Body pieces are views into the caller's buffer.
//     request_parser parser(head, config.limits());
//     auto step = parser.parse(bytes); // step.what, step.consumed, step.body
// llhttp (built with LLHTTP_STRICT_MODE) runs with no lenient flag set, so
// Content-Length with Transfer-Encoding, duplicate lengths, bad chunk sizes
// and control bytes in headers are errors (answered 400). It still accepts
// a bare LF ending the request line and obsolete line folding (RFC 9112
// lets a server reject both, and proxies disagree on them, which is what
// smuggling feeds on): the adapter scans the head bytes llhttp consumed and
// rejects those too. It also enforces RFC 9112 §3.2: an HTTP/1.1 request
// without Host, or any request with two Host fields or an invalid one, is
// a 400. An Upgrade is ignored (the connection goes on in HTTP/1.1) and a
// CONNECT is a 501: the server is not a proxy. The rest of RFC 9112 it
// checks itself: an empty field name is a 400; a transfer coding other than
// chunked (`gzip, chunked`) is a 501; HTTP/0.9 is a 400, a major version
// other than 1 a 505, and a later HTTP/1 minor version (HTTP/1.2) is served
// as HTTP/1.1 (RFC 9110 §2.5); chunk-size lines are parsed here (llhttp 8 rejects
// valid extensions such as `5 ;a=b` and `5;a=b;q="x y"`), with extensions
// checked against the grammar and dropped; trailer fields are checked as
// head fields are (folding is a 400) and dropped, so the head a handler
// reads never changes under it.
// This header does not include <llhttp.h> (whose C enums and macros, such as
// HTTP_GET, would land in every user's translation unit): the parser's state
// is opaque storage here, and its code is compiled once with llhttp
// (impl/request_parser.ipp, built into meson's bareasio_llhttp library).
// Thread safety: one parser per connection.
#pragma once

#include <bareasio/http/limits.hpp>
#include <bareasio/http/request.hpp>

#include <cstddef>
#include <string_view>

namespace bareasio {

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

    explicit request_parser(request_head& head, parser_limits limits = {});
    request_parser(const request_parser&) = delete;
    request_parser& operator=(const request_parser&) = delete;

    // Parses from the start of `data`, stopping after the next event.
    step parse(std::string_view data);

    // The status a malformed request gets: 400, 414, 431, 501 (CONNECT, a
    // transfer coding) or 505.
    int error_status() const noexcept { return error_status_; }
    std::string_view error_reason() const noexcept { return reason_; }

    // True between the end of a head and the end of its message.
    bool in_body() const noexcept { return part_ != part::head; }

private:
    friend struct request_parser_callbacks; // llhttp's callbacks, in the .ipp

    bool scan_head(std::string_view bytes) noexcept;
    std::size_t feed_request_line(std::string_view rest);
    bool feed_head(std::string_view bytes, std::string_view as);
    step reject_framing();
    step reject(int status, const char* reason);
    std::size_t feed_chunk_line(std::string_view bytes);
    bool chunk_line_byte(char c) noexcept;
    void start_chunk_line() noexcept {
        chunk_line_ = chunk_line::size_first;
        chunk_line_bytes_ = 0;
    }
    step llhttp_failed();
    int fail(int status, const char* reason);
    int count_head_bytes(std::size_t n);

    // llhttp_t, opaque here (the .ipp checks that it fits).
    alignas(8) unsigned char llhttp_[128];
    request_head* head_;
    parser_limits limits_;
    event event_ = event::need_more;
    std::string_view body_;
    std::size_t head_bytes_ = 0;
    std::size_t field_bytes_ = 0; // of the field name being parsed
    bool in_field_ = false;
    unsigned hosts_ = 0;           // Host fields in the head
    std::size_t expect_field_ = 0; // 1 + the index of the first Expect field; 0: none
    std::size_t host_field_ = 0;   // the index of the last one
    bool paused_ = false;
    // Where in the message the parser is; changed by the llhttp callbacks.
    enum class part : unsigned char { head, body, trailers };
    part part_ = part::head;
    bool last_chunk_ = false; // the chunk-size line read was 0
    // A chunk-size line, parsed here byte by byte (RFC 9112 §7.1.1); llhttp
    // is given its size digits and CRLF. `none` between lines.
    enum class chunk_line : unsigned char {
        none,
        size_first,
        size,
        before_semicolon,
        before_name,
        name,
        after_name,
        before_value,
        token_value,
        quoted_value,
        quoted_pair,
        after_value,
        lf
    };
    chunk_line chunk_line_ = chunk_line::none;
    std::size_t chunk_line_bytes_ = 0;
    int error_status_ = 0;
    const char* reason_ = "";
    struct {
        bool after_cr = false;
        bool line_start = true;
        unsigned lines = 0;
        bool version_checked = false; // the request line was whole (see feed_request_line)
    } head_scan_;
};

} // namespace bareasio
