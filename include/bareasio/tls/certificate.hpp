// tls::certificate: a server's certificate chain and private key (PEM
// files), loaded into an OpenSSL context with our defaults, and loaded
// again on reload() without disturbing the connections that use the old one.
//     auto cert = std::make_shared<tls::certificate>("cert.pem", "key.pem"); // throws file_error
//     auto ctx = cert->current();   // for the next handshake
//     cert->reload();               // SIGHUP: new handshakes use the new files
// Defaults (Mozilla's "intermediate"): TLS 1.2 and 1.3 only; for TLS 1.2,
// ECDHE with AES-GCM or ChaCha20-Poly1305; no renegotiation, no
// compression; ALPN picks "http/1.1" when the client offers it.
// Link: OpenSSL (Debian libssl-dev; meson dependency('openssl')).
// Thread safety: current() and reload() are safe from any thread.
#pragma once

#include <bareasio/tls/file_error.hpp>

#include <asio/ssl/context.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace bareasio::tls {

class certificate {
public:
    certificate(std::string cert_file, std::string key_file)
        : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)),
          current_(load(cert_file_, key_file_)) {}

    // The context for the next handshake; a connection keeps its own alive.
    std::shared_ptr<asio::ssl::context> current() const {
        std::lock_guard lock(mutex_);
        return current_;
    }

    // Reads both files again. On failure the old context stays and the
    // reason is returned; empty on success.
    std::string reload() {
        try {
            auto fresh = load(cert_file_, key_file_);
            std::lock_guard lock(mutex_);
            current_ = std::move(fresh);
            return {};
        } catch (const std::exception& e) { // file_error, or OpenSSL out of memory
            ERR_clear_error(); // what OpenSSL queued, so no later call on this thread sees it
            return e.what();
        }
    }

    const std::string& cert_file() const noexcept { return cert_file_; }
    const std::string& key_file() const noexcept { return key_file_; }

private:
    static void readable(const std::string& file, const char* what) {
        std::ifstream probe(file);
        if (!probe)
            throw file_error(std::string("cannot read the TLS ") + what + " " + file + ": " +
                             std::strerror(errno));
    }

    static std::shared_ptr<asio::ssl::context> load(const std::string& cert,
                                                    const std::string& key) {
        readable(cert, "certificate");
        readable(key, "key");
        auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
        auto* native = ctx->native_handle();
        configure(native);
        std::error_code ec;
        ctx->use_certificate_chain_file(cert, ec);
        if (ec) throw file_error("cannot use the TLS certificate " + cert + ": " + ec.message());
        ctx->use_private_key_file(key, asio::ssl::context::pem, ec);
        if (ec) // OpenSSL also checks here that the key is the certificate's
            throw file_error("cannot use the TLS key " + key + " with the certificate " + cert +
                             ": " + ec.message());
        if (SSL_CTX_check_private_key(native) != 1)
            throw file_error("the TLS key " + key + " does not match the certificate " + cert);
        return ctx;
    }

    // Our defaults. A system policy that refuses them fails the load
    // rather than serving weaker TLS.
    static void configure(SSL_CTX* native) {
        if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1)
            throw std::runtime_error("OpenSSL refused TLS 1.2 as the minimum version");
        SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                        SSL_OP_CIPHER_SERVER_PREFERENCE);
        if (SSL_CTX_set_cipher_list(
                native, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1)
            throw std::runtime_error("OpenSSL accepts none of the TLS 1.2 ciphers");
        SSL_CTX_set_alpn_select_cb(native, select_alpn, nullptr);
        // A key protected by a passphrase fails to load, instead of OpenSSL
        // asking for the passphrase on the terminal.
        SSL_CTX_set_default_passwd_cb(native, [](char*, int, int, void*) { return -1; });
    }

    // ALPN: "http/1.1" if the client offers it; otherwise no protocol is
    // agreed and the handshake goes on (HTTP/1.1 is what is served).
    static int select_alpn(SSL*, const unsigned char** out, unsigned char* out_size,
                           const unsigned char* offered, unsigned int offered_size, void*) {
        static constexpr unsigned char ours[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
        unsigned char* chosen = nullptr;
        if (SSL_select_next_proto(&chosen, out_size, ours, sizeof ours, offered, offered_size) !=
            OPENSSL_NPN_NEGOTIATED)
            return SSL_TLSEXT_ERR_NOACK;
        *out = chosen;
        return SSL_TLSEXT_ERR_OK;
    }

    const std::string cert_file_;
    const std::string key_file_;
    mutable std::mutex mutex_;
    std::shared_ptr<asio::ssl::context> current_;
};

} // namespace bareasio::tls
