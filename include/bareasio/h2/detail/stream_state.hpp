// h2::detail::stream_state: one HTTP/2 stream as the session serves it: the
// request its handler sees, the body the client sent and the handler has
// not read yet (its flow-control window opens only as the handler reads),
// the response's bytes waiting to be framed, and what cancels the handler.
// Thread safety: on the connection's loop only.
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/http/body_stream.hpp>
#include <bareasio/http/body_writer.hpp>
#include <bareasio/http/request.hpp>
#include <bareasio/http/response.hpp>
#include <bareasio/transport/clock.hpp>
#include <bareasio/transport/data_rate.hpp>

#include <asio/cancellation_signal.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bareasio::h2::detail {

class session;

// One coroutine on the loop waiting for a change: notify() wakes it if it
// waits, and costs nothing otherwise (its event is made at the first wait).
class waiter {
public:
    void notify() {
        if (!waiting_) return;
        waiting_ = false;
        event_->set();
    }
    asio::awaitable<void> wait() {
        if (!event_) event_.emplace();
        event_->clear();
        waiting_ = true;
        co_await event_->wait();
    }

private:
    std::optional<event> event_;
    bool waiting_ = false;
};

struct stream_state final : body_source, body_sink {
    // Where the stream is; changed only by the session.
    enum class phase {
        headers,    // its header block is arriving
        handling,   // its handler runs
        responding, // the response is submitted; a streaming writer may still run
        closed,     // closed (ended or reset); a handler still running is cancelled
    };

    stream_state(session& owner, std::int32_t stream_id) : owner_(owner), id(stream_id) {}

    // For another stream of the same connection: the buffers' capacity is
    // kept (up to kept_capacity each), so a stream costs no allocation.
    void reset(std::int32_t stream_id) {
        id = stream_id;
        at = phase::headers;
        req.head().clear();
        authority.clear();
        header_bytes = 0;
        headers_too_large = false;
        continuations = 0;
        trim(body_in);
        trim(handed);
        body_ended = false;
        body_wait_since = {};
        body_rate.reset();
        body_timed_out = false;
        res.status = 200;
        res.headers.clear();
        res.body = {};
        trim(out);
        sent = 0;
        out_ended = false;
        stalled_since = {};
        response_rate.reset();
        answered_at = {};
        body_bytes = 0;
        started = {};
    }
    static constexpr std::size_t kept_capacity = 4096;

    session& owner_;
    std::int32_t id;
    phase at = phase::headers;
    request req;
    std::string authority;          // :authority, the Host when none is sent
    std::size_t header_bytes = 0;   // of its header block, against max_header_bytes
    bool headers_too_large = false; // past max_header_bytes or max_header_count: 431
    unsigned continuations = 0;     // CONTINUATION frames of its header block

    // The request body: received and not handed out; the piece the handler
    // holds until its next read (its window is given back then).
    std::string body_in;
    std::string handed;
    bool body_ended = false; // the client's END_STREAM came
    waiter body_ready;       // body_in grew, the body ended, timed out, or the stream closed
    // The handler waits for body bytes since then (body_timeout: 408).
    loop_clock::time_point body_wait_since{};
    rate_meter body_rate; // min_request_body_rate: the time waited and bytes come
    bool body_timed_out = false;

    // The response: framed from `res`'s buffered body, or from `out`, which
    // a streaming writer fills, from `sent` on.
    response res;
    std::string out;
    std::size_t sent = 0;
    bool out_ended = false; // no more bytes will come: END_STREAM after them
    waiter out_taken;       // `out` was framed (a streaming writer may go on)
    // Bytes wait for the client's window since then (write_timeout: reset).
    loop_clock::time_point stalled_since{};
    rate_meter response_rate; // min_response_rate: the time waited and bytes framed
    // Answered, with the request still open, since then (then declined).
    loop_clock::time_point answered_at{};
    std::uint64_t body_bytes = 0;

    asio::cancellation_signal cancel;
    loop_clock::time_point started{};

    // body_source and body_sink (h2/impl/session.ipp): the handler's side.
    asio::awaitable<std::string_view> read_some() override;
    asio::awaitable<void> write(std::string_view chunk) override;

private:
    static void trim(std::string& s) {
        if (s.capacity() > kept_capacity)
            std::string().swap(s);
        else
            s.clear();
    }

public:
    // What the data provider frames next.
    std::string_view unsent() const noexcept {
        const std::string_view all =
            res.body.type() == body_writer::kind::buffer ? res.body.data() : std::string_view(out);
        return all.substr(sent);
    }
};

} // namespace bareasio::h2::detail
