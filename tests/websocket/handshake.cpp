// The opening handshake: Sec-WebSocket-Accept (RFC 6455 §1.3's example and
// SHA-1's own test vectors), what asks for a WebSocket, and what is refused.
#include <bareasio/websocket/handshake.hpp>

#include "../support/doctest.hpp"

using namespace bareasio;

TEST_CASE("accept key: RFC 6455 §1.3; SHA-1 of FIPS 180's 'abc' and a two-block message") {
    CHECK(websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    const auto hex = [](std::string_view text) {
        detail::sha1 h;
        h.update(text);
        std::string out;
        for (const unsigned char c : h.finish()) {
            out += "0123456789abcdef"[c >> 4];
            out += "0123456789abcdef"[c & 15];
        }
        return out;
    };
    CHECK(hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    CHECK(hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST_CASE("requests: Upgrade websocket with Connection upgrade, among other tokens") {
    CHECK(is_websocket_request({{"Upgrade", "websocket"}, {"Connection", "Upgrade"}}));
    CHECK(is_websocket_request({{"upgrade", "WebSocket"}, {"connection", "keep-alive, upgrade"}}));
    CHECK_FALSE(is_websocket_request({{"Upgrade", "h2c"}, {"Connection", "Upgrade"}}));
    CHECK_FALSE(is_websocket_request({{"Upgrade", "websocket"}}));
    CHECK(valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));
    CHECK_FALSE(valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ="));  // not 16 bytes
    CHECK_FALSE(valid_websocket_key("dGhlIHNhbXBsZSBub25j*Q==")); // not base64
}

TEST_CASE("refusals: not GET, not HTTP/1.1, another version, no key") {
    const auto status = [](std::string method, unsigned version, std::string ws_version,
                           std::string key) {
        request_head head;
        head.method = std::move(method);
        head.target = "/ws";
        head.version = version;
        head.headers.add("Sec-WebSocket-Version", ws_version);
        if (!key.empty()) head.headers.add("Sec-WebSocket-Key", key);
        const auto refused = refuse_handshake(request(std::move(head)));
        return refused ? refused->status : 0;
    };
    const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
    CHECK(status("GET", 11, "13", key) == 0);
    CHECK(status("POST", 11, "13", key) == 400);
    CHECK(status("GET", 10, "13", key) == 400);
    CHECK(status("GET", 11, "8", key) == 426);
    CHECK(status("GET", 11, "13", "") == 400);
    CHECK(offered_subprotocols(
              {{"Sec-WebSocket-Protocol", "a, b"}, {"sec-websocket-protocol", "c"}}) ==
          std::vector<std::string_view>{"a", "b", "c"});
}
