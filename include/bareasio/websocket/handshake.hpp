// The WebSocket opening handshake (RFC 6455 §4.2), server side: whether a
// request asks for a WebSocket, whether it asks correctly, and the 101
// response that accepts it.
//     if (is_websocket_request(req.headers())) {
//         if (auto refused = refuse_handshake(req)) return *refused; // 400 or 426
//         write_accept_response(out, *req.headers().get("sec-websocket-key"), "chat", "", {});
//     }
// Thread safety: pure functions.
#pragma once

#include <bareasio/http/header_list.hpp>
#include <bareasio/http/request.hpp>
#include <bareasio/http/response.hpp>
#include <bareasio/http/writers.hpp>
#include <bareasio/websocket/detail/sha1.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bareasio {

// Upgrade: websocket with Connection: upgrade (in any case, among other tokens).
inline bool is_websocket_request(const header_list& headers) {
    bool upgrade = false, connection = false;
    for (const auto& f : headers) {
        if (iequals(f.name, "upgrade") && contains_token(f.value, "websocket")) upgrade = true;
        if (iequals(f.name, "connection") && contains_token(f.value, "upgrade")) connection = true;
    }
    return upgrade && connection;
}

// The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key.
inline std::string websocket_accept_key(std::string_view key) {
    detail::sha1 hash;
    hash.update(key);
    hash.update("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    const auto digest = hash.finish();
    return detail::base64_encode(digest.data(), digest.size());
}

// A key is the base64 of 16 bytes: 22 characters of the alphabet and "==".
inline bool valid_websocket_key(std::string_view key) noexcept {
    if (key.size() != 24 || key.substr(22) != "==") return false;
    for (const char c : key.substr(0, 22)) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (!ok) return false;
    }
    return true;
}

// How many fields named `name` the headers hold.
inline std::size_t count_fields(const header_list& headers, std::string_view name) noexcept {
    std::size_t n = 0;
    for (const auto& f : headers)
        n += iequals(f.name, name) ? 1 : 0;
    return n;
}

// Why a WebSocket request cannot be accepted, as the response it gets: 426
// with Sec-WebSocket-Version: 13 for another version (RFC 6455 §4.4), 400
// for a request that is not GET over HTTP/1.1, has a body, lacks a valid
// key, or repeats the key or the version (RFC 6455 §11.3.1, §11.3.5).
inline std::optional<response> refuse_handshake(const request& req) {
    const auto text = [](int status, std::string_view message) {
        return response(status, {}, text_writer(std::string(message) + "\n"));
    };
    if (req.method() != "GET" || req.version() < 11)
        return text(400, "a WebSocket handshake is a GET request over HTTP/1.1");
    if (count_fields(req.headers(), "sec-websocket-key") > 1 ||
        count_fields(req.headers(), "sec-websocket-version") > 1)
        return text(400, "Sec-WebSocket-Key and Sec-WebSocket-Version may appear only once");
    // Bytes after the head are frames: a body would be read as one.
    if (req.head().chunked || req.head().content_length.value_or(0) != 0)
        return text(400, "a WebSocket handshake has no body");
    const auto version = req.headers().get("sec-websocket-version");
    if (!version || trim_ows(*version) != "13") {
        response res = text(426, "this server speaks WebSocket version 13");
        res.headers.add("sec-websocket-version", "13");
        return res;
    }
    const auto key = req.headers().get("sec-websocket-key");
    if (!key || !valid_websocket_key(trim_ows(*key)))
        return text(400, "missing or malformed Sec-WebSocket-Key");
    return std::nullopt;
}

// The subprotocols a client offers (Sec-WebSocket-Protocol, in its order).
inline std::vector<std::string_view> offered_subprotocols(const header_list& headers) {
    std::vector<std::string_view> offered;
    for (const auto& f : headers) {
        if (!iequals(f.name, "sec-websocket-protocol")) continue;
        std::string_view list = f.value;
        while (!list.empty())
            if (const auto item = next_list_item(list); !item.empty()) offered.push_back(item);
    }
    return offered;
}

// Appends the 101 response to `out`; `extra` holds the handler's headers
// (each "Name: value\r\n"-ready field) and the negotiated extension.
inline void write_accept_response(std::string& out, std::string_view key,
                                  std::string_view subprotocol, std::string_view extensions,
                                  const header_list& extra) {
    out += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Accept: ";
    out += websocket_accept_key(key);
    out += "\r\n";
    const auto field = [&out](std::string_view name, std::string_view value) {
        if (name.find_first_of("\r\n:") != std::string_view::npos ||
            value.find_first_of("\r\n") != std::string_view::npos)
            throw std::invalid_argument("websocket: a header field with CR, LF or a colon in it");
        out.append(name).append(": ").append(value).append("\r\n");
    };
    if (!subprotocol.empty()) field("Sec-WebSocket-Protocol", subprotocol);
    if (!extensions.empty()) field("Sec-WebSocket-Extensions", extensions);
    for (const auto& f : extra)
        field(f.name, f.value);
    out += "\r\n";
}

} // namespace bareasio
