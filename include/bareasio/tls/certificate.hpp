// tls::certificate: a server's certificate chain and private key (PEM
// files), loaded into an OpenSSL context with our defaults, and loaded
// again on reload() without disturbing the connections that use the old one.
//     auto cert = std::make_shared<tls::certificate>("cert.pem", "key.pem"); // throws file_error
//     auto ctx = cert->current();   // for the next handshake
//     cert->reload();               // SIGHUP: new handshakes use the new files
// Defaults (Mozilla's "intermediate"): TLS 1.2 and 1.3 only; for TLS 1.2,
// ECDHE with AES-GCM or ChaCha20-Poly1305; no renegotiation, no
// compression; resumption by session tickets (one per TLS 1.3 handshake);
// ALPN picks "http/1.1" when the client offers it, or "h2"
// first for a certificate made with offers::h2_and_http1 (h2::serve).
// The files must be regular files of at most max_file_bytes: a FIFO, a
// device or a huge file in their place fails the load at once (opened
// without blocking, then checked) instead of stalling whoever loads them.
// Loading parses with OpenSSL, which takes milliseconds: tls::server
// reloads on a thread of its own, never on an event loop.
// Link: OpenSSL (Debian libssl-dev; meson dependency('openssl')).
// Thread safety: current() and reload() are safe from any thread.
#pragma once

#include <bareasio/tls/file_error.hpp>

#include <asio/ssl/context.hpp>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace bareasio::tls {

class certificate {
public:
    // A PEM chain or key larger than this is refused (real ones are a few KiB).
    static constexpr std::size_t max_file_bytes = 1024 * 1024;

    // The protocols ALPN may agree on, in our order of preference.
    enum class offers { http1, h2_and_http1 };

    certificate(std::string cert_file, std::string key_file, offers alpn = offers::http1)
        : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)), alpn_(alpn),
          current_(load(cert_file_, key_file_, alpn_)) {}

    // The context for the next handshake; a connection keeps its own alive.
    std::shared_ptr<asio::ssl::context> current() const {
        std::lock_guard lock(mutex_);
        return current_;
    }

    // Reads both files again. On failure the old context stays and the
    // reason is returned; empty on success.
    std::string reload() {
        try {
            auto fresh = load(cert_file_, key_file_, alpn_);
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
    // Closes a file descriptor however the read ends.
    struct descriptor {
        int fd;
        ~descriptor() {
            if (fd >= 0) ::close(fd);
        }
    };

    // The key's text is overwritten once OpenSSL has parsed it.
    struct wiped_on_exit {
        std::string& text;
        ~wiped_on_exit() { OPENSSL_cleanse(text.data(), text.size()); }
    };

    // The whole of `file`, which must be a regular file within the size cap.
    static std::string read_file(const std::string& file, const char* what) {
        const auto fail = [&](const std::string& why) {
            return file_error(std::string("cannot read the TLS ") + what + " " + file + ": " + why);
        };
        // O_NONBLOCK: opening a FIFO would wait for a writer.
        const descriptor d{::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
        if (d.fd < 0) throw fail(std::strerror(errno));
        struct stat st {};
        if (::fstat(d.fd, &st) != 0) throw fail(std::strerror(errno));
        if (!S_ISREG(st.st_mode)) throw fail("not a regular file");
        if (static_cast<std::size_t>(st.st_size) > max_file_bytes)
            throw fail("larger than " + std::to_string(max_file_bytes / 1024) + " KiB");
        std::string text(static_cast<std::size_t>(st.st_size), '\0');
        std::size_t got = 0;
        while (got < text.size()) {
            const auto n = ::read(d.fd, text.data() + got, text.size() - got);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw fail(std::strerror(errno));
            if (n == 0) break; // shrank while read: what is there is parsed
            got += static_cast<std::size_t>(n);
        }
        text.resize(got);
        return text;
    }

    static std::shared_ptr<asio::ssl::context> load(const std::string& cert, const std::string& key,
                                                    offers alpn) {
        const std::string chain = read_file(cert, "certificate");
        std::string secret = read_file(key, "key");
        const wiped_on_exit wipe{secret};
        auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
        auto* native = ctx->native_handle();
        configure(native, alpn);
        std::error_code ec;
        ctx->use_certificate_chain(asio::buffer(chain), ec);
        if (ec) throw file_error("cannot use the TLS certificate " + cert + ": " + ec.message());
        ctx->use_private_key(asio::buffer(secret), asio::ssl::context::pem, ec);
        if (ec) // OpenSSL also checks here that the key is the certificate's
            throw file_error("cannot use the TLS key " + key + " with the certificate " + cert +
                             ": " + ec.message());
        if (SSL_CTX_check_private_key(native) != 1)
            throw file_error("the TLS key " + key + " does not match the certificate " + cert);
        return ctx;
    }

    // Our defaults. A system policy that refuses them fails the load
    // rather than serving weaker TLS.
    static void configure(SSL_CTX* native, offers alpn) {
        if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1)
            throw std::runtime_error("OpenSSL refused TLS 1.2 as the minimum version");
        SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                        SSL_OP_CIPHER_SERVER_PREFERENCE);
        // One TLS 1.3 session ticket per handshake, not OpenSSL's two (as
        // Go's crypto/tls): a ticket is used once, and each connection brings
        // its own, so one resumption per connection stays possible. Each
        // ticket is sealed and sent: ~170,000 instructions of a full
        // handshake's ~2.8 million (benchmarks/RESULTS.md).
        SSL_CTX_set_num_tickets(native, 1);
        if (SSL_CTX_set_cipher_list(
                native, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1)
            throw std::runtime_error("OpenSSL accepts none of the TLS 1.2 ciphers");
        SSL_CTX_set_alpn_select_cb(
            native, select_alpn,
            const_cast<offers*>(alpn == offers::http1 ? &only_http1 : &h2_first));
        // A key protected by a passphrase fails to load, instead of OpenSSL
        // asking for the passphrase on the terminal.
        SSL_CTX_set_default_passwd_cb(native, [](char*, int, int, void*) { return -1; });
    }

    // ALPN: the first of ours ("h2" when offered, then "http/1.1") that the
    // client offers; otherwise no protocol is agreed and the handshake goes
    // on (HTTP/1.1 is what is served). `arg` points at one of the two below.
    static constexpr offers only_http1 = offers::http1;
    static constexpr offers h2_first = offers::h2_and_http1;
    static int select_alpn(SSL*, const unsigned char** out, unsigned char* out_size,
                           const unsigned char* offered, unsigned int offered_size, void* arg) {
        static constexpr unsigned char http1[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
        static constexpr unsigned char both[] = {2,   'h', '2', 8,   'h', 't',
                                                 't', 'p', '/', '1', '.', '1'};
        const bool h2 = *static_cast<const offers*>(arg) == offers::h2_and_http1;
        unsigned char* chosen = nullptr;
        // SSL_select_next_proto walks our list in order, so ours is the preference.
        if (SSL_select_next_proto(&chosen, out_size, h2 ? both : http1,
                                  h2 ? sizeof both : sizeof http1, offered,
                                  offered_size) != OPENSSL_NPN_NEGOTIATED)
            return SSL_TLSEXT_ERR_NOACK;
        *out = chosen;
        return SSL_TLSEXT_ERR_OK;
    }

    const std::string cert_file_;
    const std::string key_file_;
    const offers alpn_;
    mutable std::mutex mutex_;
    std::shared_ptr<asio::ssl::context> current_;
};

} // namespace bareasio::tls
