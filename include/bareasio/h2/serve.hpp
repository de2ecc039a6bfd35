// h2::serve(app, config): tls::serve() (tls/serve.hpp) that also speaks
// HTTP/2, to the same handlers, middleware and router. Over TLS, ALPN
// offers "h2" first, then "http/1.1"; in cleartext, a client that opens
// with HTTP/2's preface (prior knowledge: curl --http2-prior-knowledge)
// speaks HTTP/2 on the port that serves HTTP/1.1. There is no
// "Upgrade: h2c" (RFC 9113 deprecates it), no server push, and WebSockets
// stay on HTTP/1.1 (no RFC 8441).
//     return h2::serve(app, config_from_args(argc, argv, {.port = 9009}));
// Each stream is a request: its body is read on demand (its flow-control
// window opens as the handler reads), its response is framed as the
// client's window allows, and a RST_STREAM from the client cancels its
// handler as a hang-up does over HTTP/1.1. req.version() is 20.
// Link: libbareasio_h2, libbareasio_tls, libnghttp2 and OpenSSL (meson:
// bareasio_h2_dep or bareasio_h2_separate_dep; Debian: libnghttp2-dev).
// Thread safety: as serve().
#pragma once

#include <bareasio/app/application.hpp>
#include <bareasio/server/config.hpp>

#include <memory>

namespace bareasio {
class second_protocol;
}

namespace bareasio::h2 {

int serve(const application& app, server_config config);

// HTTP/2 as a protocol a server may switch to, for app_server::use_protocol
// and tls::server.
std::shared_ptr<const second_protocol> protocol();

} // namespace bareasio::h2
