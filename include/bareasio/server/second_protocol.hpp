// second_protocol: a protocol a connection switches to before its first
// HTTP/1.1 request: when TLS's ALPN agreed on its name, or when a
// cleartext client opens with its preface. HTTP/2 is the one there is: the
// h2 module (bareasio/h2/) makes it, and h2::serve() hands it to the
// server, which keeps it in each loop's loop_context. The connection then
// gives itself to serve() as an upgradable_connection (http/upgrade.hpp),
// as it does to a WebSocket after a 101, and closes when serve() returns.
// Thread safety: one object shared by every loop: serve() may run on
// several at once and must keep its state per call.
#pragma once

#include <bareasio/http/upgrade.hpp>

#include <asio/awaitable.hpp>

#include <string_view>

namespace bareasio {

struct loop_context;

// Who the connection's peer is, as the connection found it.
struct peer_info {
    std::string_view address; // the TCP peer's, empty if unknown
    bool trusted = false;     // listed in server_config::trusted_proxies
    std::string_view scheme;  // "http" or "https"
};

class second_protocol {
public:
    virtual ~second_protocol() = default;
    // Its ALPN name ("h2"); empty: never agreed by ALPN.
    virtual std::string_view alpn() const noexcept = 0;
    // The bytes a cleartext client opens with; empty: none.
    virtual std::string_view preface() const noexcept = 0;
    // Serves the connection (its received bytes start with the preface, if
    // any came) until it ends; the connection then closes.
    virtual asio::awaitable<void> serve(upgradable_connection& conn, loop_context& loop,
                                        peer_info peer) const = 0;
};

} // namespace bareasio
