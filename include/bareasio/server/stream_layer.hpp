// stream_layer: what a server does with an accepted socket before serving
// it, when it is not served as it is: TLS makes a stream of it (the
// handshake), then starts the connection on that stream. A layer's
// sockets in progress count against max_connections, and a server's
// shutdown stops its layer first (what is in progress is dropped).
// Thread safety: one layer per server, used only on the server's executor.
#pragma once

#include <bareasio/server/config.hpp>
#include <bareasio/server/stream_layer_factory.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <cstddef>
#include <memory>

namespace bareasio {

class connection_registry;

class stream_layer {
public:
    virtual ~stream_layer() = default;
    // Takes an accepted socket; on success starts its connection in
    // `registry`. Never throws: a socket it cannot take, it closes.
    virtual void accept(asio::ip::tcp::socket socket, connection_registry& registry) noexcept = 0;
    // Sockets taken and not yet handed to the registry.
    virtual std::size_t pending() const noexcept = 0;
    // Drops what is in progress and waits until it is gone.
    virtual asio::awaitable<void> stop() = 0;
};

} // namespace bareasio
