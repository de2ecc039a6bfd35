// The connection on the in-memory stream (bareasio::testing::stream), with
// its production read and write paths: every response is compared byte for
// byte (Date lines masked after a check of their form), time passes only
// when a test sweeps, and back-pressure is a buffer limit, not a sleep.
#include <bareasio/server/connection.hpp>

#include "../support/apps.hpp"
#include "../support/doctest.hpp"
#include "../support/memory_server.hpp"

#include <bareasio/http/json.hpp>

#include <asio/compose.hpp>

#include <string>
#include <string_view>
#include <utility>

using namespace bareasio;
using namespace std::chrono_literals;
using test::get;
using test::post;
using test::read_all;
using test::test_app;
using test::without_dates;

namespace {

// A response as the server writes it: status line, the handler's headers,
// Content-Type, Date, Content-Length, Connection, then the body.
std::string response_bytes(std::string_view status_line, std::string_view body,
                           std::string_view connection = "", std::string_view headers = "",
                           std::string_view type = "text/plain; charset=utf-8") {
    std::string out = "HTTP/1.1 " + std::string(status_line) + "\r\n" + std::string(headers);
    if (!type.empty()) out += "Content-Type: " + std::string(type) + "\r\n";
    out += "Date: *\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    if (!connection.empty()) out += "Connection: " + std::string(connection) + "\r\n";
    return out + "\r\n" + std::string(body);
}

std::string ok(std::string_view body, std::string_view connection = "") {
    return response_bytes("200 OK", body, connection);
}

// The server's own error responses: the message as the body, and close.
std::string error_bytes(std::string_view status_line, std::string_view message) {
    return response_bytes(status_line, std::string(message) + "\n", "close");
}

} // namespace

TEST_CASE("keep-alive: each response is exact, and the connection stays open") {
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect();
    for (std::string word : {"a", "bb", "ccc"}) {
        client.send(get("/echo/" + word));
        server.poll();
        CHECK(without_dates(client.received()) == ok(word));
    }
    CHECK(server.connections() == 1);
    CHECK_FALSE(client.peer_closed());
}

TEST_CASE("pipelining: 16 requests that arrive together are answered together, in order") {
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect();
    std::string batch, expected;
    for (int i = 0; i < 16; ++i) {
        batch += get("/echo/r" + std::to_string(i));
        expected += ok("r" + std::to_string(i));
    }
    client.send(batch);
    server.poll();
    CHECK(without_dates(client.received()) == expected);
}

TEST_CASE("a response larger than the client takes at once: the rest leaves as it reads") {
    application app;
    std::string big(1024 * 1024, '\0');
    for (std::size_t i = 0; i < big.size(); ++i)
        big[i] = static_cast<char>('a' + i % 23);
    app.http_router.add({"GET"}, "/big", [&](request&) -> awaitable<response> {
        co_return response{200, {}, text_writer(big)};
    });
    test_app(app);
    test::memory_server server(app);
    auto client = server.connect([](testing::stream& s) { s.buffer_limit(64 * 1024); });
    client.send(get("/big") + get("/echo/small"));
    server.poll();
    CHECK(client.available() == 64 * 1024); // the direct write took what fits; the rest waits
    const std::string got = read_all(server, client);
    CHECK(without_dates(got) == ok(big) + ok("small"));
}

TEST_CASE("a request that arrives one byte at a time is parsed") {
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect();
    for (char c : post("/upload", "hello world")) {
        client.send(std::string_view(&c, 1));
        server.poll();
    }
    CHECK(without_dates(client.received()) == ok("11:hello world"));
}

TEST_CASE("an idle connection's next request, longer than its first read, arrives whole or in "
          "parts") {
    // An idle connection reads a request's first bytes into its output
    // queue's storage (as large as its last response, at most 2 KiB), then
    // the rest into a read buffer.
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect();
    client.send(get("/echo/a"));
    server.poll();
    CHECK(without_dates(client.received()) == ok("a"));

    const std::string body(3000, 'b');
    const std::string upload = post("/upload", body, "X-Pad: " + std::string(5000, 'p') + "\r\n");
    client.send(upload);
    server.poll();
    CHECK(without_dates(client.received()) == ok("3000:" + body));
    for (std::size_t split : {1, 100, 2048, 2049}) {
        CAPTURE(split);
        client.send(std::string_view(upload).substr(0, split));
        server.poll();
        CHECK(client.available() == 0);
        client.send(std::string_view(upload).substr(split));
        server.poll();
        CHECK(without_dates(client.received()) == ok("3000:" + body));
    }
}

TEST_CASE("small reads and writes: the server's stream gives one byte at a time each way") {
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect([](testing::stream& s) {
        s.read_size(1);
        s.write_size(1);
    });
    client.send(post("/upload", "abc") + get("/echo/next"));
    CHECK(without_dates(read_all(server, client)) == ok("3:abc") + ok("next"));
}

TEST_CASE("HTTP/1.0: closed after the response unless kept alive") {
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect();
    client.send("GET /echo/old HTTP/1.0\r\n\r\n");
    server.poll();
    CHECK(without_dates(client.received()) == ok("old", "close"));
    CHECK(client.peer_closed());

    auto kept = server.connect();
    kept.send("GET /echo/one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    server.poll();
    CHECK(without_dates(kept.received()) == ok("one", "keep-alive"));
    kept.send("GET /echo/two HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    server.poll();
    CHECK(without_dates(kept.received()) == ok("two", "keep-alive"));
}

TEST_CASE("Connection: close from the client: closed after the response") {
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect();
    client.send(get("/echo/bye", "Connection: close\r\n") + get("/echo/never"));
    server.poll();
    CHECK(without_dates(client.received()) == ok("bye", "close"));
    CHECK(client.peer_closed());
}

TEST_CASE("chunked request bodies are read, and the connection stays in step") {
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect();
    client.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                "4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n" +
                get("/echo/after"));
    server.poll();
    CHECK(without_dates(client.received()) == ok("9:wikipedia") + ok("after"));
}

TEST_CASE("Expect: 100-continue: the 100 is sent only when the handler reads the body") {
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect();
    client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: "
                "100-continue\r\n\r\n");
    server.poll();
    CHECK(client.received() == "HTTP/1.1 100 Continue\r\n\r\n");
    client.send("hello");
    server.poll();
    CHECK(without_dates(client.received()) == ok("5:hello"));

    auto ignoring = server.connect();
    ignoring.send("POST /ignore-body HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: "
                  "100-continue\r\n\r\n");
    server.poll();
    CHECK(without_dates(ignoring.received()) == response_bytes("405 Method Not Allowed",
                                                               "Method Not Allowed\n", "close",
                                                               "allow: GET, HEAD\r\n"));
    CHECK(ignoring.peer_closed());
}

TEST_CASE("an unread body is drained so the next request parses") {
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect();
    client.send("GET /ignore-body HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nxxxxx" +
                get("/echo/next"));
    server.poll();
    CHECK(without_dates(client.received()) ==
          "HTTP/1.1 200 OK\r\nDate: *\r\nContent-Length: 0\r\n\r\n" + ok("next"));
}

TEST_CASE("404, 405 with Allow, and HEAD: the headers GET would get, without the body") {
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect();
    client.send(get("/nowhere") + "DELETE /echo/x HTTP/1.1\r\nHost: t\r\n\r\n" +
                "HEAD /echo/abc HTTP/1.1\r\nHost: t\r\n\r\n" + get("/echo/in-step"));
    server.poll();
    CHECK(without_dates(client.received()) ==
          response_bytes("404 Not Found", "Not Found\n") +
              response_bytes("405 Method Not Allowed", "Method Not Allowed\n", "",
                             "allow: GET, HEAD\r\n") +
              ok("abc").substr(0, ok("abc").size() - 3) + ok("in-step"));
}

TEST_CASE("RFC 9112 strictness on the wire: 501 for a coding, 505 for HTTP/2.0, 400 for "
          "HTTP/0.9; chunk extensions pass and a fragment is not part of the path") {
    application app;
    test::memory_server server(test_app(app));
    const std::tuple<std::string, std::string, std::string> refused[] = {
        {"POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
         "501 Not Implemented", "a transfer coding other than chunked"},
        {"GET / HTTP/2.0\r\nHost: t\r\n\r\n", "505 HTTP Version Not Supported",
         "only HTTP/1.0 and HTTP/1.1 are supported"},
        {"GET /\r\n\r\n", "400 Bad Request", "HTTP/0.9 requests are not supported"},
        {"GET / HTTP/1.1\r\nHost: t\r\n: v\r\n\r\n", "400 Bad Request", "empty header field name"},
    };
    for (const auto& [request_bytes, status, reason] : refused) {
        const std::string& request = request_bytes;
        CAPTURE(request);
        auto client = server.connect();
        client.send(request);
        server.poll();
        CHECK(without_dates(client.received()) == error_bytes(status, reason));
        CHECK(client.peer_closed());
    }
    auto client = server.connect();
    client.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5 ;a=b\r\nhello\r\n6;a=b;q=\"x y\"\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n" +
                get("/echo/frag#part"));
    server.poll();
    CHECK(without_dates(client.received()) == ok("11:hello world") + ok("frag"));
    CHECK_FALSE(client.peer_closed());
}

TEST_CASE("malformed requests get 400 and the connection is closed") {
    application app;
    test::memory_server server(test_app(app));
    const std::pair<std::string, std::string> cases[] = {
        {"THIS IS NOT HTTP\r\n\r\n", "Invalid method encountered"},
        {"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: "
         "chunked\r\n\r\n0\r\n\r\n",
         "Content-Length can't be present with Transfer-Encoding"},
        {"GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n folded\r\n\r\n",
         "bare LF or obsolete line folding in the request head or trailers"},
        {"GET / HTTP/1.1\nHost: t\r\n\r\n",
         "bare LF or obsolete line folding in the request head or trailers"},
    };
    for (const auto& [request_bytes, reason] : cases) {
        const std::string& request = request_bytes; // a lambda below names it (clang 14)
        CAPTURE(request);
        auto client = server.connect();
        client.send(request + get("/echo/never"));
        server.poll();
        CHECK(without_dates(client.received()) == error_bytes("400 Bad Request", reason));
        CHECK(client.peer_closed());
    }
    auto bad_target = server.connect();
    bad_target.send(get("/echo/%zz"));
    server.poll();
    CHECK(without_dates(bad_target.received()) ==
          error_bytes("400 Bad Request", "malformed request target"));
}

TEST_CASE("Host: an HTTP/1.1 request without one, with two or with an invalid one gets 400 and "
          "the connection closes") {
    application app;
    test::memory_server server(test_app(app));
    for (const char* head :
         {"GET /echo/a HTTP/1.1\r\n\r\n", "GET /echo/a HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n",
          "GET /echo/a HTTP/1.1\r\nHost: a b\r\n\r\n",
          "GET /echo/a HTTP/1.1\r\nHost: a/b@c\r\n\r\n"}) {
        CAPTURE(head);
        auto client = server.connect();
        client.send(std::string(head) + get("/echo/never"));
        server.poll();
        CHECK(without_dates(client.received()) ==
              error_bytes("400 Bad Request", "missing, repeated or invalid Host header"));
        CHECK(client.peer_closed());
    }
    auto old = server.connect(); // HTTP/1.0 without Host is fine
    old.send("GET /echo/old HTTP/1.0\r\n\r\n");
    server.poll();
    CHECK(without_dates(old.received()) == ok("old", "close"));
}

TEST_CASE("an Upgrade the server does not take is ignored and the connection goes on; CONNECT is "
          "refused with 501 and the connection closes") {
    application app;
    test::memory_server server(test_app(app));
    auto h2c = server.connect(); // what curl --http2 sends over plain HTTP
    h2c.send("GET /echo/a HTTP/1.1\r\nHost: t\r\nConnection: Upgrade, HTTP2-Settings\r\n"
             "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n" +
             get("/echo/b"));
    server.poll();
    CHECK(without_dates(h2c.received()) == ok("a") + ok("b"));
    CHECK_FALSE(h2c.peer_closed());

    auto with_body = server.connect();
    with_body.send("POST /upload HTTP/1.1\r\nHost: t\r\nConnection: upgrade\r\nUpgrade: foo\r\n"
                   "Content-Length: 3\r\n\r\nabc" +
                   get("/echo/c"));
    server.poll();
    CHECK(without_dates(with_body.received()) == ok("3:abc") + ok("c"));

    auto tunnel = server.connect();
    tunnel.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01");
    server.poll();
    CHECK(without_dates(tunnel.received()) ==
          error_bytes("501 Not Implemented", "CONNECT is not supported here"));
    CHECK(tunnel.peer_closed());
}

TEST_CASE("limits: 431, 414, 413 for a chunked body; a head larger than the read buffer parses") {
    application app;
    test::memory_server server(test_app(app), {.max_header_bytes = 512,
                                               .max_header_count = 8,
                                               .max_url_bytes = 64,
                                               .max_body_bytes = 16});
    auto answer = [&](const std::string& raw) {
        auto client = server.connect();
        client.send(raw);
        server.poll();
        std::string got = without_dates(client.received());
        CHECK(client.peer_closed());
        return got;
    };
    CHECK(answer("GET / HTTP/1.1\r\nX: " + std::string(600, 'a') + "\r\n\r\n") ==
          error_bytes("431 Request Header Fields Too Large",
                      "request head larger than the configured limit"));
    std::string many = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 9; ++i)
        many += "H" + std::to_string(i) + ": v\r\n";
    CHECK(answer(many + "\r\n") == error_bytes("431 Request Header Fields Too Large",
                                               "more header fields than the configured limit"));
    CHECK(answer(get("/" + std::string(80, 'u'))) ==
          error_bytes("414 URI Too Long", "request target longer than the configured limit"));
    CHECK(answer("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "10\r\n0123456789abcdef\r\n5\r\nmore!\r\n0\r\n\r\n") ==
          error_bytes("413 Content Too Large", "request body larger than 16 bytes"));

    // A head larger than the read buffer still parses: the parser copies
    // the head as it goes, so only max_header_bytes bounds it.
    test::memory_server small(app, {.read_buffer_bytes = 256});
    auto client = small.connect();
    client.send(get("/echo/long", "X: " + std::string(300, 'a') + "\r\n"));
    small.poll();
    CHECK(without_dates(client.received()) == ok("long"));
}

TEST_CASE("a throwing handler becomes a 500 without details; http_error its status") {
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect();
    client.send(get("/boom") + get("/teapot") + get("/echo/alive"));
    server.poll();
    CHECK(without_dates(client.received()) ==
          response_bytes("500 Internal Server Error", "Internal Server Error\n") +
              response_bytes("418 I'm a teapot", "short and stout\n") + ok("alive"));
}

TEST_CASE("a streaming writer is sent chunked") {
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect();
    client.send(get("/stream") + get("/echo/next"));
    server.poll();
    CHECK(without_dates(client.received()) ==
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: *\r\nTransfer-Encoding: "
          "chunked\r\n\r\n6\r\npart0;\r\n6\r\npart1;\r\n6\r\npart2;\r\n0\r\n\r\n" +
              ok("next"));
}

TEST_CASE("body over the limit: 413, and the rest is not read") {
    application app;
    test::memory_server server(test_app(app), {.max_body_bytes = 8});
    auto client = server.connect();
    client.send(post("/upload", "123456789"));
    server.poll();
    CHECK(without_dates(client.received()) ==
          error_bytes("413 Content Too Large", "request body larger than 8 bytes"));
    CHECK(client.peer_closed());
}

TEST_CASE("timeouts: a head not complete in header_timeout gets 408; an idle connection closes "
          "after keep_alive_timeout") {
    application app;
    test::memory_server server(test_app(app), {.header_timeout = 2s, .keep_alive_timeout = 1s});
    auto slowloris = server.connect();
    slowloris.send("GET / HTTP/1.1\r\nHost: t\r\n"); // and nothing more
    server.sweep(1500ms);                            // past keep-alive, not yet the header timeout
    CHECK(slowloris.available() == 0);
    server.sweep(2500ms);
    CHECK(without_dates(slowloris.received()) ==
          error_bytes("408 Request Timeout", "request head not received in time"));
    CHECK(slowloris.peer_closed());

    auto idle = server.connect();
    idle.send(get("/echo/x"));
    server.poll();
    CHECK(without_dates(idle.received()) == ok("x"));
    server.sweep(500ms);
    CHECK_FALSE(idle.peer_closed());
    server.sweep(1500ms);
    CHECK(idle.received().empty()); // quietly
    CHECK(idle.peer_closed());
    CHECK(server.connections() == 0);
}

TEST_CASE("timeouts: a stalled body gets 408; a client that reads nothing is dropped") {
    application app;
    bool producer_ended = false;
    app.http_router.add({"GET"}, "/firehose", [&](request&) -> awaitable<response> {
        co_return response{200,
                           {},
                           body_writer::from_stream(
                               [&](body_sink& out) -> awaitable<void> {
                                   struct on_exit {
                                       bool& flag;
                                       ~on_exit() { flag = true; }
                                   } guard{producer_ended};
                                   const std::string chunk(64 * 1024, 'z');
                                   for (;;)
                                       co_await out.write(chunk); // ends only when writing fails
                               },
                               "text/plain")};
    });
    test_app(app);
    test::memory_server server(app, {.body_timeout = 2s, .write_timeout = 2s});
    auto uploader = server.connect();
    uploader.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
    server.sweep(1s);
    CHECK(uploader.available() == 0);
    server.sweep(3s); // the other 7 bytes never came
    CHECK(without_dates(uploader.received()) ==
          error_bytes("408 Request Timeout", "request body not received in time"));
    CHECK(uploader.peer_closed());

    auto reader_that_never_reads = server.connect([](testing::stream& s) { s.buffer_limit(1000); });
    reader_that_never_reads.send(get("/firehose"));
    server.sweep(1s);
    CHECK_FALSE(producer_ended);
    server.sweep(3s);
    CHECK(producer_ended); // the write timed out; its buffers went with it
    CHECK(server.connections() == 0);
}

TEST_CASE("pipelining without reading: 2,000 requests are all answered, in order, as the client "
          "reads") {
    application app;
    app.http_router.add({"GET"}, "/n/{i:int}", [](request& req) -> awaitable<response> {
        co_return response{200, {}, text_writer(std::to_string(req.matches().get<int>("i")))};
    });
    test::memory_server server(app);
    auto client = server.connect([](testing::stream& s) { s.buffer_limit(4096); });
    std::string flood, expected;
    for (int i = 0; i < 2000; ++i) {
        flood += get("/n/" + std::to_string(i));
        expected += ok(std::to_string(i));
    }
    client.send(flood); // ~70 KB; the server parses what its buffer holds at a time
    CHECK(without_dates(read_all(server, client)) == expected);
}

TEST_CASE("the client watch: a client that hangs up while its handler waits cancels the handler") {
    bool started = false, cancelled = false;
    event never;
    application app;
    app.http_router.add({"GET"}, "/wait", [&](request&) -> awaitable<response> {
        started = true;
        try {
            co_await never.wait();
        } catch (const std::system_error& e) {
            cancelled = e.code() == asio::error::operation_aborted;
            throw;
        }
        co_return 200;
    });
    test::memory_server server(app);
    auto client = server.connect();
    client.send(get("/wait"));
    server.poll();
    CHECK(started);
    server.sweep(); // a first sweep: most handlers end before the next
    server.sweep(); // the second starts the watch read
    CHECK_FALSE(cancelled);
    client.close(); // hangs up
    server.poll();
    CHECK(cancelled);
    CHECK(server.connections() == 0);
}

namespace {

// The test routes, and GET /wait, whose handler answers "waited" once `go` is set.
application app_waiting_on(event& go) {
    application app;
    app.http_router.add({"GET"}, "/wait", [&go](request&) -> awaitable<response> {
        co_await go.wait();
        co_return response{200, {}, text_writer("waited")};
    });
    test_app(app);
    return app;
}

} // namespace

TEST_CASE("the client watch: a pipelined request that arrives while a handler is watched is kept "
          "and answered") {
    event go;
    application app = app_waiting_on(go);
    test::memory_server server(app);
    auto client = server.connect();
    client.send(get("/wait"));
    server.sweep();
    server.sweep();
    server.sweep(); // the handler is watched
    client.send(get("/echo/next"));
    server.poll(); // read by the watch, not lost
    CHECK(client.available() == 0);
    go.set();
    server.poll();
    CHECK(without_dates(client.received()) == ok("waited") + ok("next"));
}

TEST_CASE("the client watch: sweeps while its read is pending start no second read (each "
          "would read into the same free space, and outlive the connection)") {
    event go;
    application app = app_waiting_on(go);
    test::memory_server server(app);
    auto client = server.connect();
    client.send(get("/wait"));
    for (int i = 0; i < 8; ++i) // the watch read starts at the second sweep
        server.sweep();
    client.send(get("/echo/one"));
    server.poll(); // read by the watch; it watches again from the next sweep
    client.send(get("/echo/two"));
    server.poll();
    go.set();
    server.poll();
    CHECK(without_dates(client.received()) == ok("waited") + ok("one") + ok("two"));
    client.close();
    server.poll();
    CHECK(server.connections() == 0);
}

TEST_CASE("graceful stop: an idle connection closes; an in-flight request finishes with "
          "Connection: close and the pipelined ones behind it are not started") {
    int started = 0;
    event go;
    application app;
    app.http_router.add({"GET"}, "/slow", [&](request&) -> awaitable<response> {
        ++started;
        co_await go.wait();
        co_return response{200, {}, text_writer("slow")};
    });
    app.http_router.add({"GET"}, "/fast", [&](request&) -> awaitable<response> {
        ++started;
        co_return response{200, {}, text_writer("fast")};
    });
    test::memory_server server(app);
    auto idle = server.connect();
    auto busy = server.connect();
    busy.send(get("/slow") + get("/fast") + get("/fast"));
    server.poll();
    server.drain(10s);
    CHECK(idle.peer_closed());
    CHECK(server.connections() == 1);
    go.set();
    server.poll();
    CHECK(without_dates(busy.received()) == ok("slow", "close"));
    CHECK(busy.peer_closed());
    CHECK(started == 1);
    CHECK(server.connections() == 0);
}

TEST_CASE("graceful stop while a response is streamed: it ends, and nothing behind it starts") {
    int fast_started = 0;
    event go_on;
    application app;
    app.http_router.add({"GET"}, "/stream", [&](request&) -> awaitable<response> {
        co_return response{200,
                           {},
                           body_writer::from_stream(
                               [&](body_sink& out) -> awaitable<void> {
                                   co_await out.write("first ");
                                   co_await go_on.wait(); // the stop begins here
                                   co_await out.write("last");
                               },
                               "text/plain")};
    });
    app.http_router.add({"GET"}, "/fast", [&](request&) -> awaitable<response> {
        ++fast_started;
        co_return response{200, {}, text_writer("fast")};
    });
    test::memory_server server(app);
    auto client = server.connect();
    client.send(get("/stream") + get("/fast"));
    server.poll();
    server.drain(10s);
    go_on.set();
    server.poll();
    CHECK(without_dates(client.received()) ==
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: *\r\nTransfer-Encoding: "
          "chunked\r\n\r\n6\r\nfirst \r\n4\r\nlast\r\n0\r\n\r\n");
    CHECK(client.peer_closed());
    CHECK(fast_started == 0);
}

TEST_CASE("graceful stop: a stream that watches req.stopping() ends at once, cleanly, long "
          "before the drain deadline") {
    notifier changed;
    application app;
    app.http_router.add({"GET"}, "/events", test::change_stream(changed));
    test::memory_server server(app);
    auto client = server.connect();
    client.send(get("/events"));
    server.poll();
    changed.notify();
    server.poll();
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nDate: "
                             "*\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string event = "9\r\ndata: x\n\n\r\n";
    CHECK(without_dates(client.received()) == head + event + event);
    CHECK_FALSE(server.loop().stopping());
    server.drain(1h); // no sweep, no deadline: only the stop token can end it
    CHECK(client.received() == "0\r\n\r\n"); // the last chunk: the body ended cleanly
    CHECK(client.peer_closed());
    CHECK(server.connections() == 0);
}

TEST_CASE("graceful stop: a watched handler still running at the drain deadline is cancelled; "
          "nothing is written") {
    bool cancelled = false;
    event never;
    application app;
    app.http_router.add({"GET"}, "/stuck", [&](request&) -> awaitable<response> {
        try {
            co_await never.wait();
        } catch (const std::system_error& e) {
            cancelled = e.code() == asio::error::operation_aborted;
            throw;
        }
        co_return 200;
    });
    test::memory_server server(app);
    auto client = server.connect();
    client.send(get("/stuck"));
    server.sweep();
    server.sweep(); // a watch read is pending
    server.drain(0ms);
    CHECK(cancelled);
    CHECK(client.received().empty());
    CHECK(client.peer_closed());
    CHECK(server.connections() == 0);
}

TEST_CASE("every failing read or write ends the connection cleanly (fail_after walks each one)") {
    application app;
    test::memory_server server(test_app(app));
    const std::string requests = post("/upload", "0123456789") + get("/stream") + get("/echo/x");
    auto reference = server.connect();
    reference.send(requests);
    const std::string expected = without_dates(read_all(server, reference));
    reference.close();
    server.poll();
    bool reached_success = false;
    for (std::size_t n = 0; n < 64 && !reached_success; ++n) {
        CAPTURE(n);
        auto client = server.connect([n](testing::stream& s) {
            s.read_size(7);
            s.write_size(50);
            s.fail_after(n);
        });
        client.send(requests);
        const std::string got = without_dates(read_all(server, client));
        CHECK(expected.starts_with(got)); // a prefix of the right bytes, never wrong ones
        if (!expected.starts_with(got)) MESSAGE(got);
        reached_success = got == expected;
        client.close();
        server.poll();
        CHECK(server.connections() == 0);
    }
    CHECK(reached_success);
}

TEST_CASE("trusted proxies: the client address and scheme come from the proxy's headers") {
    application app;
    app.http_router.add({"GET"}, "/whoami", [](request& req) -> awaitable<response> {
        co_return response{
            200,
            {},
            text_writer(std::string(req.scheme()) + " " + std::string(req.client_address()))};
    });
    test::memory_server server(app, {.trusted_proxies = {"10.0.0.0/8"}});
    const std::string forwarded = get("/whoami", "X-Forwarded-For: 203.0.113.7\r\n"
                                                 "X-Forwarded-Proto: https\r\n");
    auto proxy = server.connect([](testing::stream& s) {
        s.remote_endpoint({asio::ip::make_address("10.1.2.3"), 4000});
    });
    proxy.send(forwarded + get("/whoami"));
    server.poll();
    CHECK(without_dates(proxy.received()) == ok("https 203.0.113.7") + ok("http 10.1.2.3"));

    auto stranger = server.connect(); // 127.0.0.1: not trusted, its headers are not believed
    stranger.send(forwarded);
    server.poll();
    CHECK(without_dates(stranger.received()) == ok("http 127.0.0.1"));
}

// A stream that says its scheme, as tls::stream does.
struct https_stream : testing::stream {
    using testing::stream::stream;
    static constexpr std::string_view scheme = "https";
};

TEST_CASE("a stream that says https makes req.scheme() https (as over tls::stream)") {
    application app;
    app.http_router.add({"GET"}, "/whoami", [](request& req) -> awaitable<response> {
        co_return response{
            200,
            {},
            text_writer(std::string(req.scheme()) + " " + std::string(req.client_address()))};
    });
    test::memory_server server(app);
    auto client = server.connect_as<https_stream>();
    client.send(get("/whoami"));
    server.poll();
    CHECK(without_dates(client.received()) == ok("https 127.0.0.1"));
    auto plain = server.connect();
    plain.send(get("/whoami"));
    server.poll();
    CHECK(without_dates(plain.received()) == ok("http 127.0.0.1"));
}

TEST_CASE("a read buffer of 0 bytes is refused when the loop is made, not looped on") {
    application app;
    const http_handler handler = app.handler();
    const server_config config{.read_buffer_bytes = 0};
    CHECK_THROWS_AS(loop_context(config, handler, app.info_handle()), std::invalid_argument);
}

TEST_CASE("graceful stop: a 400 still being written is finished, not taken for an idle "
          "connection") {
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect([](testing::stream& s) { s.buffer_limit(16); });
    client.send("THIS IS NOT HTTP\r\n\r\n");
    server.poll(); // the 400 waits for the client to read
    server.drain(10s);
    CHECK(without_dates(read_all(server, client)) ==
          error_bytes("400 Bad Request", "Invalid method encountered"));
    CHECK(client.peer_closed());
}

namespace {

// A handler that reads a body the client is asked for with 100 Continue;
// the client never reads, so that write times out, and the handler fails.
struct continue_app {
    application app;
    bool caught = false;
    continue_app() {
        app.http_router.add({"POST"}, "/upload", [this](request& req) -> awaitable<response> {
            try {
                co_await req.body().read_some();
            } catch (const write_error&) {
                caught = true;
                throw;
            }
            co_return 200;
        });
    }
};

const std::string expect_continue =
    "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";

} // namespace

TEST_CASE("a handler that fails on a write to its client: nothing more is written, the "
          "connection closes") {
    continue_app c;
    test::memory_server server(c.app, {.write_timeout = 2s});
    auto client = server.connect([](testing::stream& s) { s.buffer_limit(1); });
    client.send(expect_continue);
    server.poll();
    server.sweep(3s);
    CHECK(c.caught);
    CHECK(read_all(server, client) == "H"); // the one byte that fitted, then nothing
    CHECK(client.peer_closed());
    CHECK(server.connections() == 0);
}

namespace {

// A stream with a handshake of its own, as TLS has: the client's first
// byte must be 'H'.
struct handshaking_stream : testing::stream {
    using testing::stream::stream;

    template <class Token>
    auto async_handshake(Token&& token) {
        return asio::async_compose<Token, void(std::error_code)>(
            [this, started = false](auto& self, std::error_code ec = {},
                                    std::size_t n = 0) mutable {
                if (!std::exchange(started, true))
                    return async_read_some(asio::buffer(hello_), std::move(self));
                if (!ec && (n != 1 || hello_[0] != 'H')) ec = asio::error::access_denied;
                self.complete(ec);
            },
            token, *this);
    }

    char hello_[1] = {};
};

} // namespace

TEST_CASE("handshake: a stream's own handshake comes first, then requests are served") {
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect_as<handshaking_stream>();
    client.send("H" + get("/echo/hi"));
    server.poll();
    CHECK(without_dates(client.received()) == ok("hi"));
}

TEST_CASE("handshake: a failed handshake closes the connection without a response") {
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect_as<handshaking_stream>();
    client.send(get("/echo/hi"));
    server.poll();
    CHECK(client.received().empty());
    CHECK(client.peer_closed());
    CHECK(server.connections() == 0);
}

TEST_CASE("handshake: one not done within handshake_timeout is closed by the sweep; a drain "
          "closes one in progress at once") {
    application app;
    test::memory_server server(test_app(app), {.keep_alive_timeout = 1s, .handshake_timeout = 3s});
    auto slow = server.connect_as<handshaking_stream>();
    server.sweep(2999ms); // not the keep-alive timeout: the handshake's
    CHECK_FALSE(slow.peer_closed());
    server.sweep(3s);
    CHECK(slow.peer_closed());
    CHECK(server.connections() == 0);

    auto stopped = server.connect_as<handshaking_stream>();
    server.drain(10s);
    CHECK(stopped.peer_closed());
    CHECK(server.connections() == 0);
}
