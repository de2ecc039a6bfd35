// message_compression: how a WebSocket extension that compresses messages
// (permessage-deflate, websocket/deflate.hpp) plugs into a socket, without
// this header or the server depending on zlib. A negotiator is set in
// websocket_options::compression; at accept() it reads the client's offer
// and either declines (null) or returns the socket's compression and the
// Sec-WebSocket-Extensions value that accepts it.
// Thread safety: a negotiator is called from any loop at once (keep it
// stateless); a message_compression belongs to one socket, on its loop.
#pragma once

#include <bareasio/http/header_list.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace bareasio {

class message_compression {
public:
    enum class result { ok, corrupt, too_big };

    virtual ~message_compression() = default;

    // Appends the decompressed bytes of one piece of a compressed message
    // to `out`, `end` with its last piece; `out` may not grow past `most`.
    virtual result decompress(std::string_view piece, bool end, std::string& out,
                              std::size_t most) = 0;
    // Whether a message of `size` bytes is worth compressing.
    virtual bool worth_compressing(std::size_t size) const noexcept = 0;
    // The compressed payload of a whole message, appended to `out`.
    virtual void compress(std::string_view message, std::string& out) = 0;
};

// Given the request's headers: null to decline, or the socket's
// compression with the response's extension value in `accepted`.
using compression_negotiator =
    std::function<std::unique_ptr<message_compression>(const header_list&, std::string& accepted)>;

} // namespace bareasio
