// tls::serve(app, config): serve() with HTTPS when the config names a
// certificate and key (--tls-cert FILE --tls-key FILE), plain HTTP when it
// names none. Over TLS every connection first completes its handshake
// within config.handshake_timeout (10 s), counted against max_connections;
// a client that never sends a ClientHello, stops halfway or speaks plain
// HTTP is dropped, and never delays the others. SIGHUP reads both files
// again: new handshakes use the new certificate, open connections keep the
// old one; a reload that fails is logged and the old certificate stays.
// Exit codes as serve()'s; a certificate or key that cannot be read or used
// at startup exits 2 naming the file.
//     return tls::serve(app, config_from_args(argc, argv, {.port = 9009}));
// Link: libbareasio_tls and OpenSSL (meson: bareasio_tls_dep or
// bareasio_tls_separate_dep). The TLS code is compiled once into that
// library, so this header is all a program includes.
// To reload by a call as well (a renewal hook, an admin route), run a
// tls::server (tls/server.hpp) instead.
// Thread safety: as serve().
#pragma once

#include <bareasio/app/application.hpp>
#include <bareasio/server/config.hpp>

#include <memory>

namespace bareasio {
class second_protocol;
}

namespace bareasio::tls {

int serve(const application& app, server_config config);
// The same, also serving `second` (HTTP/2: h2::serve calls this).
int serve(const application& app, server_config config,
          std::shared_ptr<const second_protocol> second);

} // namespace bareasio::tls
