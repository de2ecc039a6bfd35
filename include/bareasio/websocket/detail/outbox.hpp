// outbox: a WebSocket's frames out (RFC 6455 §5), before they are written:
// data messages framed (compressed by permessage-deflate when worth it,
// large broadcast payloads shared rather than copied), the answer to the
// latest ping, the close frame, and the batch being written. It counts what
// it holds against send_queue_bytes, so the session can bound its memory.
// It does no I/O: the session (session.hpp) takes a batch, writes it, and
// says when it was written.
//     box.message(opcode::text, "hello", nullptr);
//     send_queue& batch = box.take(); // the pong sealed, the queue swapped
//     write(batch);
//     box.written();
// Thread safety: one per socket, used on its loop.
#pragma once

#include <bareasio/detail/release_memory.hpp>
#include <bareasio/websocket/detail/send_queue.hpp>
#include <bareasio/websocket/frame.hpp>
#include <bareasio/websocket/message_compression.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bareasio::detail {

class outbox {
public:
    explicit outbox(std::size_t bound) : bound_(bound) {}

    // The negotiated permessage-deflate (null: none).
    void set_compression(message_compression* c) noexcept { compression_ = c; }

    // What the socket holds to send: queued, being written, and the pong.
    std::size_t size() const noexcept {
        return pending_.size() + in_flight_ + (pong_due_ ? pong_.size() + 2 : 0);
    }
    // A message of `size` may not be queued now (one larger than the whole
    // bound still may, when nothing else is queued or being written).
    bool full(std::size_t size) const noexcept {
        const std::size_t q = this->size();
        return q != 0 && q + size > bound_;
    }
    bool over_bound() const noexcept { return size() > bound_; }
    // Something is queued that no write has taken yet.
    bool has_output() const noexcept { return pong_due_ || !pending_.empty(); }

    // Bytes written before any frame (the 101 response).
    void raw(std::string bytes) { pending_.bytes() = std::move(bytes); }

    // A control frame (or any frame) with its payload copied.
    void frame(opcode op, std::string_view payload, bool compressed = false) {
        char head[10];
        pending_.bytes().append(head,
                                write_frame_header(head, op, true, payload.size(), compressed));
        pending_.bytes().append(payload);
    }

    // A data message in one frame: compressed when the extension finds it
    // worth it, or `shared` with other sockets when it is large.
    void message(opcode op, std::string_view payload, const send_queue::shared_bytes* shared) {
        if (compression_ && compression_->worth_compressing(payload.size())) {
            deflated_.clear();
            compression_->compress(payload, deflated_);
            frame(op, deflated_, true);
            release_if_large(deflated_, send_queue::kept_capacity);
        } else if (shared && payload.size() >= shared_at_least) {
            char head[10];
            pending_.bytes().append(head,
                                    write_frame_header(head, op, true, payload.size(), false));
            pending_.append(*shared);
        } else {
            frame(op, payload);
        }
    }
    static constexpr std::size_t shared_at_least = 8 * 1024;

    // A ping's payload to answer (swapped in). Every ping is answered while
    // the socket takes what it is sent; once it is `backed_up` (a write
    // waits for the client) only the latest ping is (RFC 6455 §5.5.3
    // allows it): a flood of pings from a client that does not read costs
    // one pong.
    void pong(std::string& payload, bool backed_up) {
        if (pong_due_ && !backed_up && pending_.size() < bound_) seal();
        pong_.swap(payload);
        pong_due_ = true;
    }

    // A close frame: the code (0: none) and the reason. Nothing may follow it.
    void close(std::uint16_t code, std::string_view reason) {
        seal();
        char payload[2 + 123];
        std::size_t n = 0;
        if (code != 0) {
            payload[0] = static_cast<char>(code >> 8);
            payload[1] = static_cast<char>(code & 0xFF);
            reason = reason.substr(0, 123);
            reason.copy(payload + 2, reason.size());
            n = 2 + reason.size();
        }
        frame(opcode::close, std::string_view(payload, n));
    }

    // The queue to write directly (the pong sealed first); the caller
    // consumes what the socket took. Only while nothing is being written.
    send_queue& unwritten() {
        seal();
        return pending_;
    }

    // The whole queue as one batch to write, counted until written().
    const send_queue& take() {
        seal();
        writing_.swap(pending_);
        in_flight_ = writing_.size();
        return writing_;
    }
    void written() noexcept {
        writing_.clear();
        in_flight_ = 0;
    }

    // Nothing more will reach the client.
    void discard() noexcept {
        pending_.clear();
        pong_due_ = false;
    }
    // The socket is done: every buffer goes.
    void release() noexcept {
        discard();
        writing_.clear();
        in_flight_ = 0;
        release_if_large(deflated_, send_queue::kept_capacity);
    }
    // Gives back the storage of what raw() held once it is written, which
    // is not a message's.
    void forget_raw() noexcept {
        if (pending_.empty() && in_flight_ == 0) send_queue().swap(writing_);
    }

private:
    // The answer to the latest ping joins the queue (at a message boundary:
    // this server sends every message in one frame).
    void seal() {
        if (!pong_due_) return;
        pong_due_ = false;
        frame(opcode::pong, pong_);
    }

    std::size_t bound_;
    message_compression* compression_ = nullptr;
    send_queue pending_;        // frames queued
    send_queue writing_;        // frames being written
    std::size_t in_flight_ = 0; // of them, in all (held until written())
    std::string pong_;          // the latest ping's payload, to answer
    bool pong_due_ = false;
    std::string deflated_; // a message being compressed
};

} // namespace bareasio::detail
