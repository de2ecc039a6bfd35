// shared_message: one message for many sockets (a broadcast), made once and
// queued on each without a copy: every socket's send queue refers to the
// same payload, which is freed when the last socket has written it.
//     const shared_message m(received);       // or shared_message::text(s)
//     for (const auto& member : room) member.try_send(m);
// A socket that negotiated compression compresses it for itself (its
// deflate context is its own); the others share its bytes. Small payloads
// are copied into the queue anyway: below a few KiB a copy is cheaper than
// a write of its own.
// Thread safety: immutable; copies may be made, sent and dropped on any thread.
#pragma once

#include <bareasio/detail/release_memory.hpp>
#include <bareasio/websocket/message.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace bareasio {

namespace detail {
class websocket_session;
} // namespace detail

class shared_message {
public:
    static shared_message text(std::string payload) {
        return shared_message(std::move(payload), false);
    }
    static shared_message binary(std::string payload) {
        return shared_message(std::move(payload), true);
    }
    // A received message, copied once: text stays text, binary stays binary.
    explicit shared_message(const websocket_message& m)
        : shared_message(std::string(m.data()), m.is_binary()) {}
    // A payload already shared (a redis::broadcaster message's), not copied.
    explicit shared_message(std::shared_ptr<const std::string> payload, bool binary = false)
        : payload_(std::move(payload)), binary_(binary) {}

    bool is_binary() const noexcept { return binary_; }
    bool is_text() const noexcept { return !binary_; }
    std::string_view data() const noexcept { return *payload_; }
    std::size_t size() const noexcept { return payload_->size(); }

private:
    friend class detail::websocket_session;
    shared_message(std::string payload, bool binary)
        : payload_(detail::share_trimmed(std::move(payload))), binary_(binary) {}

    // Freed (and large ones given back to the system) by whoever drops it last.
    std::shared_ptr<const std::string> payload_;
    bool binary_;
};

} // namespace bareasio
