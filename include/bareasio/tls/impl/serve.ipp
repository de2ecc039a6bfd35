// tls::serve and the handshake layer behind it. Compiled once into
// libbareasio_tls (src/tls.cpp); no header includes it.
#pragma once

#include <bareasio/detail/asio_compat.hpp>
#include <bareasio/detail/log.hpp>
#include <bareasio/serve.hpp>
#include <bareasio/server/connection_registry.hpp>
#include <bareasio/server/stream_layer.hpp>
#include <bareasio/tls/certificate.hpp>
#include <bareasio/tls/serve.hpp>
#include <bareasio/tls/stream.hpp>

#include <asio/co_spawn.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <list>
#include <memory>

namespace bareasio::tls::detail {

// Each accepted socket's handshake, bounded by a timer that closes the
// socket; on success the connection starts on the TLS stream.
class handshake_layer final : public stream_layer {
public:
    handshake_layer(asio::any_io_executor ex, std::shared_ptr<certificate> cert,
                    std::chrono::milliseconds timeout)
        : ex_(std::move(ex)), cert_(std::move(cert)), timeout_(timeout) {
        idle_.set();
    }

    void accept(asio::ip::tcp::socket socket, connection_registry& registry) override {
        auto it = pending_.insert(pending_.end(),
                                  std::make_shared<stream>(std::move(socket), cert_->current()));
        idle_.clear();
        asio::co_spawn(ex_, handshake(*it, registry), [this, it](std::exception_ptr) {
            pending_.erase(it);
            if (pending_.empty()) idle_.set();
        });
    }

    std::size_t pending() const noexcept override { return pending_.size(); }

    asio::awaitable<void> stop() override {
        for (auto& s : pending_) {
            std::error_code ignored;
            s->close(ignored);
        }
        co_await idle_.wait();
    }

private:
    asio::awaitable<void> handshake(std::shared_ptr<stream> s, connection_registry& registry) {
        asio::steady_timer deadline(ex_, timeout_);
        deadline.async_wait([weak = std::weak_ptr<stream>(s)](std::error_code ec) {
            auto alive = weak.lock();
            std::error_code ignored;
            if (!ec && alive) alive->close(ignored); // the time is up
        });
        auto [ec] = co_await s->async_handshake(bareasio::detail::use_tuple);
        deadline.cancel();
        if (ec) {
            std::error_code ignored;
            s->close(ignored);
            co_return;
        }
        registry.start(ex_, std::move(*s));
    }

    asio::any_io_executor ex_;
    std::shared_ptr<certificate> cert_;
    std::chrono::milliseconds timeout_;
    std::list<std::shared_ptr<stream>> pending_;
    event idle_;
};

} // namespace bareasio::tls::detail

namespace bareasio::tls {

int serve(const application& app, server_config config) {
    if (config.tls_cert.empty() && config.tls_key.empty())
        return bareasio::serve(app, std::move(config));
    std::shared_ptr<certificate> cert;
    try {
        cert = std::make_shared<certificate>(config.tls_cert, config.tls_key);
    } catch (const file_error& e) {
        bareasio::detail::log_line(std::string("bareasio: ") + e.what());
        return 2;
    }
    app_server server(app, std::move(config));
    server.handle_signals(true);
    server.use_layer(
        [cert](const asio::any_io_executor& ex, const server_config& c) {
            return std::make_unique<detail::handshake_layer>(ex, cert, c.handshake_timeout);
        },
        "https",
        [cert] {
            auto failure = cert->reload();
            bareasio::detail::log_line(
                failure.empty() ? "bareasio: reloaded the TLS certificate " + cert->cert_file()
                                : "bareasio: " + failure + "; the old certificate stays");
        });
    return server.run();
}

} // namespace bareasio::tls
