// stream_layer: what a server does with an accepted socket when it is not
// served as it is: TLS makes a tls::stream of it and starts the connection
// on that stream in the registry, where the stream's handshake is the
// connection's first phase (under handshake_timeout, counted against
// max_connections, closed at once by a graceful stop).
// Thread safety: one layer per server, used only on the server's executor.
#pragma once

#include <asio/ip/tcp.hpp>

namespace bareasio {

class connection_registry;

class stream_layer {
public:
    virtual ~stream_layer() = default;
    // Takes an accepted socket and starts its connection in `registry`.
    // Never throws: a socket it cannot take, it closes.
    virtual void accept(asio::ip::tcp::socket socket, connection_registry& registry) noexcept = 0;
};

} // namespace bareasio
