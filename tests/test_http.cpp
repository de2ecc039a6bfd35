// The HTTP layer without sockets: headers, URL decoding, the llhttp adapter
// (pipelined and split input, limits, smuggling defences), serialisation,
// readers and writers.
#include <bareasio/http.hpp>
#include <bareasio/http/cookies.hpp>
#include <bareasio/http/json.hpp>

#include "support/doctest.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

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

TEST_CASE("header_list: case-insensitive lookup keeps repeats and order") {
    header_list h{{"Content-Type", "text/plain"}, {"Set-Cookie", "a=1"}, {"set-cookie", "b=2"}};
    CHECK(h.get("content-type") == "text/plain");
    CHECK(h.get_all("SET-COOKIE") == std::vector<std::string_view>{"a=1", "b=2"});
    CHECK_FALSE(h.get("missing"));
    h.set("Set-Cookie", "c=3");
    CHECK(h.get_all("set-cookie") == std::vector<std::string_view>{"c=3"});
    CHECK(h.size() == 2);
    h.clear();
    CHECK(h.empty());
    h.add("x", "y");
    CHECK(h.get("X") == "y");
    CHECK(contains_token("keep-alive, Upgrade", "upgrade"));
    CHECK_FALSE(contains_token("keep-alive", "close"));
}

TEST_CASE("url: percent-decoding and query parameters") {
    CHECK(percent_decode("/a%20b/c") == "/a b/c");
    CHECK(percent_decode("a+b", true) == "a b");
    CHECK(percent_decode("a+b", false) == "a+b");
    CHECK_FALSE(percent_decode("%4"));
    CHECK_FALSE(percent_decode("%zz"));
    query_params q;
    REQUIRE(q.parse("name=J%C3%B6rg&tag=a&tag=b+c&flag"));
    CHECK(q.get("name") == "J\xC3\xB6rg");
    CHECK(q.get_all("tag") == std::vector<std::string_view>{"a", "b c"});
    CHECK(q.get("flag") == "");
    CHECK_FALSE(q.parse("bad=%G0"));
}

TEST_CASE("request: target split into decoded path and query") {
    request_head head;
    head.method = "GET";
    head.target = "/files/a%2Fb?x=1&y=two%20words#frag";
    request req(std::move(head));
    CHECK(req.path() == "/files/a/b");
    CHECK(req.raw_query() == "x=1&y=two%20words");
    CHECK(req.query().get("y") == "two words");
    request_head absolute;
    absolute.target = "http://example.com/p?q=1";
    CHECK(request(std::move(absolute)).path() == "/p");
    request_head bad;
    bad.target = "/%zz";
    CHECK_THROWS_AS(request(std::move(bad)), std::invalid_argument);
}

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
                              "POST /two HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                              "POST /three HTTP/1.1\r\nTransfer-Encoding: "
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
    REQUIRE(parser3.parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").what ==
            event_kind::head_complete);
    CHECK_FALSE(head3.keep_alive);
}

TEST_CASE("request_parser: malformed input and smuggling attempts are errors") {
    CHECK(parse_all("NOT HTTP\r\n\r\n", 100).error == 400);
    CHECK(
        parse_all("GET / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 100)
            .error == 400);
    CHECK(
        parse_all("GET / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 100).error ==
        400);
    CHECK(parse_all("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 100).error ==
          400);
    CHECK(parse_all("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", 100).error == 400);
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
    constexpr char nul_in_value[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
    CHECK(rejected(std::string(nul_in_value, sizeof nul_in_value - 1)));
    CHECK(rejected("GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n"));
    // A CR that does not end a line.
    CHECK(rejected("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"));
    CHECK(rejected("GET / HTTP/1.1\r\r\nX: a\r\n\r\n"));
    // Obsolete line folding, with a space or a tab, on any header line.
    CHECK(rejected("GET / HTTP/1.1\r\nX: a\r\n  folded\r\n\r\n"));
    CHECK(rejected("GET / HTTP/1.1\r\nX: a\r\nY: b\r\n\tfolded\r\n\r\n"));
    // Whitespace between the field name and the colon.
    CHECK(rejected("POST / HTTP/1.1\r\nContent-Length : 5\r\n\r\nhello"));
    // Transfer-Encoding that is not chunked last, or chunked twice.
    CHECK(rejected("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"));
    // Chunk sizes: not hex, overflowing, with a bare LF, and extension abuse.
    CHECK(
        rejected("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5g\r\nhello\r\n0\r\n\r\n"));
    CHECK(rejected("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "fffffffffffffffff\r\nx\r\n0\r\n\r\n"));
    CHECK(rejected("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"));
    CHECK(rejected(
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a\"b\r\nhello\r\n0\r\n\r\n"));
    // A chunk's data longer than its size.
    CHECK(rejected("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n"));
    // Content-Length that is not a number, or negative.
    CHECK(rejected("POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\nhello"));
    CHECK(rejected("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"));
}

TEST_CASE("request_parser: limits answer 431 and 414") {
    parser_limits small{.max_header_bytes = 64, .max_header_count = 2, .max_url_bytes = 16};
    CHECK(
        parse_all("GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n", 100, small).error ==
        431);
    CHECK(parse_all("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 100, small).error == 431);
    CHECK(parse_all("GET /" + std::string(40, 'u') + " HTTP/1.1\r\n\r\n", 100, small).error == 414);
}

TEST_CASE("serializer: fixed body with Content-Length, Date and a default type") {
    std::string out;
    response res{200, {{"x-a", "1"}}, text_writer("hi")};
    auto framing = write_head(out, res, "Sat, 21 Nov 2026 10:00:00 GMT", {});
    CHECK(framing == body_framing::length);
    CHECK(out == "HTTP/1.1 200 OK\r\nx-a: 1\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 "Date: Sat, 21 Nov 2026 10:00:00 GMT\r\nContent-Length: 2\r\n\r\n");
}

TEST_CASE("serializer: 204 has no body headers; HTTP/1.0 and close are explicit") {
    std::string out;
    CHECK(write_head(out, response(204), "D", {}) == body_framing::none);
    CHECK(out == "HTTP/1.1 204 No Content\r\nDate: D\r\n\r\n");
    out.clear();
    write_head(out, response(200), "D", {.version = 10, .keep_alive = true});
    CHECK(out.find("Connection: keep-alive\r\n") != std::string::npos);
    CHECK(out.find("Content-Length: 0\r\n") != std::string::npos);
    out.clear();
    write_head(out, response(404), "D", {.version = 11, .keep_alive = false});
    CHECK(out.find("Connection: close\r\n") != std::string::npos);
}

TEST_CASE("serializer: streams are chunked for HTTP/1.1 and close-delimited for 1.0") {
    auto body = stream_writer([](body_sink&) -> asio::awaitable<void> { co_return; });
    std::string out;
    CHECK(write_head(out, response(200, {}, body), "D", {.version = 11}) == body_framing::chunked);
    CHECK(out.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
    out.clear();
    CHECK(write_head(out, response(200, {}, body), "D", {.version = 10}) ==
          body_framing::until_close);
    CHECK(out.find("Connection: close\r\n") != std::string::npos);
    out.clear();
    write_chunk(out, "wiki");
    write_chunk(out, "");
    write_last_chunk(out);
    CHECK(out == "4\r\nwiki\r\n0\r\n\r\n");
}

TEST_CASE("serializer: handler values for managed headers are replaced; CRLF is refused") {
    std::string out;
    response res{200, {{"Content-Length", "999"}, {"Connection", "upgrade"}}, text_writer("abc")};
    write_head(out, res, "D", {});
    CHECK(out.find("999") == std::string::npos);
    CHECK(out.find("Content-Length: 3\r\n") != std::string::npos);
    out = "kept";
    response evil{200, {{"x", "a\r\nSet-Cookie: stolen"}}};
    CHECK_THROWS_AS(write_head(out, evil, "D", {}), std::invalid_argument);
    CHECK(out == "kept");
}

TEST_CASE("date_cache: IMF-fixdate") {
    date_cache dates;
    auto d = dates.get();
    CHECK(d.size() == 29);
    CHECK(d.substr(25) == " GMT");
    CHECK(d[3] == ',');
}

TEST_CASE("http dates: format and parse agree; other forms and garbage are refused") {
    CHECK(http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") ==
          std::optional<std::time_t>(784111777));
    CHECK(parse_http_date(http_date(1'795'000'000)) == std::optional<std::time_t>(1'795'000'000));
    CHECK_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT")); // RFC 850
    CHECK_FALSE(parse_http_date("Sun Nov  6 08:49:37 1994"));       // asctime
    CHECK_FALSE(parse_http_date("Sun, 06 Nox 1994 08:49:37 GMT"));
    CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"));
    CHECK_FALSE(parse_http_date("Sun, 0x Nov 1994 08:49:37 GMT"));
    CHECK_FALSE(parse_http_date(""));
}

TEST_CASE("cookies: request cookies are parsed leniently, the first of a repeated name wins") {
    request_head head;
    head.method = "GET";
    head.target = "/";
    head.headers.add("Cookie", "a=1; b=\"two\";  c = 3 ;flag; =nameless; a=shadowed");
    head.headers.add("cookie", "d=4=four");
    request req(std::move(head));
    auto jar = request_cookies(req);
    CHECK(jar.get("a") == std::optional<std::string_view>("1"));
    CHECK(jar.get("b") == std::optional<std::string_view>("two"));
    CHECK(jar.get("c") == std::optional<std::string_view>("3"));
    CHECK(jar.get("d") == std::optional<std::string_view>("4=four"));
    CHECK_FALSE(jar.contains("flag"));
    CHECK_FALSE(jar.contains("A")); // names are case-sensitive
    CHECK(jar.size() == 5);

    request_head none;
    none.method = "GET";
    none.target = "/";
    CHECK(request_cookies(request(std::move(none))).size() == 0);
}

TEST_CASE(
    "cookies: Set-Cookie with every attribute; unsafe names, values and attributes are refused") {
    using namespace std::chrono_literals;
    cookie full{.name = "session",
                .value = "abc123",
                .max_age = 3600s,
                .expires = std::chrono::system_clock::from_time_t(784111777),
                .path = "/app",
                .domain = "example.com",
                .secure = true,
                .http_only = true,
                .same_site = same_site_policy::strict};
    CHECK(format_set_cookie(full) ==
          "session=abc123; Max-Age=3600; Expires=Sun, 06 Nov 1994 08:49:37 GMT; "
          "Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=Strict");
    CHECK(format_set_cookie({.name = "x", .value = "", .same_site = same_site_policy::lax}) ==
          "x=; SameSite=Lax");

    response res;
    set_cookie(res, {.name = "a", .value = "1"});
    set_cookie(res,
               {.name = "b", .value = "2", .secure = true, .same_site = same_site_policy::none});
    delete_cookie(res, "old");
    auto all = res.headers.get_all("set-cookie");
    REQUIRE(all.size() == 3);
    CHECK(all[0] == "a=1");
    CHECK(all[1] == "b=2; Secure; SameSite=None");
    CHECK(all[2] == "old=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/");

    CHECK_THROWS_AS(format_set_cookie({.name = "a", .value = "x\r\nSet-Cookie: admin=1"}),
                    std::invalid_argument);
    CHECK_THROWS_AS(format_set_cookie({.name = "a", .value = "x; Domain=evil"}),
                    std::invalid_argument);
    CHECK_THROWS_AS(format_set_cookie({.name = "a", .value = "caf\xc3\xa9"}),
                    std::invalid_argument);
    CHECK_THROWS_AS(format_set_cookie({.name = "a b", .value = "1"}), std::invalid_argument);
    CHECK_THROWS_AS(format_set_cookie({.name = "", .value = "1"}), std::invalid_argument);
    CHECK_THROWS_AS(format_set_cookie({.name = "a", .value = "1", .path = "/; HttpOnly"}),
                    std::invalid_argument);
    CHECK_THROWS_AS(format_set_cookie({.name = "a", .value = "1", .domain = "x\ny"}),
                    std::invalid_argument);
    try {
        format_set_cookie({.name = "a", .value = "1", .same_site = same_site_policy::none});
        FAIL("SameSite=None without Secure was accepted");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()) == "cookie 'a': SameSite=None requires Secure");
    }
}

TEST_CASE("readers: text, bytes and JSON from a body stream, with the body limit") {
    asio::io_context ioc;
    std::string text;
    std::vector<std::byte> bytes;
    nlohmann::json value;
    int too_large = 0, bad_json = 0;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            string_body_source s1("hello world", 3);
            request r1(request_head{}, &s1);
            text = co_await text_reader(r1);

            string_body_source s2("ab");
            request r2(request_head{}, &s2);
            bytes = co_await bytes_reader(r2);

            string_body_source s3(R"({"message": "Hello, World!"})", 5);
            request r3(request_head{}, &s3);
            value = co_await json_reader(r3);

            string_body_source s4(std::string(100, 'x'), 7);
            request r4(request_head{}, &s4);
            r4.body().set_limit(50);
            try {
                co_await text_reader(r4);
            } catch (const http_error& e) {
                too_large = e.status();
            }

            string_body_source s5("{not json");
            request r5(request_head{}, &s5);
            try {
                co_await json_reader(r5);
            } catch (const http_error& e) {
                bad_json = e.status();
            }
        },
        asio::detached);
    ioc.run();
    CHECK(text == "hello world");
    CHECK(bytes.size() == 2);
    CHECK(value["message"] == "Hello, World!");
    CHECK(too_large == 413);
    CHECK(bad_json == 400);
}

TEST_CASE("writers: bodies and content types") {
    auto t = text_writer("x");
    CHECK(t.type() == body_writer::kind::buffer);
    CHECK(t.content_type() == "text/plain; charset=utf-8");
    auto j = json_writer({{"message", "Hello, World!"}});
    CHECK(j.data() == R"({"message":"Hello, World!"})");
    CHECK(j.content_type() == "application/json");
    auto s =
        stream_writer([](body_sink&) -> asio::awaitable<void> { co_return; }, "text/event-stream");
    CHECK(s.type() == body_writer::kind::stream);
    CHECK_FALSE(s.length());
}

TEST_CASE("shared_info: typed access with a clear error on the wrong type") {
    struct state {
        int n = 3;
    };
    auto info = shared_info::make(state{});
    CHECK(info.get<state>().n == 3);
    try {
        info.get<int>();
        FAIL("expected an error");
    } catch (const std::logic_error& e) {
        CHECK(std::string(e.what()).find("info<int>() but the application's info is a") !=
              std::string::npos);
    }
    CHECK_THROWS_AS(shared_info{}.get<int>(), std::logic_error);
}
