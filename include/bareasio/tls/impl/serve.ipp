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
#include <bareasio/tls/server.hpp>
#include <bareasio/tls/stream.hpp>

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

#include <list>
#include <memory>
#include <optional>

namespace bareasio::tls::detail {

// One accepted socket on its way to a connection: the plain socket until
// the client sends its first bytes, then the TLS stream in its handshake.
struct handshake_state {
    explicit handshake_state(asio::ip::tcp::socket s) : socket(std::move(s)) {}

    void close() noexcept {
        std::error_code ignored;
        if (tls)
            tls->close(ignored);
        else
            socket.close(ignored);
    }

    asio::ip::tcp::socket socket;
    std::optional<stream> tls;
};

// Each accepted socket's handshake, bounded by a timer that closes the
// socket; on success the connection starts on the TLS stream.
class handshake_layer final : public stream_layer {
public:
    handshake_layer(asio::any_io_executor ex, std::shared_ptr<certificate> cert,
                    std::chrono::milliseconds timeout)
        : ex_(std::move(ex)), cert_(std::move(cert)), timeout_(timeout) {
        idle_.set();
    }

    // Never throws: a socket that cannot be taken (out of memory) is closed,
    // and the server goes on accepting.
    void accept(asio::ip::tcp::socket socket, connection_registry& registry) noexcept override {
        try {
            auto it = pending_.insert(pending_.end(),
                                      std::make_shared<handshake_state>(std::move(socket)));
            idle_.clear();
            try {
                asio::co_spawn(ex_, handshake(*it, registry), [this, it](std::exception_ptr e) {
                    if (e)
                        bareasio::detail::log_line("bareasio: TLS handshake failed: " +
                                                   bareasio::detail::describe(e));
                    forget(it);
                });
            } catch (...) {
                forget(it);
                throw;
            }
        } catch (const std::exception& e) {
            bareasio::detail::log_line(std::string("bareasio: cannot take a connection: ") +
                                       e.what());
        }
    }

    std::size_t pending() const noexcept override { return pending_.size(); }

    asio::awaitable<void> stop() override {
        for (auto& s : pending_)
            s->close();
        co_await idle_.wait();
    }

private:
    using entry = std::list<std::shared_ptr<handshake_state>>::iterator;

    void forget(entry it) noexcept {
        pending_.erase(it);
        if (pending_.empty()) idle_.set();
    }

    asio::awaitable<void> handshake(std::shared_ptr<handshake_state> s,
                                    connection_registry& registry) {
        asio::steady_timer deadline(ex_, timeout_);
        deadline.async_wait([weak = std::weak_ptr<handshake_state>(s)](std::error_code ec) {
            if (auto alive = weak.lock(); alive && !ec) alive->close(); // the time is up
        });
        // The TLS stream (an SSL object, OpenSSL's record buffers and our
        // 16 KiB input) is built once the client has sent something: until
        // then a silent connection costs a socket, as over plain HTTP.
        auto [waited] = co_await s->socket.async_wait(asio::socket_base::wait_read,
                                                      bareasio::detail::use_tuple);
        if (waited || !s->socket.is_open()) co_return;
        s->tls.emplace(std::move(s->socket), cert_->current());
        auto [ec] = co_await s->tls->async_handshake(bareasio::detail::use_tuple);
        deadline.cancel();
        if (ec) {
            s->close();
            co_return;
        }
        registry.start(ex_, std::move(*s->tls));
    }

    asio::any_io_executor ex_;
    std::shared_ptr<certificate> cert_;
    std::chrono::milliseconds timeout_;
    std::list<std::shared_ptr<handshake_state>> pending_;
    event idle_;
};

} // namespace bareasio::tls::detail

namespace bareasio::tls {

struct server::impl {
    impl(const application& app, server_config config)
        : cert(load(config)), http(app, std::move(config)) {
        if (!cert) return;
        http.use_layer(
            [c = cert](const asio::any_io_executor& ex, const server_config& conf) {
                return std::make_unique<detail::handshake_layer>(ex, c, conf.handshake_timeout);
            },
            "https", [this] { reload_in_background(); });
    }

    // SIGHUP, from the event loop: the files are read and parsed on the
    // reload thread, so a slow disk or a large file never stalls serving.
    void reload_in_background() {
        asio::post(reloader, [this] { reload(); });
    }
    static asio::awaitable<std::string> reload_on(impl* self) { co_return self->reload(); }

    static std::shared_ptr<certificate> load(const server_config& config) {
        if (config.tls_cert.empty() && config.tls_key.empty()) return nullptr;
        return std::make_shared<certificate>(config.tls_cert, config.tls_key);
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
    : impl_(std::make_unique<impl>(app, std::move(config))) {}
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
    std::optional<server> https;
    try {
        https.emplace(app, std::move(config));
    } catch (const std::exception& e) { // file_error names the file
        bareasio::detail::log_line(std::string("bareasio: ") + e.what());
        return 2;
    }
    https->handle_signals(true);
    return https->run();
}

} // namespace bareasio::tls
