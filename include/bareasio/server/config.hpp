// server_config: where to listen and the limits and timeouts that keep a
// server alive in front of broken or hostile clients. Every field has a
// finite default; designated initialisers pick the ones to change:
//     serve(app, {.host = "0.0.0.0", .port = 8080});
#pragma once

#include <bareasio/http/limits.hpp>
#include <bareasio/transport/data_rate.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bareasio {

// The most event loops a server runs (server_config::threads, --threads).
inline constexpr unsigned max_threads = 1024;

struct server_config {
    std::string host = "127.0.0.1";
    std::uint16_t port = 9009; // 0 picks a free port (see loop_server::port())
    unsigned threads = 1;      // event loops; 0 = one per core; at most max_threads

    // Limits.
    std::size_t max_header_bytes = default_max_header_bytes; // -> 431
    std::size_t max_header_count = default_max_header_count; // -> 431
    std::size_t max_url_bytes = default_max_url_bytes;       // -> 414
    std::size_t max_body_bytes = default_max_body_bytes;     // buffered readers -> 413
    std::size_t max_connections = 10'000;                    // past it: 503 and close

    // Timeouts.
    std::chrono::milliseconds header_timeout{10'000};      // head not complete -> 408
    std::chrono::milliseconds keep_alive_timeout{5'000};   // idle keep-alive -> close
    std::chrono::milliseconds body_timeout{10'000};        // each body read stalls -> 408, close
    std::chrono::milliseconds write_timeout{10'000};       // client takes no bytes -> close
    std::chrono::milliseconds drain_timeout{10'000};       // graceful shutdown deadline
    std::chrono::milliseconds service_stop_timeout{5'000}; // services to end before cancel
    std::chrono::milliseconds handshake_timeout{10'000};   // TLS handshake not done -> close
    // Minimum data rates (Kestrel's): a body that arrives, or a response
    // that leaves, slower than 240 bytes/s on average after a 5 s grace
    // period -> 408 / close. Only time spent waiting on the client counts.
    min_data_rate min_request_body_rate{};
    min_data_rate min_response_rate{};

    std::size_t read_buffer_bytes = 16 * 1024;

    // Proxies whose Forwarded / X-Forwarded-For / X-Forwarded-Proto headers
    // are believed: addresses or CIDR networks ("127.0.0.1", "10.0.0.0/8").
    // Empty (the default): the TCP peer is the client, scheme "http".
    std::vector<std::string> trusted_proxies{};
    // Read RFC 7239 `Forwarded` from them instead of X-Forwarded-For/-Proto.
    bool forwarded_header = false;

    // One line per request (server/access_log.hpp): empty (the default)
    // logs nothing, "-" writes to stderr, anything else appends to that file.
    std::string access_log{};

    // HTTPS (bareasio/tls/serve.hpp, tls::serve): PEM files of the
    // certificate chain and its private key (--tls-cert, --tls-key). Both
    // empty: plain HTTP.
    std::string tls_cert{};
    std::string tls_key{};

    parser_limits limits() const noexcept {
        return {max_header_bytes, max_header_count, max_url_bytes};
    }
};

} // namespace bareasio
