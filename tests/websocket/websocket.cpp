// WebSockets on the in-memory stream, through the real connection: every
// byte the server writes is compared (the RFC 6455 examples where it has
// them), time passes only when a test sweeps.
#include <bareasio/websocket/websocket.hpp>

#include "../support/alloc_counter.hpp"
#include "../support/doctest.hpp"
#include "../support/memory_server.hpp"
#include "../support/run_coroutine.hpp"
#include "websocket_frames.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <array>
#include <string>
#include <string_view>
#include <thread>

using namespace bareasio;
using namespace std::chrono_literals;
using namespace std::string_literals;
using test::without_dates;
using namespace test::ws;

namespace {

application echo_app(websocket_options options = {}) {
    application app;
    app.ws_router.options = options;
    app.ws_router.add("/echo", [](websocket& ws) -> awaitable<void> {
        co_await ws.accept();
        for (;;) {
            auto m = co_await ws.receive();
            if (!m) break;
            co_await ws.send(m);
        }
    });
    app.http_router.add({"GET"}, "/echo", [](request&) -> awaitable<response> {
        co_return response(200, {}, text_writer("plain"));
    });
    return app;
}

// Opens a WebSocket on `server` and checks the 101.
// Opens a WebSocket on `server` and checks the 101; what the handler sent
// right after it goes to `after` (else it must be nothing).
testing::stream open_socket(test::memory_server& server, std::string_view path = "/echo",
                            std::string* after = nullptr) {
    auto client = server.connect();
    client.send(upgrade_request(path));
    server.poll();
    const std::string got = client.received();
    CHECK(got.starts_with(switching()));
    const std::string rest = got.substr(std::min(got.size(), switching().size()));
    if (after)
        *after = rest;
    else
        CHECK(rest.empty());
    return client;
}

} // namespace

TEST_CASE("handshake: the 101 of RFC 6455 §1.3, then framed echo of its 'Hello' examples") {
    auto app = echo_app();
    test::memory_server server(app);
    auto client = open_socket(server);
    // §5.7: a masked text "Hello" from the client; the unmasked one back.
    client.send("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"s);
    server.poll();
    CHECK(client.received() == "\x81\x05Hello"s);
    // The client closes (1000); the server answers with the same code and hangs up.
    client.send(client_frame(0x88, close_payload(1000)));
    server.poll();
    CHECK(client.received() == "\x88\x02\x03\xe8"s);
    CHECK(client.peer_closed());
    server.poll();
    CHECK(server.connections() == 0);
}

TEST_CASE("handshake: a request without Upgrade goes to the HTTP router") {
    auto app = echo_app();
    test::memory_server server(app);
    auto client = server.connect();
    client.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
    server.poll();
    CHECK(without_dates(client.received()).ends_with("\r\n\r\nplain"));
}

TEST_CASE("handshake: version 12 gets 426 with Sec-WebSocket-Version: 13") {
    auto app = echo_app();
    test::memory_server server(app);
    auto client = server.connect();
    std::string req = upgrade_request();
    req.replace(req.find("Version: 13"), 11, "Version: 12");
    client.send(req);
    server.poll();
    CHECK(without_dates(client.received()) ==
          "HTTP/1.1 426 Upgrade Required\r\n"
          "sec-websocket-version: 13\r\nContent-Type: text/plain; charset=utf-8\r\nDate: *\r\n"
          "Content-Length: 40\r\n\r\n"
          "this server speaks WebSocket version 13\n");
}

// The response to `request` on a fresh connection, Date masked.
std::string answer(test::memory_server& server, std::string_view request) {
    auto client = server.connect();
    client.send(request);
    server.poll();
    return without_dates(client.received());
}

TEST_CASE("handshake: a repeated Sec-WebSocket-Key or Sec-WebSocket-Version is a 400") {
    auto app = echo_app();
    test::memory_server server(app);
    const std::string refused =
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nDate: *\r\n"
        "Content-Length: 65\r\n\r\n"
        "Sec-WebSocket-Key and Sec-WebSocket-Version may appear only once\n";
    CHECK(answer(server,
                 upgrade_request("/echo", "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n")) ==
          refused);
    CHECK(answer(server, upgrade_request("/echo", "Sec-WebSocket-Version: 13\r\n")) == refused);
}

TEST_CASE("handshake: an upgrade on POST is a 405 with Allow: GET") {
    application app;
    app.ws_router.add("/ws-only", [](websocket& ws) -> awaitable<void> { co_await ws.accept(); });
    test::memory_server server(app);
    std::string request = upgrade_request("/ws-only");
    request.replace(0, 3, "POST");
    CHECK(answer(server, request) ==
          "HTTP/1.1 405 Method Not Allowed\r\nallow: GET, HEAD\r\n"
          "Content-Type: text/plain; charset=utf-8\r\nDate: *\r\nContent-Length: 19\r\n\r\n"
          "Method Not Allowed\n");
}

TEST_CASE("handshake: a plain request on a WebSocket-only path is a 426 with Upgrade: websocket") {
    application app;
    app.ws_router.add("/live", [](websocket& ws) -> awaitable<void> { co_await ws.accept(); });
    app.http_router.add({"GET"}, "/page", [](request&) -> awaitable<response> { co_return 204; });
    test::memory_server server(app);
    CHECK(answer(server, "GET /live HTTP/1.1\r\nHost: x\r\n\r\n") ==
          "HTTP/1.1 426 Upgrade Required\r\nupgrade: websocket\r\n"
          "Content-Type: text/plain; charset=utf-8\r\nDate: *\r\nContent-Length: 64\r\n\r\n"
          "this path takes WebSocket connections only (Upgrade: websocket)\n");
    // Paths neither router has stay 404; the HTTP routes are unchanged.
    CHECK(answer(server, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n").starts_with("HTTP/1.1 404 "));
    CHECK(answer(server, "GET /page HTTP/1.1\r\nHost: x\r\n\r\n").starts_with("HTTP/1.1 204 "));
}

TEST_CASE("origins: a page from another site is refused with 403 before the handler runs") {
    websocket_options options;
    options.origins.same_origin = true;
    options.origins.allowed = {"https://app.example.com"};
    int handled = 0;
    application app;
    app.ws_router.options = options;
    app.ws_router.add("/echo", [&handled](websocket& ws) -> awaitable<void> {
        ++handled;
        co_await ws.accept();
    });
    test::memory_server server(app);
    const auto with_origin = [](std::string_view origin) {
        return upgrade_request("/echo", "Origin: " + std::string(origin) + "\r\n");
    };
    // The request's own host (Host: x names no port: the origin's scheme
    // says which), a listed origin, no Origin at all.
    for (const auto& ok :
         {with_origin("http://x"), with_origin("http://X:80"), with_origin("https://x"),
          with_origin("HTTPS://app.example.com"), upgrade_request("/echo")})
        CHECK(answer(server, ok).starts_with(switching()));
    CHECK(handled == 5);
    for (const std::string_view foreign :
         {"https://evil.example", "http://x:8080", "null", "http://x.evil.example"}) {
        CAPTURE(foreign);
        CHECK(answer(server, with_origin(foreign)) ==
              "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nDate: *\r\n"
              "Content-Length: 49\r\n\r\nthis page's origin may not open a WebSocket here\n");
    }
    CHECK(handled == 5);
}

TEST_CASE("framing: 7-bit, 16-bit and 64-bit lengths, each read a byte at a time too") {
    auto app = echo_app();
    for (const std::size_t read_size : {std::size_t{1}, std::size_t{7}, std::size_t{65536}}) {
        test::memory_server server(app);
        auto client = server.connect([read_size](testing::stream& s) { s.read_size(read_size); });
        client.send(upgrade_request());
        server.poll();
        CHECK(client.received() == switching());
        for (const std::size_t size : {std::size_t{0}, std::size_t{125}, std::size_t{126},
                                       std::size_t{65535}, std::size_t{65536}}) {
            CAPTURE(size);
            const std::string payload(size, 'x');
            client.send(client_frame(0x82, payload));
            std::string got;
            for (int i = 0; i < 200000 && got.size() < size + 10; ++i) {
                server.poll();
                got += client.received();
                if (client.available() == 0 && got.size() >= server_frame(0x82, payload).size())
                    break;
            }
            CHECK(got == server_frame(0x82, payload));
        }
    }
}

TEST_CASE("fragmentation: a ping between fragments is answered first; the message is whole") {
    auto app = echo_app();
    test::memory_server server(app);
    auto client = open_socket(server);
    client.send(client_frame(0x01, "Hel") + client_frame(0x89, "ping!") + client_frame(0x80, "lo"));
    server.poll();
    CHECK(client.received() == "\x8a\x05ping!\x81\x05Hello"s);
    // An unsolicited pong is ignored.
    client.send(client_frame(0x8a, "x") + client_frame(0x81, "ok"));
    server.poll();
    CHECK(client.received() == "\x81\x02ok"s);
}

TEST_CASE("protocol errors close with the RFC's codes and hang up") {
    struct bad {
        const char* what;
        std::string bytes;
        std::uint16_t code;
        std::string reason;
    };
    const std::string unmasked = "\x81\x02hi"s;
    const bad cases[] = {
        {"unmasked frame", unmasked, 1002, "frame not masked"},
        {"reserved bit", client_frame(0xC1, "x"), 1002, "reserved bit set"},
        {"unknown opcode", client_frame(0x83, "x"), 1002, "unknown opcode"},
        {"fragmented ping", client_frame(0x09, "x"), 1002, "fragmented control frame"},
        {"ping over 125 bytes", client_frame(0x89, std::string(126, 'p')), 1002,
         "control frame over 125 bytes"},
        {"continuation first", client_frame(0x80, "x"), 1002,
         "continuation frame without a message"},
        {"text inside a text", client_frame(0x01, "a") + client_frame(0x81, "b"), 1002,
         "new message before the last one ended"},
        {"invalid UTF-8",
         client_frame(0x81, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"), 1007,
         "text is not valid UTF-8"},
        {"UTF-8 cut at the end", client_frame(0x81, "\xce"), 1007,
         "text ends inside a UTF-8 character"},
        {"close of 1 byte", client_frame(0x88, "\x03"), 1002, "close frame of 1 byte"},
        {"close code 1005", client_frame(0x88, close_payload(1005)), 1002, "invalid close code"},
        {"close code 999", client_frame(0x88, close_payload(999)), 1002, "invalid close code"},
        {"close reason not UTF-8", client_frame(0x88, close_payload(1000, "\xff")), 1007,
         "close reason is not valid UTF-8"},
    };
    auto app = echo_app();
    for (const auto& c : cases) {
        CAPTURE(std::string(c.what));
        test::memory_server server(app);
        auto client = open_socket(server);
        client.send(c.bytes);
        server.poll();
        CHECK(client.received() == server_frame(0x88, close_payload(c.code, c.reason)));
        CHECK(client.peer_closed());
    }
}

TEST_CASE("UTF-8 fails fast: in the middle of a frame, before the rest arrives") {
    auto app = echo_app();
    test::memory_server server(app);
    auto client = open_socket(server);
    const std::string frame = client_frame(0x81, "ok\xf4\x90\x80\x80 and much more text");
    client.send(frame.substr(0, 6 + 4)); // the head and "ok\xf4\x90" only
    server.poll();
    CHECK(client.received() == server_frame(0x88, close_payload(1007, "text is not valid UTF-8")));
    CHECK(client.peer_closed());
}

TEST_CASE("limits: a message over max_message_bytes closes with 1009") {
    websocket_options options;
    options.max_message_bytes = 100;
    auto app = echo_app(options);
    test::memory_server server(app);
    auto client = open_socket(server);
    client.send(client_frame(0x82, std::string(100, 'a')));
    server.poll();
    CHECK(client.received() == server_frame(0x82, std::string(100, 'a')));
    client.send(client_frame(0x02, std::string(60, 'a')) +
                client_frame(0x80, std::string(41, 'a')));
    server.poll();
    CHECK(client.received() ==
          server_frame(0x88, close_payload(1009, "message larger than the server accepts")));
    CHECK(client.peer_closed());
}

TEST_CASE("close: a close without a code is answered without one") {
    auto app = echo_app();
    test::memory_server server(app);
    auto client = open_socket(server);
    client.send(client_frame(0x88, ""));
    server.poll();
    CHECK(client.received() == "\x88\x00"s);
    CHECK(client.peer_closed());
}

TEST_CASE("close: the handler closes; the server waits for the client's close, then hangs up") {
    application app;
    app.ws_router.add("/bye", [](websocket& ws) -> awaitable<void> {
        co_await ws.accept();
        co_await ws.close(4000, "done");
        auto m = co_await ws.receive(); // the client's messages still come
        CHECK(m.text() == "in flight");
        m = co_await ws.receive();
        CHECK_FALSE(m);
        CHECK(m.close_code() == 4001);
        CHECK_FALSE(co_await ws.send("too late"));
    });
    test::memory_server server(app);
    std::string sent;
    auto client = open_socket(server, "/bye", &sent);
    CHECK(sent == server_frame(0x88, close_payload(4000, "done")));
    CHECK_FALSE(client.peer_closed());
    client.send(client_frame(0x81, "in flight") + client_frame(0x88, close_payload(4001)));
    server.poll();
    CHECK(client.received().empty());
    CHECK(client.peer_closed());
}

TEST_CASE("close: a client that never answers the close is dropped after close_timeout") {
    application app;
    app.ws_router.add("/bye", [](websocket& ws) -> awaitable<void> { co_await ws.accept(); });
    test::memory_server server(app);
    std::string sent;
    auto client = open_socket(server, "/bye", &sent);
    CHECK(sent == server_frame(0x88, close_payload(1000)));
    server.sweep(4s);
    CHECK_FALSE(client.peer_closed());
    server.sweep(6s);
    CHECK(client.peer_closed());
    CHECK(server.connections() == 0);
}

TEST_CASE("keep-alive: a ping after ping_interval of silence; no answer closes the socket") {
    auto app = echo_app();
    test::memory_server server(app);
    auto client = open_socket(server);
    server.sweep(19s);
    CHECK(client.received().empty());
    server.sweep(21s);
    CHECK(client.received() == "\x89\x00"s);
    client.send(client_frame(0x8a, "")); // the pong
    server.poll();
    server.sweep(41s); // 20 s after the pong: another ping
    CHECK(client.received() == "\x89\x00"s);
    server.sweep(62s); // and no answer to it
    CHECK(client.peer_closed());
}

TEST_CASE("reject: before accepting, a status; a handler that does not accept answers 403") {
    application app;
    app.ws_router.add("/private", [](websocket& ws) -> awaitable<void> {
        if (ws.origin() != "https://example.com") ws.reject(403, "foreign origin");
        co_return;
    });
    app.ws_router.add("/silent", [](websocket&) -> awaitable<void> { co_return; });
    app.ws_router.add("/throws", [](websocket&) -> awaitable<void> {
        throw http_error(401, "log in first");
        co_return;
    });
    test::memory_server server(app);
    for (const auto& c :
         {std::pair{"/private", "403 Forbidden"}, std::pair{"/silent", "403 Forbidden"},
          std::pair{"/throws", "401 Unauthorized"}}) {
        CAPTURE(std::string(c.first)); // (clang 14 cannot capture a structured binding)
        auto client = server.connect();
        client.send(upgrade_request(c.first));
        server.poll();
        CHECK(client.received().starts_with("HTTP/1.1 "s + c.second + "\r\n"));
    }
}

TEST_CASE("subprotocols: one the client offered is accepted; the request is the handler's") {
    application app;
    app.ws_router.add("/chat/{room}", [](websocket& ws) -> awaitable<void> {
        CHECK(ws.subprotocols() == std::vector<std::string_view>{"v2.chat", "v1.chat"});
        CHECK_THROWS_AS(co_await ws.accept("v3.chat"), std::invalid_argument);
        const auto room = ws.req().matches().get<std::string>("room");
        header_list extra;
        extra.add("x-room", room);
        co_await ws.accept("v1.chat", std::move(extra));
        co_await ws.send(room);
    });
    test::memory_server server(app);
    auto client = server.connect();
    client.send(upgrade_request("/chat/lobby", "Sec-WebSocket-Protocol: v2.chat, v1.chat\r\n"));
    server.poll();
    CHECK(client.received() == switching("Sec-WebSocket-Protocol: v1.chat\r\nx-room: lobby\r\n") +
                                   "\x81\x05lobby"s + server_frame(0x88, close_payload(1000)));
}

TEST_CASE("drain: every open socket gets 1001 and the server waits for the client's close") {
    auto app = echo_app();
    test::memory_server server(app);
    auto client = open_socket(server);
    server.drain(10s);
    CHECK(client.received() == server_frame(0x88, close_payload(1001, "server shutting down")));
    CHECK(server.connections() == 1);
    client.send(client_frame(0x88, close_payload(1001)));
    server.poll();
    CHECK(client.peer_closed());
    CHECK(server.connections() == 0);
}

TEST_CASE("sender: a thread sends through the handle; after the close it fails cleanly") {
    application app;
    websocket_sender handle;
    event ready;
    app.ws_router.add("/feed", [&](websocket& ws) -> awaitable<void> {
        co_await ws.accept();
        handle = ws.sender();
        ready.set();
        while (co_await ws.receive()) {
        }
    });
    test::memory_server server(app);
    auto client = open_socket(server, "/feed");
    REQUIRE(ready.is_set());
    // A coroutine lambda without captures: its parameters live in its frame.
    const auto send_from = [](websocket_sender h, bool* out, std::string text) -> awaitable<void> {
        *out = co_await h.send(std::move(text));
    };
    asio::io_context other;
    bool sent = false;
    std::thread t([&] {
        asio::co_spawn(other, send_from(handle, &sent, "from afar"), asio::detached);
        other.run();
    });
    std::string got;
    while (got.size() < 11) {
        server.poll();
        got += client.received();
    }
    t.join();
    CHECK(sent);
    CHECK(got == "\x81\x09"
                 "from afar"s);
    client.send(client_frame(0x88, close_payload(1000)));
    server.poll();
    CHECK(client.received() == server_frame(0x88, close_payload(1000)));
    other.restart();
    bool after = true;
    asio::co_spawn(other, send_from(handle, &after, "late"), asio::detached);
    while (!other.stopped()) { // both loops, on this thread
        other.poll();
        server.poll();
    }
    CHECK_FALSE(after);
    handle.try_send("also late"); // dropped, no crash
    server.poll();
}

TEST_CASE(
    "send queue: the write in flight counts; full under drop returns false, under close 1008") {
    const auto send_from = [](websocket_sender h, std::vector<bool>* out) -> awaitable<void> {
        out->push_back(co_await h.send("0123456789"));
    };
    for (const auto policy : {send_queue_full::drop, send_queue_full::close}) {
        CAPTURE(static_cast<int>(policy));
        websocket_options options;
        options.send_queue_bytes = 16;
        options.when_full = policy;
        application app;
        app.ws_router.options = options;
        websocket_sender handle;
        app.ws_router.add("/flood", [&handle](websocket& ws) -> awaitable<void> {
            co_await ws.accept();
            handle = ws.sender();
            co_await ws.send(std::string(300, 'a')); // waits: the client does not read
            while (co_await ws.receive()) {
            }
        });
        test::memory_server server(app);
        auto client = server.connect([](testing::stream& s) { s.buffer_limit(200); });
        client.send(upgrade_request("/flood"));
        server.poll();
        REQUIRE(handle);
        // Three senders while the 300 bytes are being written: they count
        // against the bound (a stalled client holds one message, not two),
        // so none is queued.
        std::vector<bool> results;
        for (int i = 0; i < 3; ++i)
            asio::co_spawn(server.context(), send_from(handle, &results), asio::detached);
        server.poll();
        CHECK(results == std::vector<bool>{false, false, false});
        std::string got;
        for (int i = 0; i < 100; ++i) {
            server.poll();
            got += client.received();
        }
        std::string expected = switching() + server_frame(0x81, std::string(300, 'a'));
        if (policy == send_queue_full::close)
            expected += server_frame(0x88, close_payload(1008, "send queue full"));
        CHECK(got == expected);
        CHECK(client.peer_closed() == (policy == send_queue_full::close));
    }
}

// Reads what the server writes until it writes no more (the client reads
// as fast as it can; the server's end holds at most its buffer_limit).
std::string read_until_quiet(test::memory_server& server, testing::stream& client) {
    std::string got;
    for (int quiet = 0; quiet < 3;) {
        server.poll();
        const std::string more = client.received();
        quiet = more.empty() ? quiet + 1 : 0;
        got += more;
    }
    return got;
}

TEST_CASE("flood: pings from a client that does not read: once backed up, one pong, the latest") {
    auto app = echo_app();
    test::memory_server server(app);
    auto client = server.connect([](testing::stream& s) { s.buffer_limit(200); });
    client.send(upgrade_request());
    server.poll();
    CHECK(client.received() == switching());
    // Ten thousand pings (1.27 MB of pongs if each were answered), none read.
    std::string burst;
    for (int i = 0; i < 10'000; ++i) {
        burst += client_frame(0x89, "ping " + std::to_string(i) + std::string(100, '.'));
        if (i % 100 == 99) {
            client.send(burst);
            burst.clear();
            server.poll();
        }
    }
    // The client reads at last: the first hundred (one read) were answered
    // before the socket backed up; then one pong for the latest ping.
    const std::string got = read_until_quiet(server, client);
    const std::string last = server_frame(0x8a, "ping 9999" + std::string(100, '.'));
    CHECK(got.size() <= 102 * last.size());
    CHECK(got.starts_with(server_frame(0x8a, "ping 0" + std::string(100, '.'))));
    CHECK(got.ends_with(last));
    CHECK_FALSE(client.peer_closed());
}

TEST_CASE("pings: each is answered, in order, while the client reads (Autobahn 2.10)") {
    auto app = echo_app();
    test::memory_server server(app);
    auto client = open_socket(server);
    std::string pings, pongs;
    for (int i = 0; i < 10; ++i) {
        pings += client_frame(0x89, "payload-" + std::to_string(i));
        pongs += server_frame(0x8a, "payload-" + std::to_string(i));
    }
    client.send(pings); // in one read
    server.poll();
    CHECK(client.received() == pongs);
}

TEST_CASE("back-pressure: while the socket holds more than its bound, it reads nothing") {
    websocket_options options;
    options.send_queue_bytes = 16;
    application app;
    app.ws_router.options = options;
    int received = 0;
    app.ws_router.add("/big", [&received](websocket& ws) -> awaitable<void> {
        co_await ws.accept();
        // Written by a coroutine of its own while the handler receives:
        // more than the bound, so the client must read it first.
        ws.sender().try_send(std::string(300, 'a'));
        while (co_await ws.receive())
            ++received;
    });
    test::memory_server server(app);
    auto client = server.connect([](testing::stream& s) { s.buffer_limit(200); });
    client.send(upgrade_request("/big"));
    server.poll();
    client.send(client_frame(0x81, "one")); // its read began before the 300 bytes were queued
    server.poll();
    CHECK(received == 1);
    client.send(client_frame(0x81, "two"));
    server.poll();
    CHECK(received == 1); // not read: the 300 bytes are not written yet
    CHECK(read_until_quiet(server, client) ==
          switching() + server_frame(0x81, std::string(300, 'a')));
    CHECK(received == 2);
}

TEST_CASE("shared_message: one payload for many sockets, the same bytes on each") {
    std::vector<websocket_sender> members;
    application app;
    app.ws_router.add("/room", [&members](websocket& ws) -> awaitable<void> {
        co_await ws.accept();
        members.push_back(ws.sender());
        while (co_await ws.receive()) {
        }
    });
    test::memory_server server(app);
    auto a = server.connect(), b = server.connect();
    a.send(upgrade_request("/room"));
    b.send(upgrade_request("/room"));
    server.poll();
    CHECK(a.received() == switching());
    CHECK(b.received() == switching());
    REQUIRE(members.size() == 2);
    // Large (shared in the queues) and small (copied), text and binary.
    const auto large = shared_message::binary(std::string(20'000, 'L'));
    const auto small = shared_message::text("hello, room");
    for (const auto& m : members) {
        m.try_send(large);
        m.try_send(small);
    }
    const std::string expected =
        server_frame(0x82, std::string(20'000, 'L')) + server_frame(0x81, "hello, room");
    CHECK(read_until_quiet(server, a) == expected);
    CHECK(read_until_quiet(server, b) == expected);
    CHECK(large.data().size() == 20'000); // still the sender's to use
}

TEST_CASE("sender: close() starts the close handshake with its code from anywhere") {
    websocket_sender handle;
    std::uint16_t seen = 0;
    auto app = application();
    app.ws_router.add("/poll", [&](websocket& ws) -> awaitable<void> {
        co_await ws.accept();
        handle = ws.sender();
        for (;;) {
            const auto m = co_await ws.receive();
            if (!m) {
                seen = m.close_code();
                break;
            }
        }
    });
    test::memory_server server(app);
    auto client = server.connect();
    client.send(upgrade_request("/poll"));
    server.poll();
    CHECK(client.received() == switching());
    REQUIRE(handle);
    CHECK_THROWS_AS(handle.close(1005), std::invalid_argument); // never sent (RFC 6455 §7.4.1)
    std::thread([&handle] { handle.close(4000, "poll over"); }).join();
    server.poll();
    CHECK(client.received() == server_frame(0x88, close_payload(4000, "poll over")));
    client.send(client_frame(0x88, close_payload(4000)));
    server.poll();
    CHECK(seen == 4000);
    CHECK(client.peer_closed());
}

TEST_CASE("performance: an echoed message costs no allocation once warm (32 B and 4 KiB)") {
    for (const std::size_t size : {std::size_t{32}, std::size_t{4096}}) {
        CAPTURE(size);
        auto app = echo_app();
        test::memory_server server(app);
        auto client = open_socket(server);
        const std::string frame = client_frame(0x82, std::string(size, 'b'));
        const std::size_t echo_size = server_frame(0x82, std::string(size, 'b')).size();
        // The client runs on the loop, as a socket's completions do (Asio
        // recycles memory only for what its loop runs), reading into one
        // buffer; it counts the allocations of its last 1,000 exchanges.
        long during = -1;
        std::size_t echoed = 0;
        const auto exchange = [](testing::stream* c, const std::string* f, std::size_t expect,
                                 std::size_t* count, long* allocs) -> awaitable<void> {
            std::array<char, 8192> in;
            long before = 0;
            for (int i = 0; i < 1100; ++i) {
                if (i == 100) before = test::allocations.load(); // warm by now
                c->send(*f);
                std::size_t got = 0;
                while (got < expect)
                    got += co_await c->async_read_some(asio::buffer(in), asio::use_awaitable);
                *count += got == expect;
            }
            *allocs = test::allocations.load() - before;
        };
        asio::co_spawn(server.context(), exchange(&client, &frame, echo_size, &echoed, &during),
                       asio::detached);
        server.poll();
        CHECK(echoed == 1100);
        CHECK(during == 0);
    }
}

TEST_CASE("min_message_rate: a message trickled below 240 B/s is closed with 1008 after 5 s") {
    auto app = echo_app();
    test::memory_server server(app);
    auto client = open_socket(server);
    const std::string frame = client_frame(0x82, std::string(1000, 't'));
    client.send(frame.substr(0, 100)); // the head and 92 bytes of 1,000
    server.poll();
    server.sweep(4s);
    CHECK(client.received().empty());
    CHECK_FALSE(client.peer_closed());
    server.sweep(6s);
    CHECK(client.received() ==
          server_frame(0x88, close_payload(1008, "message arriving too slowly")));
    CHECK(client.peer_closed());
}

TEST_CASE("min_message_rate: whole messages, however far apart, are never too slow") {
    auto app = echo_app();
    test::memory_server server(app);
    auto client = open_socket(server);
    for (int i = 0; i < 3; ++i) {
        client.send(client_frame(0x81, "tick"));
        server.poll();
        CHECK(client.received() == "\x81\x04tick"s);
        server.sweep(std::chrono::seconds(8 * (i + 1))); // pings come, nothing closes
        CHECK_FALSE(client.peer_closed());
        client.received();
        client.send(client_frame(0x8a, "")); // the pong
        server.poll();
    }
}

TEST_CASE("review: the drain deadline cancels a handler while a write is in flight") {
    application app;
    app.ws_router.add("/big", [](websocket& ws) -> awaitable<void> {
        co_await ws.accept();
        co_await ws.send(std::string(300'000, 'b')); // the client reads none of it
        while (co_await ws.receive()) {
        }
    });
    test::memory_server server(app);
    auto client = server.connect([](testing::stream& s) { s.buffer_limit(1000); });
    client.send(upgrade_request("/big"));
    server.poll();
    server.drain(0ms); // past the deadline at once: every connection is cancelled
    for (int i = 0; i < 100 && server.connections() > 0; ++i) {
        server.poll();
        client.discard();
    }
    CHECK(server.connections() == 0); // finish() ran, waited for the write, let go
}

TEST_CASE("review: a sender cancelled by || in the middle of its write does not hang the close") {
    using namespace asio::experimental::awaitable_operators;
    application app;
    app.ws_router.add("/duplex", [](websocket& ws) -> awaitable<void> {
        co_await ws.accept();
        const auto read = [](websocket& w) -> awaitable<void> {
            while (co_await w.receive()) {
            }
        };
        const auto push = [](websocket& w) -> awaitable<void> {
            co_await w.send(std::string(100'000, 'p'));
            event never;
            co_await never.wait();
        };
        co_await (read(ws) || push(ws));
    });
    test::memory_server server(app);
    auto client = server.connect([](testing::stream& s) { s.buffer_limit(1000); });
    client.send(upgrade_request("/duplex"));
    server.poll();
    client.send(client_frame(0x88, close_payload(1000))); // the reader ends; push is cancelled
    std::string got;
    for (int i = 0; i < 100'000 && !client.peer_closed(); ++i) {
        server.poll();
        got += client.received();
    }
    const std::string expected = switching() + server_frame(0x81, std::string(100'000, 'p')) +
                                 server_frame(0x88, close_payload(1000));
    CHECK(got.size() == expected.size());
    CHECK(got == expected);
    CHECK(client.peer_closed());
    server.poll();
    CHECK(server.connections() == 0);
}

TEST_CASE("review: a send whose caller is cancelled still goes out; the socket stays open") {
    websocket_options options;
    options.send_queue_bytes = 16;
    application app;
    app.ws_router.options = options;
    websocket_sender handle;
    app.ws_router.add("/feed", [&handle](websocket& ws) -> awaitable<void> {
        co_await ws.accept();
        handle = ws.sender();
        co_await ws.send(std::string(300, 'a')); // fills the socket
        while (co_await ws.receive()) {
        }
    });
    test::memory_server server(app);
    auto client = server.connect([](testing::stream& s) { s.buffer_limit(200); });
    client.send(upgrade_request("/feed"));
    server.poll();
    REQUIRE(handle);
    // Two senders on another loop: the second waits for room; it is cancelled.
    asio::io_context other;
    asio::cancellation_signal cancel;
    const auto send_from = [](websocket_sender h, std::string text) -> awaitable<void> {
        co_await h.send(std::move(text));
    };
    asio::co_spawn(other, send_from(handle, "first: queued"), asio::detached);
    asio::co_spawn(other, send_from(handle, "second: waits"),
                   asio::bind_cancellation_slot(cancel.slot(), asio::detached));
    for (int i = 0; i < 10; ++i) {
        other.poll();
        server.poll();
    }
    cancel.emit(asio::cancellation_type::terminal);
    std::string got;
    for (int i = 0; i < 100; ++i) {
        other.restart();
        other.poll();
        server.poll();
        got += client.received();
    }
    CHECK(got == switching() + server_frame(0x81, std::string(300, 'a')) +
                     server_frame(0x81, "first: queued") + server_frame(0x81, "second: waits"));
    CHECK_FALSE(client.peer_closed());
}

TEST_CASE("review: a send on a temporary handle outlives it") {
    application app;
    websocket_sender handle;
    app.ws_router.add("/feed", [&handle](websocket& ws) -> awaitable<void> {
        co_await ws.accept();
        handle = ws.sender();
        while (co_await ws.receive()) {
        }
    });
    test::memory_server server(app);
    auto client = open_socket(server, "/feed");
    asio::co_spawn(server.context(), websocket_sender(handle).send("from a temporary"),
                   asio::detached);
    server.poll();
    CHECK(client.received() == server_frame(0x81, "from a temporary"));
}

TEST_CASE("review: a handler that never receives is not dropped for an unread pong") {
    application app;
    event done;
    app.ws_router.add("/quiet", [&done](websocket& ws) -> awaitable<void> {
        co_await ws.accept();
        co_await done.wait(); // sends nothing, reads nothing
    });
    test::memory_server server(app);
    auto client = open_socket(server, "/quiet");
    server.sweep(21s);
    CHECK(client.received() == "\x89\x00"s);
    client.send(client_frame(0x8a, "")); // answered, but nobody reads it yet
    server.poll();
    server.sweep(45s);
    CHECK_FALSE(client.peer_closed());
    done.set();
    server.poll();
    CHECK(client.received() == server_frame(0x88, close_payload(1000)));
}

TEST_CASE("review: a socket accepted while the server drains is told 1001 with its 101") {
    application app;
    event gate;
    app.ws_router.add("/late", [&gate](websocket& ws) -> awaitable<void> {
        co_await gate.wait(); // the drain begins while the handler has not accepted yet
        co_await ws.accept();
        while (co_await ws.receive()) {
        }
    });
    test::memory_server server(app);
    auto client = server.connect();
    client.send(upgrade_request("/late"));
    server.poll();
    server.drain(10s);
    gate.set();
    server.poll();
    CHECK(client.received() ==
          switching() + server_frame(0x88, close_payload(1001, "server shutting down")));
}

TEST_CASE("review: a handshake with a body is refused") {
    auto app = echo_app();
    test::memory_server server(app);
    auto client = server.connect();
    client.send(upgrade_request("/echo", "Content-Length: 2\r\n") + "hi");
    server.poll();
    CHECK(client.received().starts_with("HTTP/1.1 400 Bad Request\r\n"));
}

TEST_CASE("review: write_timeout is per 64 KiB piece: a client that keeps reading is not dropped") {
    application app;
    app.ws_router.add("/big", [](websocket& ws) -> awaitable<void> {
        co_await ws.accept();
        co_await ws.send_binary(std::string(300'000, 'b'));
        while (co_await ws.receive()) {
        }
    });
    test::memory_server server(app);
    auto client = server.connect([](testing::stream& s) { s.buffer_limit(64 * 1024); });
    client.send(upgrade_request("/big"));
    server.poll();
    std::string got = client.received(); // the 101 and the first 64 KiB
    // The write started 1.1 s ago; the client now takes more, and a new
    // piece starts.
    server.advance(1100ms);
    while (got.size() < 160'000) {
        server.poll();
        got += client.received();
    }
    server.sweep(9500ms); // 10.6 s after the write began, 9.5 s after the piece did
    CHECK_FALSE(client.peer_closed());
    for (int i = 0; i < 1000 && got.size() < switching().size() + 300'010; ++i) {
        server.poll();
        got += client.received();
    }
    CHECK(got == switching() + server_frame(0x82, std::string(300'000, 'b')));
}

TEST_CASE("write_timeout: a client that takes nothing is dropped by the transport's write "
          "deadline; the handler's receive() sees the socket closed, not a cancellation") {
    application app;
    std::optional<std::uint16_t> ended_with;
    app.ws_router.add("/big", [&](websocket& ws) -> awaitable<void> {
        co_await ws.accept();
        const auto sent = co_await ws.send_binary(std::string(300'000, 'b'));
        CHECK(sent);
        auto m = co_await ws.receive();
        ended_with = m.close_code();
    });
    test::memory_server server(app);
    auto client = server.connect([](testing::stream& s) { s.buffer_limit(64 * 1024); });
    client.send(upgrade_request("/big"));
    server.poll();
    CHECK(client.received().starts_with(switching()));
    server.poll(); // the next piece waits: the client reads nothing more
    server.sweep(9s);
    CHECK_FALSE(ended_with);
    server.sweep(10s); // write_timeout (10 s) since the piece began
    CHECK(ended_with == close_code::abnormal);
    CHECK(server.connections() == 0);
}
