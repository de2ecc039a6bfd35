// tls::server: app_server (serve.hpp) with HTTPS, for a program that runs
// the server itself and reloads its certificate by a call, not only by
// SIGHUP: after a renewal hook, from an admin route, on a file watch.
//     tls::server server(app, config);     // throws when the files cannot be used
//     std::thread t([&] { server.run(); });
//     auto failure = server.reload_certificate(); // empty: new handshakes use it
//     co_await server.async_reload_certificate(); // from a handler: off the event loop
// Without a certificate and key in the config it serves plain HTTP.
// Link: libbareasio_tls and OpenSSL (meson: bareasio_tls_dep).
// Thread safety: run() on one thread; request_stop(), wait_until_listening()
// and both reloads from any thread.
#pragma once

#include <bareasio/app/application.hpp>
#include <bareasio/server/config.hpp>
#include <bareasio/tls/file_error.hpp>

#include <asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace bareasio {
class second_protocol;
}

namespace bareasio::tls {

class server {
public:
    // Loads config.tls_cert and config.tls_key. Throws tls::file_error
    // naming a file that cannot be read or used (std::runtime_error if
    // OpenSSL refuses our defaults).
    server(const application& app, server_config config);
    // The same, also serving `second` (HTTP/2: h2::serve passes it): ALPN
    // offers its name first, and cleartext clients may open with its preface.
    server(const application& app, server_config config,
           std::shared_ptr<const second_protocol> second);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // As app_server's (serve.hpp): SIGINT/SIGTERM stop gracefully, and
    // SIGHUP also reloads the certificate.
    void handle_signals(bool on) noexcept;
    int run();
    void request_stop();
    std::uint16_t wait_until_listening();

    // Reads the certificate and key files again: new handshakes use them,
    // open connections keep theirs. Returns why it failed (the old
    // certificate stays), or an empty string. Logged either way. It reads
    // and parses on the calling thread: from a handler, use the awaitable
    // form, which does it on the server's reload thread (as SIGHUP does)
    // and resumes the caller on its own executor.
    std::string reload_certificate();
    asio::awaitable<std::string> async_reload_certificate();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace bareasio::tls
