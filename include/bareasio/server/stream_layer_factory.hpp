// stream_layer_factory: makes the stream_layer (server/stream_layer.hpp) of
// one server, one per event loop. Declared apart so that app/serve.hpp names it
// without including Asio's sockets.
// Thread safety: called on the thread that runs app_server::run().
#pragma once

#include <bareasio/server/config.hpp>

#include <asio/any_io_executor.hpp>

#include <functional>
#include <memory>

namespace bareasio {

class stream_layer;

using stream_layer_factory = std::function<std::unique_ptr<stream_layer>(
    const asio::any_io_executor& ex, const server_config& config)>;

} // namespace bareasio
