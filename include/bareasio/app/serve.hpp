// serve(app, config): run an application until SIGINT or SIGTERM, the way
// uvicorn runs an ASGI app. In order: startup handlers (on the server's
// executor, before the listener accepts), listen, serve, then on a signal or
// request_stop(): stop accepting, drain in-flight requests (Connection:
// close), run shutdown handlers in reverse, stop and join every service.
// A second signal exits at once; SIGHUP opens the access log file again
// (logrotate) and never stops the server; SIGPIPE is ignored. Exit codes:
// 0 clean, 1 shutdown not clean, 2 cannot listen (the address is in use,
// also by another process that shares it with SO_REUSEPORT) or a bad
// config entry (more than max_threads loops), 3 a startup handler failed,
// 128+N a second signal N.
// With config.threads = N, N event loops serve, each with its own
// SO_REUSEPORT listener; lifespan handlers run once, on loop 0 (the thread
// that called run()). app_server is the same, embeddable: run() on one
// thread, request_stop() and wait_until_listening() from any other.
// Separate compilation: by default everything here is inline, header-only.
// Define BAREASIO_SEPARATE_COMPILATION (meson: bareasio_separate_dep) and
// the server's code is compiled once, into the bareasio library
// (src/bareasio.cpp), instead of in every program that calls serve(): the
// same program, much faster to rebuild (benchmarks/RESULTS.md).
#pragma once

#include <bareasio/app/application.hpp>
#include <bareasio/async/event.hpp>
#include <bareasio/detail/config.hpp>
#include <bareasio/server/config.hpp>
#include <bareasio/server/stream_layer_factory.hpp>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace bareasio {

class loop_server;
class second_protocol;
class task_group;

class app_server {
public:
    app_server(const application& app, server_config config)
        : app_(app), config_(std::move(config)) {}
    app_server(const app_server&) = delete;
    app_server& operator=(const app_server&) = delete;

    // Whether run() turns SIGINT/SIGTERM into a graceful stop (serve() does).
    void handle_signals(bool on) noexcept { handle_signals_ = on; }

    // Accepted sockets go through a layer made by `factory` for each loop
    // (TLS: tls::serve does this); the banner says `scheme`, and SIGHUP
    // also calls `on_sighup` (reloading a certificate). Call before run().
    void use_layer(stream_layer_factory factory, std::string scheme,
                   std::function<void()> on_sighup) {
        layer_factory_ = std::move(factory);
        scheme_ = std::move(scheme);
        on_sighup_ = std::move(on_sighup);
    }

    // Connections may switch to `protocol` (HTTP/2: h2::serve does this)
    // before their first request. Call before run().
    void use_protocol(std::shared_ptr<const second_protocol> protocol) {
        protocol_ = std::move(protocol);
    }

    // Runs the whole lifespan on the calling thread, which is event loop 0;
    // config.threads - 1 more loops run on threads of their own. Returns the
    // exit code.
    BAREASIO_DECL int run();

    // Asks a running (or about to run) server to stop gracefully. Safe from
    // any thread.
    void request_stop() { stop_.set(); }

    // Blocks until the server listens; returns its port, or 0 if it never
    // will (startup or listen failed).
    BAREASIO_DECL std::uint16_t wait_until_listening();

private:
    using loop_list = std::vector<std::unique_ptr<asio::io_context>>;
    using server_list = std::vector<std::unique_ptr<loop_server>>;
    using signal_set = asio::signal_set;

    BAREASIO_DECL asio::awaitable<void> main(int& exit_code, const loop_list& loops);
    BAREASIO_DECL void listen_all(server_list& servers, const loop_list& loops);
    BAREASIO_DECL asio::awaitable<void> shutdown_all(server_list& servers, const loop_list& loops);
    BAREASIO_DECL asio::awaitable<void> finish(task_group& services,
                                               std::optional<signal_set>& signals);
    BAREASIO_DECL void watch_signals(signal_set& signals);
    BAREASIO_DECL void reopen_access_logs();
    BAREASIO_DECL void set_listening(std::uint16_t port);

    const application& app_;
    server_config config_;
    bool handle_signals_ = false;
    stream_layer_factory layer_factory_; // none: sockets are served as they are
    std::string scheme_ = "http";
    std::shared_ptr<const second_protocol> protocol_; // none: HTTP/1.1 only
    std::function<void()> on_sighup_;
    event stop_;
    std::mutex mutex_;
    std::condition_variable ready_;
    bool listening_decided_ = false;
    std::uint16_t port_ = 0;
    bool signalled_ = false;         // a first SIGINT/SIGTERM came (loop 0 only)
    server_list* servers_ = nullptr; // while serving (loop 0 only)
};

// Serves `app` until SIGINT/SIGTERM; returns the process exit code.
BAREASIO_DECL int serve(const application& app, server_config config = {});

} // namespace bareasio

#if !defined(BAREASIO_SEPARATE_COMPILATION)
#include <bareasio/app/impl/serve.ipp>
#endif
