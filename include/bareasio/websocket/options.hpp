// websocket_options: the limits and timers of a server's WebSockets, set on
// the application's router before serving:
//     app.ws_router.options.max_message_bytes = 1 << 20;
//     app.ws_router.options.when_full = send_queue_full::drop;
//     app.ws_router.options.compression = permessage_deflate(); // websocket/deflate.hpp
//     app.ws_router.options.origins.same_origin = true;          // refuse other sites' pages
// Thread safety: set before serving; read-only after.
#pragma once

#include <bareasio/transport/data_rate.hpp>
#include <bareasio/websocket/message_compression.hpp>
#include <bareasio/websocket/origin_policy.hpp>

#include <chrono>
#include <cstddef>

namespace bareasio {

// What a send does when the socket's send queue is full (a client that
// reads slower than the server writes):
enum class send_queue_full {
    wait,  // the sender waits until the queue has room (back-pressure)
    drop,  // the message is dropped and send() returns false
    close, // the socket is closed with 1008 and send() returns false
};

struct websocket_options {
    // A message (all its fragments) larger than this closes the socket
    // with 1009. Messages are whole in memory when received.
    std::size_t max_message_bytes = 16 * 1024 * 1024;
    // The most a socket holds to send: what is queued and what is being
    // written, control frames included. A message that would take it past
    // this waits, is dropped or closes the socket (when_full); a single
    // message larger than this is still sent when nothing else is held, so
    // any message can be sent. While it is over this, the socket reads
    // nothing more from its client (who does not read what it asks for).
    std::size_t send_queue_bytes = 1024 * 1024;
    send_queue_full when_full = send_queue_full::wait;
    // A ping is sent after this long without a byte from the client; 0:
    // never. No byte within ping_timeout after it: the socket is closed.
    std::chrono::milliseconds ping_interval{20'000};
    std::chrono::milliseconds ping_timeout{20'000};
    // After the server sends a close, how long the client has to answer.
    std::chrono::milliseconds close_timeout{5'000};
    // A write the client takes none of for this long: it is dropped.
    std::chrono::milliseconds write_timeout{10'000};
    // A message (or frame) that has begun must keep arriving at this rate
    // on average once the grace period has passed, else the socket is
    // closed with 1008: a client cannot hold a socket and a growing buffer
    // by trickling a message. {0}: off.
    min_data_rate min_message_rate{};
    // A message compression extension the server accepts when a client
    // offers it; none by default. permessage_deflate() (websocket/deflate.hpp,
    // links zlib) is RFC 7692's.
    compression_negotiator compression;
    // The pages allowed to open a socket (see origin_policy): all, unless
    // set. A page the browser runs on another site is refused with 403.
    origin_policy origins;
};

} // namespace bareasio
