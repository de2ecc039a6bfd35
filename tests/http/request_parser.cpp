// request_parser: the llhttp adapter: heads, pipelined and split input,
// limits, and the framing tricks behind request smuggling.
#include <bareasio/http/request_parser.hpp>

#include "../support/doctest.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace bareasio;
using event_kind = request_parser::event;

namespace {

// Feeds `input` in pieces of `piece` bytes and collects what the parser saw.
struct parsed {
    std::vector<std::string> targets;
    std::vector<std::string> bodies;
    int error = 0;
};

parsed parse_all(std::string_view input, std::size_t piece, parser_limits limits = {}) {
    request_head head;
    request_parser parser(head, limits);
    parsed out;
    std::string pending; // bytes given but not consumed, as a connection keeps them
    std::string body;
    std::size_t fed = 0;
    while (true) {
        if (fed < input.size()) {
            auto n = std::min(piece, input.size() - fed);
            pending.append(input.substr(fed, n));
            fed += n;
        }
        for (;;) {
            auto step = parser.parse(pending);
            std::string_view body_piece = step.body;
            std::string piece_copy(body_piece);
            pending.erase(0, step.consumed);
            if (step.what == event_kind::error) {
                out.error = parser.error_status();
                return out;
            }
            body += piece_copy;
            if (step.what == event_kind::head_complete) out.targets.push_back(head.target);
            if (step.what == event_kind::message_complete)
                out.bodies.push_back(std::exchange(body, {}));
            if (step.what == event_kind::need_more) break;
        }
        if (fed == input.size()) return out;
    }
}

} // namespace

TEST_CASE("request_parser: a request's head, headers and flags") {
    request_head head;
    request_parser parser(head);
    std::string_view input = "POST /x?a=1 HTTP/1.1\r\nHost: h\r\nX-Pad:  v  \r\n"
                             "Content-Length: 5\r\nExpect: 100-continue\r\n\r\nhello";
    auto step = parser.parse(input);
    REQUIRE(step.what == event_kind::head_complete);
    CHECK(head.method == "POST");
    CHECK(head.target == "/x?a=1");
    CHECK(head.version == 11);
    CHECK(head.headers.get("x-pad") == "v");
    CHECK(head.content_length == 5u);
    CHECK(head.expect_continue);
    CHECK(head.keep_alive);
    input.remove_prefix(step.consumed);
    step = parser.parse(input);
    CHECK(step.what == event_kind::message_complete);
    CHECK(step.body == "hello");
}

TEST_CASE("request_parser: pipelined requests, whole and split at every size") {
    const std::string input = "GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
                              "POST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                              "POST /three HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
                              "chunked\r\n\r\n4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n"
                              "GET /four HTTP/1.0\r\n\r\n";
    for (std::size_t piece :
         {input.size(), std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{64}}) {
        CAPTURE(piece);
        auto out = parse_all(input, piece);
        CHECK(out.error == 0);
        CHECK(out.targets == std::vector<std::string>{"/one", "/two", "/three", "/four"});
        CHECK(out.bodies == std::vector<std::string>{"", "abc", "wikipedia", ""});
    }
}

TEST_CASE("request_parser: HTTP/1.0 and Connection: close turn keep-alive off") {
    request_head head;
    request_parser parser(head);
    REQUIRE(parser.parse("GET / HTTP/1.0\r\n\r\n").what == event_kind::head_complete);
    CHECK(head.version == 10);
    CHECK_FALSE(head.keep_alive);
    request_head head2;
    request_parser parser2(head2);
    REQUIRE(parser2.parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").what ==
            event_kind::head_complete);
    CHECK(head2.keep_alive);
    request_head head3;
    request_parser parser3(head3);
    REQUIRE(parser3.parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").what ==
            event_kind::head_complete);
    CHECK_FALSE(head3.keep_alive);
}

TEST_CASE("request_parser: malformed input and smuggling attempts are errors") {
    CHECK(parse_all("NOT HTTP\r\n\r\n", 100).error == 400);
    CHECK(
        parse_all(
            "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            100)
            .error == 400);
    CHECK(parse_all("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
                    100)
              .error == 400);
    CHECK(parse_all("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 100)
              .error == 400);
    CHECK(parse_all("GET / HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n", 100).error == 400);
}

TEST_CASE("request_parser: framing tricks behind request smuggling are 400") {
    auto rejected = [](std::string_view raw) {
        for (std::size_t piece : {std::size_t{1}, std::size_t{7}, raw.size()}) {
            const auto out = parse_all(raw, piece);
            if (out.error != 400) return false; // also split, as a slow client sends it
        }
        return true;
    };
    // Bare LF instead of CRLF, in the request line and in a header.
    CHECK(rejected("GET / HTTP/1.1\nHost: t\r\n\r\n"));
    CHECK(rejected("GET / HTTP/1.1\r\nHost: t\nX: y\r\n\r\n"));
    // NUL and other control bytes in a header value.
    constexpr char nul_in_value[] = "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n";
    CHECK(rejected(std::string(nul_in_value, sizeof nul_in_value - 1)));
    CHECK(rejected("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n"));
    // A CR that does not end a line.
    CHECK(rejected("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n"));
    CHECK(rejected("GET / HTTP/1.1\r\r\nX: a\r\n\r\n"));
    // Obsolete line folding, with a space or a tab, on any header line.
    CHECK(rejected("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  folded\r\n\r\n"));
    CHECK(rejected("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\nY: b\r\n\tfolded\r\n\r\n"));
    // Whitespace between the field name and the colon.
    CHECK(rejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length : 5\r\n\r\nhello"));
    // Transfer-Encoding that is not chunked last, or chunked twice.
    CHECK(rejected(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"));
    // Chunk sizes: not hex, overflowing, with a bare LF, and extension abuse.
    CHECK(rejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
                   "chunked\r\n\r\n5g\r\nhello\r\n0\r\n\r\n"));
    CHECK(rejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "fffffffffffffffff\r\nx\r\n0\r\n\r\n"));
    CHECK(rejected(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"));
    CHECK(rejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
                   "chunked\r\n\r\n5;a\"b\r\nhello\r\n0\r\n\r\n"));
    // A chunk's data longer than its size.
    CHECK(rejected(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n"));
    // Content-Length that is not a number, or negative.
    CHECK(rejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5x\r\n\r\nhello"));
    CHECK(rejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"));
}

TEST_CASE("request_parser: limits answer 431 and 414") {
    parser_limits small{.max_header_bytes = 64, .max_header_count = 2, .max_url_bytes = 16};
    CHECK(parse_all("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(100, 'a') + "\r\n\r\n", 100,
                    small)
              .error == 431);
    CHECK(
        parse_all("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 100, small).error ==
        431);
    CHECK(parse_all("GET /" + std::string(40, 'u') + " HTTP/1.1\r\nHost: h\r\n\r\n", 100, small)
              .error == 414);
}

TEST_CASE("request_parser: Host is required in HTTP/1.1, once, and valid (RFC 9112 section 3.2)") {
    auto status = [](const std::string& head) { return parse_all(head, 1000).error; };
    CHECK(status("GET / HTTP/1.1\r\n\r\n") == 400);
    CHECK(status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400);
    CHECK(status("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n") == 400);
    CHECK(status("GET / HTTP/1.1\r\nHost: a b\r\n\r\n") == 400);
    CHECK(status("GET / HTTP/1.1\r\nHost: a/b@c\r\n\r\n") == 400);
    CHECK(status("GET / HTTP/1.1\r\nHost: example.com:x\r\n\r\n") == 400);
    CHECK(status("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n") == 400);
    CHECK(status("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n") == 400);
    CHECK(status("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n") == 400);
    for (std::string host : {"example.com", "example.com:8080", "127.0.0.1:80", "[::1]:9009",
                             "[2001:db8::1]", "", "a_b.local", "%41.example"}) {
        CAPTURE(host);
        CHECK(status("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n") == 0);
    }
    CHECK(status("GET / HTTP/1.1\r\nhOsT: a\r\n\r\n") == 0);
    CHECK(status("GET / HTTP/1.0\r\n\r\n") == 0); // HTTP/1.0 without Host stays allowed
}

namespace {

// The status at every split (whole, byte by byte, in 7s): 0 when accepted.
int status_at_every_split(std::string_view raw) {
    int status = -1;
    for (std::size_t piece : {raw.size(), std::size_t{1}, std::size_t{7}}) {
        const int now = parse_all(raw, piece).error;
        if (status != -1 && now != status) return -2; // depends on how it arrives: a bug
        status = now;
    }
    return status;
}

std::string chunked_post(std::string_view chunks) {
    return "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(chunks);
}

} // namespace

TEST_CASE("request_parser: RFC 9112 strictness: codings, field names, versions") {
    // A transfer coding the server does not decode is 501 (RFC 9112 section 6.1).
    CHECK(status_at_every_split(
              "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n") ==
          501);
    CHECK(status_at_every_split("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity, "
                                "chunked\r\n\r\n0\r\n\r\n") == 501);
    CHECK(status_at_every_split("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 501);
    CHECK(status_at_every_split("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400);
    CHECK(status_at_every_split(
              "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n") == 0);
    // An empty field name.
    CHECK(status_at_every_split("GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n") == 400);
    CHECK(status_at_every_split("GET / HTTP/1.1\r\n: v\r\nHost: h\r\n\r\n") == 400);
    // Versions: 2.0 on an HTTP/1 connection is 505; HTTP/0.9 is 400.
    CHECK(status_at_every_split("GET / HTTP/2.0\r\nHost: h\r\n\r\n") == 505);
    CHECK(status_at_every_split("GET /\r\n\r\n") == 400);
    CHECK(status_at_every_split("GET / HTTP/0.9\r\n\r\n") == 400);
    CHECK(status_at_every_split("GET / HTTP/1.0\r\n\r\n") == 0);
}

TEST_CASE("request_parser: a later HTTP/1 minor version is HTTP/1.1, another major 505 (RFC 9110 "
          "section 2.5)") {
    for (const std::string_view version : {"1.2", "1.9"}) {
        CAPTURE(version);
        const std::string request = "GET /v HTTP/" + std::string(version) +
                                    "\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n";
        CHECK(status_at_every_split(request) == 0);
        for (std::size_t piece = 1; piece <= request.size(); ++piece) {
            const parsed out = parse_all(request, piece);
            CHECK(out.error == 0);
            CHECK(out.targets == std::vector<std::string>{"/v", "/next"});
        }
        request_head head;
        request_parser parser(head);
        const std::string one = "GET / HTTP/" + std::string(version) + "\r\nHost: h\r\n\r\n";
        CHECK(parser.parse(one).what == event_kind::head_complete);
        CHECK(head.version == 11);
        CHECK(head.keep_alive);
    }
    CHECK(status_at_every_split("GET / HTTP/3.0\r\nHost: h\r\n\r\n") == 505);
    CHECK(status_at_every_split("GET / HTTP/9.9\r\nHost: h\r\n\r\n") == 505);
    // Not versions at all stay malformed.
    CHECK(status_at_every_split("GET / HTTP/1.x\r\nHost: h\r\n\r\n") == 400);
    CHECK(status_at_every_split("GET / HTTQ/1.2\r\nHost: h\r\n\r\n") == 400);
    CHECK(status_at_every_split("GET / HTTP/1.2 \r\nHost: h\r\n\r\n") == 400);
}

TEST_CASE("request_parser: valid chunk extensions are accepted and dropped, at every split") {
    for (std::string ext : {";a", ";a=b", " ;a=b", "\t; a = b", ";a=b;c", ";a=b;q=\"x y\"",
                            ";q=\"with \\\"escaped\\\" quotes\"", ";a=b ;c=\"\"", ";q=\"\" "}) {
        CAPTURE(ext);
        const auto raw = chunked_post("5" + ext + "\r\nhello\r\n0" + ext + "\r\n\r\n");
        for (std::size_t piece : {raw.size(), std::size_t{1}, std::size_t{3}}) {
            const auto out = parse_all(raw, piece);
            CHECK(out.error == 0);
            CHECK(out.bodies == std::vector<std::string>{"hello"});
        }
    }
    for (std::string bad :
         {"5 \r\n", "5;\r\n", "5;=b\r\n", "5;a=\r\n", "5;a b\r\n", "5 5\r\n", ";a\r\n",
          "5;a=\"b\r\n", "5;a=b\"c\"\r\n", "5;a=\"\x01\"\r\n", "5;a\n", "5;a\rx\n"}) {
        CAPTURE(bad);
        CHECK(status_at_every_split(chunked_post(bad + "hello\r\n0\r\n\r\n")) == 400);
    }
    // A chunk-size line is bounded, as a head is.
    CHECK(status_at_every_split(
              chunked_post("5;a=" + std::string(5000, 'x') + "\r\nhello\r\n0\r\n\r\n")) == 400);
}

TEST_CASE("request_parser: trailers are checked as a head is, then dropped") {
    request_head head;
    request_parser parser(head);
    std::string pending = chunked_post("5\r\nhello\r\n0\r\nX-Trailer: t\r\nY: u\r\n\r\n");
    std::vector<event_kind> seen;
    for (int i = 0; i < 10 && !pending.empty(); ++i) {
        const auto step = parser.parse(pending);
        pending.erase(0, step.consumed);
        seen.push_back(step.what);
    }
    CHECK(seen.back() == event_kind::message_complete);
    CHECK(head.headers.size() == 2); // Host and Transfer-Encoding: the head a handler read
    CHECK_FALSE(head.headers.contains("x-trailer"));
    // Folding, an empty name, a bare LF and a bad name in trailers are 400.
    CHECK(status_at_every_split(chunked_post("0\r\nX: a\r\n b\r\n\r\n")) == 400);
    CHECK(status_at_every_split(chunked_post("0\r\n X: a\r\n\r\n")) == 400);
    CHECK(status_at_every_split(chunked_post("0\r\n: a\r\n\r\n")) == 400);
    CHECK(status_at_every_split(chunked_post("0\r\nX: a\n\r\n")) == 400);
    CHECK(status_at_every_split(chunked_post("0\r\nX Y: a\r\n\r\n")) == 400);
    // Trailers count against the head's byte limit.
    parser_limits small{.max_header_bytes = 128, .max_header_count = 10, .max_url_bytes = 64};
    CHECK(parse_all(chunked_post("0\r\nX: " + std::string(200, 'a') + "\r\n\r\n"), 1000, small)
              .error == 431);
    // And a request after trailers parses from a fresh head.
    const auto two =
        chunked_post("1\r\na\r\n0\r\nX: t\r\n\r\n") + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
    for (std::size_t piece : {two.size(), std::size_t{1}}) {
        const auto out = parse_all(two, piece);
        CHECK(out.error == 0);
        CHECK(out.targets == std::vector<std::string>{"/", "/next"});
    }
}
