// loop_server: the HTTP/1.1 server of one event loop: a listener that accepts
// connections into a registry, a sweeper for their timeouts, and a graceful
// shutdown (stop accepting, drain, close). It knows nothing of routing: it
// calls one http_handler. The application layer (app/serve.hpp) drives it.
// Thread safety: request_stop() is safe from any thread and any signal
// context via Asio; everything else runs on the server's executor.
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/async/task_group.hpp>
#include <bareasio/server/config.hpp>
#include <bareasio/server/connection_registry.hpp>
#include <bareasio/server/stream_layer.hpp>

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <array>
#include <memory>
#include <string>
#include <system_error>

namespace bareasio {

class loop_server {
public:
    loop_server(asio::any_io_executor ex, server_config config, http_handler handler,
                shared_info info = {})
        : ex_(std::move(ex)), config_(std::move(config)), handler_(std::move(handler)),
          acceptor_(ex_), loop_(config_, handler_, std::move(info)), registry_(loop_), tasks_(ex_) {
    }
    loop_server(const loop_server&) = delete;
    loop_server& operator=(const loop_server&) = delete;

    // Binds and listens. Throws std::system_error whose message names the
    // address, e.g. "cannot listen on 127.0.0.1:9009: Address already in use".
    // With `reuse_port` several servers (one per event loop) share the port
    // and the kernel spreads connections among them (SO_REUSEPORT).
    void listen(bool reuse_port = false) {
        bind(acceptor_, config_, reuse_port);
        acceptor_.listen(asio::socket_base::max_listen_connections);
    }

    // Throws as listen() does if a socket already listens on the address,
    // even one that shares it with SO_REUSEPORT: another process (a second
    // instance) must not take half of the connections.
    static void check_address_free(const asio::any_io_executor& ex, const server_config& config) {
        asio::ip::tcp::acceptor probe(ex);
        bind(probe, config, false);
    }

    // Accepted sockets go through `layer` (TLS) before they are served.
    // Call before start().
    void use_layer(std::unique_ptr<stream_layer> layer) { layer_ = std::move(layer); }
    // Connections may switch to `protocol` (HTTP/2) before their first
    // request. Call before start().
    void use_protocol(std::shared_ptr<const second_protocol> protocol) {
        loop_.second = std::move(protocol);
    }

    // The bound port (useful with port 0).
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    const server_config& config() const noexcept { return config_; }
    std::size_t connections() const noexcept { return registry_.size(); }

    // Starts accepting and sweeping; call after listen(). Both run in a
    // task group that shutdown() joins, so none outlives the server.
    void start() {
        tasks_.spawn("accept", [this](stop_token) { return accept_loop(); });
        tasks_.spawn("sweep", [this](stop_token) {
            return registry_.sweep(std::chrono::milliseconds(250));
        });
    }

    // Opens the access log file again (SIGHUP, after logrotate moved it);
    // on failure the old file stays and the failure is logged. Call on the
    // server's executor.
    void reopen_access_log() {
        if (!loop_.access) return;
        if (auto ec = loop_.access->reopen())
            detail::log_line("bareasio: cannot reopen the access log " +
                             loop_.access->destination() + ": " + ec.message() +
                             "; still writing to the old file");
    }

    const asio::any_io_executor& get_executor() const noexcept { return ex_; }

    // Asks the server to stop; the caller of wait_stop_requested() resumes.
    void request_stop() { stop_requested_.set(); }
    asio::awaitable<void> wait_stop_requested() { co_await stop_requested_.wait(); }

    // Graceful shutdown: stop accepting, finish in-flight requests within
    // the drain timeout, close every connection.
    asio::awaitable<void> shutdown() {
        std::error_code ignored;
        acceptor_.close(ignored);
        if (registry_.size() > 0)
            detail::log_line("bareasio: shutting down: draining " +
                             std::to_string(registry_.size()) + " connection(s)");
        co_await registry_.drain(std::chrono::steady_clock::now() + config_.drain_timeout);
        co_await tasks_.join();
    }

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(detail::use_tuple);
            if (!acceptor_.is_open() || loop_.stopping()) co_return;
            if (ec) {
                if (ec == asio::error::operation_aborted) co_return;
                // Out of descriptors and the like: back off instead of spinning.
                asio::steady_timer pause(ex_, std::chrono::milliseconds(50));
                co_await pause.async_wait(detail::use_tuple);
                continue;
            }
            if (connections() >= config_.max_connections) {
                refuse(socket);
                continue;
            }
            std::error_code ignored;
            socket.set_option(asio::ip::tcp::no_delay(true), ignored);
            if (layer_)
                layer_->accept(std::move(socket), registry_);
            else
                registry_.start(ex_, std::move(socket));
        }
    }

    static void bind(asio::ip::tcp::acceptor& acceptor, const server_config& config,
                     bool reuse_port) {
        try {
            asio::ip::tcp::resolver resolver(acceptor.get_executor());
            const auto endpoint = *resolver
                                       .resolve(config.host, std::to_string(config.port),
                                                asio::ip::tcp::resolver::passive |
                                                    asio::ip::tcp::resolver::numeric_service)
                                       .begin();
            acceptor.open(endpoint.endpoint().protocol());
            acceptor.set_option(asio::socket_base::reuse_address(true));
            if (reuse_port)
                acceptor.set_option(
                    asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
            acceptor.bind(endpoint);
        } catch (const std::system_error& e) {
            throw std::system_error(e.code(), "cannot listen on " + config.host + ":" +
                                                  std::to_string(config.port));
        }
    }

    // Past max_connections: a 503, then a lingering close. Closing a socket
    // with the client's request unread sends a reset, and a reset can
    // reach the client before the 503 does; so the server stops sending,
    // then reads and drops what comes (at most 64 KiB, for at most a
    // second) until the client closes, and only then closes. At most 64
    // refusals linger at a time; past that, the 503 is best effort.
    void refuse(asio::ip::tcp::socket& socket) {
        std::error_code ignored;
        if (layer_) { // a 503 in plain text means nothing to a TLS client
            socket.close(ignored);
            return;
        }
        socket.non_blocking(true, ignored);
        socket.write_some(asio::buffer(busy_response), ignored);
        if (refusing_ >= max_refusing) {
            socket.close(ignored);
            return;
        }
        ++refusing_;
        tasks_.spawn("refuse", [this, s = std::move(socket)](stop_token) mutable {
            return linger(std::move(s));
        });
    }

    // A refused socket and the timer that ends its lingering; the timer's
    // handler shares them, so it may run after the coroutine has ended.
    struct lingering {
        lingering(asio::ip::tcp::socket s, const asio::any_io_executor& ex)
            : socket(std::move(s)), deadline(ex, std::chrono::seconds(1)) {}
        asio::ip::tcp::socket socket;
        asio::steady_timer deadline;
    };

    asio::awaitable<void> linger(asio::ip::tcp::socket socket) {
        auto l = std::make_shared<lingering>(std::move(socket), ex_);
        std::error_code ignored;
        l->socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        l->deadline.async_wait([l](std::error_code ec) {
            std::error_code ignored;
            if (!ec) l->socket.cancel(ignored); // the second passed
        });
        std::array<char, 4096> dropped;
        for (std::size_t read = 0; read < 64 * 1024;) {
            auto [ec, n] =
                co_await l->socket.async_read_some(asio::buffer(dropped), detail::use_tuple);
            if (ec) break; // the client closed (EOF), reset, or the second passed
            read += n;
        }
        l->deadline.cancel();
        l->socket.close(ignored);
        --refusing_;
    }

    static constexpr std::string_view busy_response =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 28\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        "too many connections; retry\n";
    static constexpr unsigned max_refusing = 64;

    asio::any_io_executor ex_;
    server_config config_;
    http_handler handler_;
    asio::ip::tcp::acceptor acceptor_;
    loop_context loop_;
    connection_registry registry_;
    std::unique_ptr<stream_layer> layer_; // none: sockets are served as they are
    event stop_requested_;
    unsigned refusing_ = 0; // lingering refusals
    task_group tasks_;      // last: its tasks use the members above
};

} // namespace bareasio
