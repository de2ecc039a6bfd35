// permessage-deflate (RFC 7692): the offer's grammar, the negotiated
// response, and messages compressed and decompressed byte for byte as the
// RFC's examples show them, through the real connection.
#include <bareasio/websocket/deflate.hpp>

#include "../support/doctest.hpp"
#include "../support/memory_server.hpp"
#include "websocket_frames.hpp"

#include <string>

using namespace bareasio;
using namespace std::string_literals;
using namespace test::ws;

namespace {

std::string negotiated(std::string_view offer, deflate_options options = {}) {
    header_list headers;
    headers.add("Sec-WebSocket-Extensions", offer);
    std::string accepted;
    auto got = detail::negotiate_deflate(options, headers, accepted);
    return got ? accepted : "declined";
}

application deflate_echo(deflate_options options = {}) {
    application app;
    app.ws_router.options.compression = permessage_deflate(options);
    app.ws_router.add("/echo", [](websocket& ws) -> awaitable<void> {
        co_await ws.accept();
        while (auto m = co_await ws.receive())
            co_await ws.send(m);
    });
    return app;
}

// Opens a socket that offers permessage-deflate, and checks it was accepted.
testing::stream open_deflate_socket(test::memory_server& server) {
    auto client = server.connect();
    client.send(upgrade_request("/echo", "Sec-WebSocket-Extensions: permessage-deflate\r\n"));
    server.poll();
    CHECK(client.received() == switching("Sec-WebSocket-Extensions: permessage-deflate\r\n"));
    return client;
}

} // namespace

TEST_CASE("offers: parameters as RFC 7692 §7.1 defines them; a bad offer is declined") {
    CHECK(negotiated("permessage-deflate") == "permessage-deflate");
    CHECK(negotiated("permessage-deflate; client_max_window_bits") ==
          "permessage-deflate; client_max_window_bits=12");
    CHECK(negotiated("permessage-deflate; client_max_window_bits=10") ==
          "permessage-deflate; client_max_window_bits=10");
    CHECK(negotiated("permessage-deflate; server_max_window_bits=10") ==
          "permessage-deflate; server_max_window_bits=10");
    CHECK(negotiated("permessage-deflate; server_max_window_bits=\"15\"") ==
          "permessage-deflate; server_max_window_bits=12");
    CHECK(negotiated("permessage-deflate;server_no_context_takeover;client_no_context_takeover") ==
          "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    CHECK(negotiated("x-webkit-deflate-frame") == "declined");
    CHECK(negotiated("permessage-deflate; unknown") == "declined");
    CHECK(negotiated("permessage-deflate; server_max_window_bits") == "declined"); // needs a value
    CHECK(negotiated("permessage-deflate; server_max_window_bits=16") == "declined");
    CHECK(negotiated("permessage-deflate; server_no_context_takeover=1") == "declined");
    CHECK(
        negotiated("permessage-deflate; client_no_context_takeover; client_no_context_takeover") ==
        "declined");
    // zlib cannot compress with a 256-byte window: that offer is declined, the next taken.
    CHECK(negotiated("permessage-deflate; server_max_window_bits=8, permessage-deflate") ==
          "permessage-deflate");
    deflate_options reset;
    reset.server_no_context_takeover = true;
    CHECK(negotiated("permessage-deflate", reset) ==
          "permessage-deflate; server_no_context_takeover");
    CHECK_THROWS_AS(permessage_deflate({.server_max_window_bits = 8}), std::invalid_argument);
}

TEST_CASE("messages: RFC 7692 §7.2.3's 'Hello', compressed, then again with the context kept") {
    auto app = deflate_echo({.min_size = 0});
    test::memory_server server(app);
    auto client = open_deflate_socket(server);
    // §7.2.3.1: "Hello" in one compressed frame.
    const std::string hello = "\xf2\x48\xcd\xc9\xc9\x07\x00"s;
    client.send(client_frame(0xc1, hello));
    server.poll();
    CHECK(client.received() == server_frame(0xc1, hello));
    // §7.2.3.2: the same again, using the first as context.
    client.send(client_frame(0xc1, "\xf2\x00\x11\x00\x00"s));
    server.poll();
    CHECK(client.received() == server_frame(0xc1, "\xf2\x00\x11\x00\x00"s));
    // §7.2.3.1, fragmented: the compressed bytes split across two frames.
    client.send(client_frame(0x41, "\xf2\x48\xcd"s) + client_frame(0x80, "\xc9\xc9\x07\x00"s));
    server.poll();
    CHECK(client.received() == server_frame(0xc1, "\x02\x13\x00\x00"s)); // a third "Hello"
    // An uncompressed message beside them (RSV1 clear), compressed back.
    client.send(client_frame(0x81, "plain"));
    server.poll();
    CHECK(client.received() == server_frame(0xc1, "\x2a\xc8\x49\xcc\xcc\x03\x00"s));
}

TEST_CASE("messages: with no context takeover each message stands alone") {
    auto app = deflate_echo({.server_no_context_takeover = true, .min_size = 0});
    test::memory_server server(app);
    auto client = server.connect();
    client.send(upgrade_request("/echo", "Sec-WebSocket-Extensions: permessage-deflate; "
                                         "client_no_context_takeover\r\n"));
    server.poll();
    CHECK(client.received() ==
          switching("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
                    "client_no_context_takeover\r\n"));
    const std::string hello = "\xf2\x48\xcd\xc9\xc9\x07\x00"s;
    for (int i = 0; i < 2; ++i) {
        client.send(client_frame(0xc1, hello));
        server.poll();
        CHECK(client.received() == server_frame(0xc1, hello));
    }
}

TEST_CASE("errors: RSV1 without the extension, on a continuation, corrupt data, a zip bomb") {
    {
        application app;
        app.ws_router.add("/echo", [](websocket& ws) -> awaitable<void> {
            co_await ws.accept();
            while (co_await ws.receive()) {
            }
        });
        test::memory_server server(app);
        auto client = server.connect();
        client.send(upgrade_request("/echo", "Sec-WebSocket-Extensions: permessage-deflate\r\n"));
        server.poll();
        CHECK(client.received() == switching()); // not configured: declined
        client.send(client_frame(0xc1, "\xf2\x48\xcd\xc9\xc9\x07\x00"s));
        server.poll();
        CHECK(client.received() == server_frame(0x88, close_payload(1002, "reserved bit set")));
    }
    // 100,000 zeros in about a hundred bytes, against a limit of 1,000.
    std::string bomb;
    detail::deflate_compression(deflate_options{}, 15, 15, false, false)
        .compress(std::string(100000, '\0'), bomb);
    CHECK(bomb.size() < 200);
    struct bad {
        const char* what;
        std::string bytes;
        std::string close;
    };
    const bad cases[] = {
        {"RSV1 on a continuation", client_frame(0x41, "\xf2\x48"s) + client_frame(0xc0, "\xcd"s),
         close_payload(1002, "reserved bit set on a continuation frame")},
        {"corrupt", client_frame(0xc1, "\xff\xff\xff\xff"s),
         close_payload(1007, "compressed data is corrupt")},
        {"bomb", client_frame(0xc2, bomb),
         close_payload(1009, "message larger than the server accepts")},
    };
    for (const auto& c : cases) {
        CAPTURE(std::string(c.what));
        auto app = deflate_echo({.min_size = 0});
        app.ws_router.options.max_message_bytes = 1000;
        test::memory_server server(app);
        auto client = open_deflate_socket(server);
        client.send(c.bytes);
        server.poll();
        CHECK(client.received() == server_frame(0x88, c.close));
        CHECK(client.peer_closed());
    }
}

TEST_CASE("limits: a compressed message of exactly max_message_bytes is whole; one more is 1009") {
    for (const std::size_t size : {std::size_t{1000}, std::size_t{1001}}) {
        CAPTURE(size);
        auto app = deflate_echo({.min_size = 100000}); // echoes go back uncompressed
        app.ws_router.options.max_message_bytes = 1000;
        test::memory_server server(app);
        auto client = open_deflate_socket(server);
        std::string compressed;
        detail::deflate_compression(deflate_options{}, 15, 15, false, false)
            .compress(std::string(size, 'z'), compressed);
        client.send(client_frame(0xc2, compressed));
        server.poll();
        CHECK(client.received() ==
              (size == 1000
                   ? server_frame(0x82, std::string(size, 'z'))
                   : server_frame(0x88,
                                  close_payload(1009, "message larger than the server accepts"))));
    }
}
