// tls::serve and the layer behind it. Compiled once into
// libbareasio_tls (src/tls.cpp); no header includes it.
#pragma once

#include <bareasio/app/serve.hpp>
#include <bareasio/detail/asio_compat.hpp>
#include <bareasio/detail/log.hpp>
#include <bareasio/server/connection_registry.hpp>
#include <bareasio/server/second_protocol.hpp>
#include <bareasio/server/stream_layer.hpp>
#include <bareasio/tls/certificate.hpp>
#include <bareasio/tls/serve.hpp>
#include <bareasio/tls/server.hpp>
#include <bareasio/tls/stream.hpp>

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

#include <memory>
#include <optional>

namespace bareasio::tls::detail {

// Each accepted socket becomes a tls::stream with the current certificate;
// its handshake is its connection's first phase (server/connection.hpp).
class tls_layer final : public stream_layer {
public:
    tls_layer(asio::any_io_executor ex, std::shared_ptr<certificate> cert)
        : ex_(std::move(ex)), cert_(std::move(cert)) {}

    // Never throws: a socket that cannot be taken (out of memory) is closed,
    // and the server goes on accepting.
    void accept(asio::ip::tcp::socket socket, connection_registry& registry) noexcept override {
        try {
            registry.start(ex_, stream(std::move(socket), cert_->current()));
        } catch (const std::exception& e) {
            bareasio::detail::log_line(std::string("bareasio: cannot take a connection: ") +
                                       e.what());
        }
    }

private:
    asio::any_io_executor ex_;
    std::shared_ptr<certificate> cert_;
};

} // namespace bareasio::tls::detail

namespace bareasio::tls {

struct server::impl {
    impl(const application& app, server_config config,
         std::shared_ptr<const second_protocol> second)
        : cert(load(config, second)), http(app, std::move(config)) {
        if (second) http.use_protocol(std::move(second));
        if (!cert) return;
        http.use_layer(
            [c = cert](const asio::any_io_executor& ex, const server_config&) {
                return std::make_unique<detail::tls_layer>(ex, c);
            },
            "https", [this] { reload_in_background(); });
    }

    // SIGHUP, from the event loop: the files are read and parsed on the
    // reload thread, so a slow disk or a large file never stalls serving.
    void reload_in_background() {
        asio::post(reloader, [this] { reload(); });
    }
    static asio::awaitable<std::string> reload_on(impl* self) { co_return self->reload(); }

    static std::shared_ptr<certificate> load(const server_config& config,
                                             const std::shared_ptr<const second_protocol>& second) {
        if (config.tls_cert.empty() && config.tls_key.empty()) return nullptr;
        const bool h2 = second && second->alpn() == "h2";
        return std::make_shared<certificate>(config.tls_cert, config.tls_key,
                                             h2 ? certificate::offers::h2_and_http1
                                                : certificate::offers::http1);
    }

    std::string reload() {
        if (!cert) return "no TLS certificate is configured";
        auto failure = cert->reload();
        bareasio::detail::log_line(
            failure.empty() ? "bareasio: reloaded the TLS certificate " + cert->cert_file()
                            : "bareasio: " + failure + "; the old certificate stays");
        return failure;
    }

    std::shared_ptr<certificate> cert; // none: plain HTTP
    app_server http;
    // Reloads run here; destroyed first, so a reload under way ends (joined)
    // before what it uses goes.
    asio::thread_pool reloader{1};
};

server::server(const application& app, server_config config)
    : impl_(std::make_unique<impl>(app, std::move(config), nullptr)) {}
server::server(const application& app, server_config config,
               std::shared_ptr<const second_protocol> second)
    : impl_(std::make_unique<impl>(app, std::move(config), std::move(second))) {}
server::~server() = default;

void server::handle_signals(bool on) noexcept {
    impl_->http.handle_signals(on);
}
int server::run() {
    return impl_->http.run();
}
void server::request_stop() {
    impl_->http.request_stop();
}
std::uint16_t server::wait_until_listening() {
    return impl_->http.wait_until_listening();
}
std::string server::reload_certificate() {
    return impl_->reload();
}
asio::awaitable<std::string> server::async_reload_certificate() {
    co_return co_await asio::co_spawn(impl_->reloader, impl::reload_on(impl_.get()),
                                      asio::use_awaitable);
}

int serve(const application& app, server_config config) {
    return serve(app, std::move(config), nullptr);
}

int serve(const application& app, server_config config,
          std::shared_ptr<const second_protocol> second) {
    std::optional<server> https;
    try {
        https.emplace(app, std::move(config), std::move(second));
    } catch (const std::exception& e) { // file_error names the file
        bareasio::detail::log_line(std::string("bareasio: ") + e.what());
        return 2;
    }
    https->handle_signals(true);
    return https->run();
}

} // namespace bareasio::tls
