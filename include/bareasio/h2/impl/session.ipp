// The definitions behind h2/detail/session.hpp. Compiled once, into
// libbareasio_h2 (src/h2.cpp); no header includes it.
#pragma once

#include <bareasio/detail/log.hpp>
#include <bareasio/h2/detail/session.hpp>
#include <bareasio/http/error_response.hpp>
#include <bareasio/http/header_list.hpp>
#include <bareasio/http/http_error.hpp>
#include <bareasio/http/serializer.hpp>
#include <bareasio/http/status.hpp>
#include <bareasio/server/access_log.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <vector>

namespace bareasio::h2::detail {

namespace {

struct callbacks_deleter {
    void operator()(nghttp2_session_callbacks* c) const noexcept {
        nghttp2_session_callbacks_del(c);
    }
};
struct option_deleter {
    void operator()(nghttp2_option* o) const noexcept { nghttp2_option_del(o); }
};

std::string_view view(const std::uint8_t* p, std::size_t n) noexcept {
    return {reinterpret_cast<const char*>(p), n};
}

// Headers of HTTP/1.1's connection management: never sent over HTTP/2.
// The serializer's managed headers (content-length, transfer-encoding,
// connection), which the server owns here too, and the rest of RFC 9113
// §8.2.2's list.
bool connection_specific(std::string_view name) noexcept {
    return bareasio::detail::managed_header(name) || iequals(name, "keep-alive") ||
           iequals(name, "te") || iequals(name, "proxy-connection") || iequals(name, "upgrade");
}

// No exception may unwind through nghttp2's C frames: one (out of memory)
// fails the session instead, which then closes.
template <class F>
auto guarded(F&& f) noexcept -> decltype(f()) {
    try {
        return f();
    } catch (...) {
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
}

nghttp2_nv pair(std::string_view name, std::string_view value) noexcept {
    return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
            reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
            value.size(), NGHTTP2_NV_FLAG_NONE};
}

} // namespace

// ---- stream_state: the handler's side ------------------------------------

inline asio::awaitable<std::string_view> stream_state::read_some() {
    return owner_.read_body(*this);
}
inline asio::awaitable<void> stream_state::write(std::string_view chunk) {
    return owner_.write_body(*this, chunk);
}

// ---- the session -----------------------------------------------------------

// Waits for `e` even when the connection's coroutine is cancelled (the
// drain deadline): what it waits for refers to the session.
inline asio::awaitable<void> uncancellable(event& e) {
    co_await e.wait(asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
}

inline session::session(upgradable_connection& conn, loop_context& loop, peer_info peer)
    : conn_(conn), loop_(loop), config_(*loop.config), peer_(peer) {}

inline session::~session() {
    if (h_) nghttp2_session_del(h_);
}

inline bool session::start_session() {
    nghttp2_session_callbacks* raw = nullptr;
    if (nghttp2_session_callbacks_new(&raw) != 0) return false;
    const std::unique_ptr<nghttp2_session_callbacks, callbacks_deleter> cbs(raw);
    nghttp2_session_callbacks_set_on_begin_headers_callback(raw, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(raw, on_header);
    nghttp2_session_callbacks_set_on_begin_frame_callback(raw, on_begin_frame);
    nghttp2_session_callbacks_set_on_frame_recv_callback(raw, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(raw, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(raw, on_stream_close);
    nghttp2_option* opt_raw = nullptr;
    if (nghttp2_option_new(&opt_raw) != 0) return false;
    const std::unique_ptr<nghttp2_option, option_deleter> opt(opt_raw);
    // A stream's window opens as its handler reads, not as bytes arrive.
    nghttp2_option_set_no_auto_window_update(opt_raw, 1);
    nghttp2_option_set_max_outbound_ack(opt_raw, 1000);
    nghttp2_option_set_max_settings(opt_raw, 32);
    if (nghttp2_session_server_new2(&h_, raw, this, opt_raw) != 0) return false;
    const auto limits = config_.limits();
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_concurrent_streams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
         static_cast<std::uint32_t>(limits.max_header_bytes)},
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
    };
    return nghttp2_submit_settings(h_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) == 0;
}

inline asio::awaitable<void> session::run() {
    // Cancelled or not (the drain deadline), every handler is waited for.
    co_await asio::this_coro::throw_if_cancelled(false);
    co_await conn_.take(*this);
    if (!start_session()) co_return;
    if (conn_.stopping()) go_away(NGHTTP2_NO_ERROR); // it began while the server drained
    asio::co_spawn(conn_.executor(), write_loop(), [this](std::exception_ptr) {
        conn_.close();
        writing_ = false; // however it ended, the reader must not wait for it
        written_.set();
        writer_done_.set();
    });
    arm_idle();
    try {
        co_await read_loop();
    } catch (...) { // the drain deadline cancelled a wait, or out of memory
    }
    reader_ended_ = true;
    wake();
    co_await uncancellable(writer_done_);
    state_ = state::ending;
    for (auto& [id, s] : streams_) {
        s->at = stream_state::phase::closed;
        s->body_ready.notify();
        s->out_taken.notify();
        s->cancel.emit(asio::cancellation_type::terminal);
    }
    while (handlers_ > 0)
        co_await uncancellable(handlers_done_);
}

// Feeds nghttp2 what arrives, until the peer leaves, breaks the protocol
// or the writer ends the connection.
inline asio::awaitable<void> session::read_loop() {
    for (;;) {
        const auto bytes = conn_.received();
        if (!bytes.empty()) {
            const auto n = nghttp2_session_mem_recv(
                h_, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
            if (n < 0) { // a connection error: nghttp2 queued its GOAWAY
                wake();
                co_return;
            }
            conn_.consume(bytes.size());
            wake();
        }
        if (finished()) co_return;
        while (writing_) { // the peer takes nothing: read nothing more from it
            written_.clear();
            co_await written_.wait();
        }
        const std::error_code ec = co_await conn_.receive_more();
        if (ec) co_return;
    }
}

// Sends what nghttp2 frames, in batches of up to 64 KiB; closes the
// connection when the session is done.
inline asio::awaitable<void> session::write_loop() {
    for (;;) {
        if (!nghttp2_session_want_write(h_)) {
            if (finished()) break;
            if (nghttp2_session_want_write(h_) || finished()) continue;
            co_await writer_wake_.wait();
            continue;
        }
        out_.clear();
        while (out_.size() < write_batch) {
            const std::uint8_t* data = nullptr;
            const auto n = nghttp2_session_mem_send(h_, &data);
            if (n < 0) co_return;
            if (n == 0) break;
            out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
        }
        if (out_.empty()) continue;
        std::error_code ec;
        const std::size_t now = conn_.write_now(out_, ec);
        if (!ec && now < out_.size()) {
            writing_ = true;
            ec =
                co_await conn_.write_all(std::string_view(out_).substr(now), config_.write_timeout);
            writing_ = false;
            written_.set();
        }
        if (ec) co_return;
    }
}

// Nothing more to do: the peer left or broke the protocol, nghttp2 wants
// neither to read nor to write, or a GOAWAY was sent and no stream is open.
inline bool session::finished() const noexcept {
    if (reader_ended_ || state_ == state::ending) return true;
    if (!nghttp2_session_want_read(h_) && !nghttp2_session_want_write(h_)) return true;
    return state_ == state::draining && handlers_ == 0 && streams_.empty();
}

// NO_ERROR: a graceful GOAWAY, open streams finish. Any other code ends
// the connection once the GOAWAY is sent (an abusive peer).
inline void session::go_away(std::uint32_t code) {
    if (code != NGHTTP2_NO_ERROR) {
        state_ = state::draining;
        nghttp2_session_terminate_session(h_, code);
    } else if (state_ == state::open) {
        state_ = state::draining;
        nghttp2_submit_goaway(h_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(h_),
                              code, nullptr, 0);
    }
    wake();
}

// No stream open: the connection may idle for keep_alive_timeout. Streams
// open: their deadlines are checked every check_interval.
inline void session::arm_idle() {
    const bool idle = handlers_ == 0 && streams_.empty();
    conn_.expires_at(conn_.now() + (idle ? config_.keep_alive_timeout
                                         : std::chrono::milliseconds(check_interval)));
}

inline void session::deadline_passed(upgrade_hooks::time_point now) {
    if (handlers_ == 0 && streams_.empty()) {
        go_away(NGHTTP2_NO_ERROR);
        conn_.expires_at(upgrade_hooks::time_point::max());
        return;
    }
    check_streams(now);
    arm_idle();
}

// A handler that waited body_timeout for body bytes gets a 408; a stream
// whose bytes waited write_timeout for the client's window is reset; a
// header block unfinished after header_timeout ends the connection; a
// stream answered while its request stays open is closed a check later.
inline void session::check_streams(upgrade_hooks::time_point now) {
    const bool connection_shut = nghttp2_session_get_remote_window_size(h_) <= 0;
    std::vector<std::int32_t> stalled, answered;
    for (const auto& [id, s] : streams_) {
        // A header block cut off: no other frame may come meanwhile, so
        // the whole connection waits on it (a slowloris): cut it off.
        if (s->at == stream_state::phase::headers && now - s->started >= config_.header_timeout) {
            go_away(NGHTTP2_ENHANCE_YOUR_CALM);
            return;
        }
        // Answered while the client still holds its request open: after a
        // check_interval the rest is declined (RFC 9113 §8.1, NO_ERROR).
        const bool done = s->at == stream_state::phase::responding && s->out_ended &&
                          s->unsent().empty() && !s->body_ended;
        if (!done)
            s->answered_at = {};
        else if (s->answered_at == loop_clock::time_point{})
            s->answered_at = now;
        else
            answered.push_back(id);
        // The body: body_timeout for this read, and min_request_body_rate
        // over the whole body (only the time spent waiting counts).
        if (s->body_wait_since != loop_clock::time_point{}) {
            const auto waited = now - s->body_wait_since;
            if (waited >= config_.body_timeout ||
                waited >= s->body_rate.allowance(config_.min_request_body_rate)) {
                s->body_timed_out = true;
                s->body_ready.notify();
            }
        }
        const bool waits =
            s->at == stream_state::phase::responding && !s->unsent().empty() &&
            (connection_shut || nghttp2_session_get_stream_remote_window_size(h_, id) <= 0);
        // The response: write_timeout for one wait on the client's window,
        // and min_response_rate over the whole response.
        if (!waits) {
            if (s->stalled_since != loop_clock::time_point{})
                s->response_rate.record(now - s->stalled_since, 0);
            s->stalled_since = {};
        } else if (s->stalled_since == loop_clock::time_point{}) {
            s->stalled_since = now;
        } else if (now - s->stalled_since >= config_.write_timeout ||
                   now - s->stalled_since >=
                       s->response_rate.allowance(config_.min_response_rate)) {
            stalled.push_back(id);
        }
    }
    for (const auto id : stalled)
        nghttp2_submit_rst_stream(h_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    for (const auto id : answered)
        nghttp2_submit_rst_stream(h_, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
    if (!stalled.empty() || !answered.empty()) wake();
}

inline void session::stop() {
    go_away(NGHTTP2_NO_ERROR);
}

inline stream_state* session::find(std::int32_t id) noexcept {
    const auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second.get();
}

// ---- requests ------------------------------------------------------------------

inline void session::begin_stream(std::int32_t id) {
    std::shared_ptr<stream_state> s;
    if (spare_.empty()) {
        s = std::make_shared<stream_state>(*this, id);
    } else {
        s = std::move(spare_.back());
        spare_.pop_back();
        s->reset(id);
    }
    request_head& head = s->req.head();
    head.version = 20;
    s->started = conn_.now(); // its header block's start (header_timeout)
    streams_.emplace(id, std::move(s));
    arm_idle();
}

// One header of a request; an answer nghttp2 understands.
inline int session::add_header(stream_state& s, std::string_view name, std::string_view value) {
    const auto limits = config_.limits();
    s.header_bytes += name.size() + value.size() + 32; // RFC 9113's accounting
    request_head& head = s.req.head();
    // Past a limit the rest of the block is decoded (HPACK's table must stay
    // in step) and dropped; the stream is answered 431, as over HTTP/1.1.
    if (s.headers_too_large || s.header_bytes > limits.max_header_bytes ||
        head.headers.size() >= limits.max_header_count) {
        s.headers_too_large = true;
        return 0;
    }
    if (!name.empty() && name.front() == ':') {
        if (name == ":method")
            head.method.assign(value);
        else if (name == ":path")
            head.target.assign(value);
        else if (name == ":authority")
            s.authority.assign(value);
        return 0;
    }
    if (name == "cookie") { // split over several fields in HTTP/2 (RFC 9113 §8.2.3)
        if (const auto before = head.headers.get("cookie")) {
            std::string joined = std::string(*before) + "; " + std::string(value);
            head.headers.set("cookie", joined);
            return 0;
        }
    }
    if (name == "content-length") {
        std::uint64_t length = 0;
        const auto end = value.data() + value.size();
        if (std::from_chars(value.data(), end, length).ptr == end) head.content_length = length;
    }
    head.headers.add(name, value);
    return 0;
}

// The request's header block is complete: its handler starts.
inline void session::start_handler(const std::shared_ptr<stream_state>& s) {
    request& req = s->req;
    request_head& head = req.head();
    if (!s->authority.empty() && !head.headers.contains("host"))
        head.headers.add("host", s->authority);
    req.set_info(loop_.info);
    req.set_stopping(loop_.draining.token());
    req.set_client(peer_.address, peer_.scheme);
    s->at = stream_state::phase::handling;
    s->started = conn_.now();
    if (handlers_++ == 0) handlers_done_.clear();
    arm_idle();
    if (s->headers_too_large || !req.prepare(s.get())) {
        asio::co_spawn(conn_.executor(),
                       respond(*s, s->headers_too_large
                                       ? error_response(431, "request header fields too large")
                                       : error_response(400, "malformed request target")),
                       [this, s](std::exception_ptr) mutable { handler_ended(std::move(s)); });
        return;
    }
    req.body().set_limit(config_.max_body_bytes);
    if (peer_.trusted) {
        const auto origin = loop_.proxies.resolve(peer_.address, true, head.headers);
        req.set_client(origin.address, origin.scheme);
    }
    asio::co_spawn(
        conn_.executor(), handle(s),
        asio::bind_cancellation_slot(s->cancel.slot(), [this, s](std::exception_ptr) mutable {
            handler_ended(std::move(s));
        }));
}

inline asio::awaitable<void> session::handle(std::shared_ptr<stream_state> s) {
    response res;
    std::exception_ptr failure;
    try {
        res = co_await (*loop_.handler)(s->req);
    } catch (...) {
        failure = std::current_exception();
    }
    co_await asio::this_coro::throw_if_cancelled(false);
    if (s->at == stream_state::phase::closed) { // reset by the client, or the session ended
        log_access(*s, 499);
        co_return;
    }
    if (failure) res = failure_response(*s, failure);
    co_await respond(*s, std::move(res));
}

inline response session::failure_response(const stream_state& s,
                                          const std::exception_ptr& failure) {
    try {
        std::rethrow_exception(failure);
    } catch (const std::system_error& e) {
        if (loop_.stopping() && e.code() == asio::error::operation_aborted)
            return error_response(503);
    } catch (...) {
    }
    return handler_failure_response(failure, [&](std::string_view what) { log_failure(s, what); });
}

inline void session::handler_ended(std::shared_ptr<stream_state> s) {
    if (--handlers_ == 0) handlers_done_.set();
    if (s->at == stream_state::phase::closed) recycle(std::move(s));
    arm_idle();
    wake();
}

// A closed stream nobody else holds is kept for the connection's next one.
inline void session::recycle(std::shared_ptr<stream_state> s) {
    if (s.use_count() == 1 && spare_.size() < max_spare_streams) spare_.push_back(std::move(s));
}

// ---- responses ------------------------------------------------------------------

inline asio::awaitable<void> session::respond(stream_state& s, response res) {
    if (const std::string why = unsendable(res); !why.empty()) {
        log_failure(s, why);
        res = error_response(500, "", nullptr);
    }
    s.res = std::move(res);
    const response& r = s.res;
    const bool head_request = s.req.method() == "HEAD";
    const bool has_body = status_allows_body(r.status) && !head_request;
    char status[4] = {};
    std::to_chars(status, status + 3, r.status);
    // Names as HTTP/2 requires them: lower case (copied only when not).
    std::size_t upper = 0;
    for (const auto& f : r.headers)
        upper += std::any_of(f.name.begin(), f.name.end(),
                             [](unsigned char c) { return std::isupper(c) != 0; });
    lowered_.resize(std::max(lowered_.size(), upper)); // no reallocation below
    std::size_t next_lowered = 0;
    nva_.clear();
    nva_.push_back(pair(":status", std::string_view(status, 3)));
    bool has_type = false, has_date = false;
    for (const auto& f : r.headers) {
        if (f.name.empty() || connection_specific(f.name)) continue;
        std::string_view name = f.name;
        if (std::any_of(name.begin(), name.end(),
                        [](unsigned char c) { return std::isupper(c) != 0; })) {
            std::string& lower = lowered_[next_lowered++];
            lower.assign(name);
            std::transform(lower.begin(), lower.end(), lower.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            name = lower;
        }
        has_type = has_type || name == "content-type";
        has_date = has_date || name == "date";
        nva_.push_back(pair(name, f.value));
    }
    if (!has_type && status_allows_body(r.status) && !r.body.content_type().empty())
        nva_.push_back(pair("content-type", r.body.content_type()));
    if (!has_date) nva_.push_back(pair("date", loop_.dates.get()));
    char length[24];
    const auto declared =
        r.body.type() == body_writer::kind::stream ? r.body.length() : r.body.data().size();
    if (declared && status_allows_body(r.status)) {
        const auto end = std::to_chars(length, length + sizeof length, *declared).ptr;
        nva_.push_back(pair("content-length", std::string_view(length, end - length)));
    }
    const bool streaming = has_body && r.body.type() == body_writer::kind::stream;
    s.out_ended = !streaming;
    nghttp2_data_provider provider{};
    provider.source.ptr = &s;
    provider.read_callback = on_read_body;
    s.at = stream_state::phase::responding;
    // What the handler left of the body is not read now (see on_data_chunk).
    s.body_in.clear();
    s.handed.clear();
    if (nghttp2_submit_response(h_, s.id, nva_.data(), nva_.size(),
                                has_body ? &provider : nullptr) != 0) {
        nghttp2_submit_rst_stream(h_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_INTERNAL_ERROR);
        wake();
        log_access(s, r.status);
        co_return;
    }
    wake();
    if (!streaming) {
        s.body_bytes = has_body ? r.body.data().size() : 0;
        log_access(s, r.status);
        co_return;
    }
    try {
        co_await r.body.producer()(s);
        if (const auto length = r.body.length(); length && *length != s.body_bytes)
            throw std::length_error("streaming writer wrote " + std::to_string(s.body_bytes) +
                                    " bytes after declaring " + std::to_string(*length));
    } catch (const std::exception& e) {
        if (s.at != stream_state::phase::closed && !loop_.stopping()) log_failure(s, e.what());
        if (s.at != stream_state::phase::closed) // cut short: the client must not take it whole
            nghttp2_submit_rst_stream(h_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_INTERNAL_ERROR);
    }
    s.out_ended = true;
    if (s.at != stream_state::phase::closed) nghttp2_session_resume_data(h_, s.id);
    wake();
    log_access(s, r.status);
}

// Why `res` cannot be sent over HTTP/2 (empty: it can): a 1xx or 101 as
// the final response, a field name empty or a pseudo-header, a CR, LF or
// NUL in a name or value (HTTP/1.1's serializer refuses the same).
inline std::string session::unsendable(const response& res) {
    if (res.status < 200 || res.status > 999)
        return "status " + std::to_string(res.status) + " cannot end an HTTP/2 response";
    const auto has_nul = [](std::string_view v) { return v.find('\0') != std::string_view::npos; };
    for (const auto& f : res.headers)
        if (f.name.empty() || f.name.front() == ':' || bareasio::detail::has_line_break(f.name) ||
            bareasio::detail::has_line_break(f.value) || has_nul(f.name) || has_nul(f.value))
            return "header '" + f.name + "' has an empty name, a ':' or a line break";
    return {};
}

// A streaming writer's chunk: framed as the stream's window allows; the
// writer waits while much of it is unframed (a slow client slows it).
inline asio::awaitable<void> session::write_body(stream_state& s, std::string_view chunk) {
    if (s.at == stream_state::phase::closed)
        throw std::system_error(asio::error::connection_reset, "client reset the stream");
    if (chunk.empty()) co_return;
    s.out.append(chunk);
    s.body_bytes += chunk.size();
    nghttp2_session_resume_data(h_, s.id);
    wake();
    while (s.out.size() - s.sent > stream_high_water) {
        co_await s.out_taken.wait();
        if (s.at == stream_state::phase::closed)
            throw std::system_error(asio::error::connection_reset, "client reset the stream");
    }
}

// The data provider: the stream's next bytes, END_STREAM after the last,
// or "deferred" while a streaming writer has none ready.
inline ssize_t session::on_read_body(nghttp2_session* h, std::int32_t id, std::uint8_t* buf,
                                     std::size_t length, std::uint32_t* flags,
                                     nghttp2_data_source* source, void* user) {
    return guarded([&]() -> ssize_t {
        auto& s = *static_cast<stream_state*>(source->ptr);
        const auto now = static_cast<session*>(user)->conn_.now();
        const std::string_view rest = s.unsent();
        const std::size_t n = std::min(length, rest.size());
        std::memcpy(buf, rest.data(), n);
        s.sent += n;
        s.response_rate.record({}, n);
        if (n > 0 && s.stalled_since != loop_clock::time_point{}) { // a wait for the window ended
            s.response_rate.record(now - s.stalled_since, 0);
            s.stalled_since = {};
        }
        if (n < rest.size() &&
            (nghttp2_session_get_stream_remote_window_size(h, id) <= static_cast<std::int32_t>(n) ||
             nghttp2_session_get_remote_window_size(h) <= static_cast<std::int32_t>(n)))
            s.stalled_since = now; // these bytes took the window: the rest waits for it
        if (n == rest.size()) {
            if (s.res.body.type() != body_writer::kind::buffer) { // streaming: reuse its buffer
                s.out.clear();
                s.sent = 0;
                s.out_taken.notify();
            }
            if (s.out_ended)
                *flags |= NGHTTP2_DATA_FLAG_EOF;
            else if (n == 0)
                return NGHTTP2_ERR_DEFERRED;
        }
        return static_cast<ssize_t>(n);
    });
}

// ---- request bodies ----------------------------------------------------------------

// The handler's next piece of the body; the window of the piece it held
// before opens again now.
inline asio::awaitable<std::string_view> session::read_body(stream_state& s) {
    if (!s.handed.empty()) {
        if (s.at != stream_state::phase::closed)
            nghttp2_session_consume_stream(h_, s.id, s.handed.size());
        s.handed.clear();
        wake();
    }
    while (s.body_in.empty() && !s.body_ended) {
        if (s.at == stream_state::phase::closed)
            throw std::system_error(asio::error::connection_reset, "client reset the stream");
        if (s.body_timed_out) throw http_error(408, "request body not received in time");
        s.body_wait_since = conn_.now();
        co_await s.body_ready.wait();
        s.body_rate.record(conn_.now() - s.body_wait_since, s.body_in.size());
        s.body_wait_since = {};
    }
    std::swap(s.handed, s.body_in);
    co_return std::string_view(s.handed);
}

// ---- nghttp2's callbacks ---------------------------------------------------------

inline int session::on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    return guarded([&]() -> int {
        auto& self = *static_cast<session*>(user);
        if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
            self.begin_stream(frame->hd.stream_id);
        return 0;
    });
}

inline int session::on_header(nghttp2_session*, const nghttp2_frame* frame,
                              const std::uint8_t* name, std::size_t name_size,
                              const std::uint8_t* value, std::size_t value_size, std::uint8_t,
                              void* user) {
    return guarded([&]() -> int {
        auto& self = *static_cast<session*>(user);
        stream_state* s = self.find(frame->hd.stream_id);
        if (!s || s->at != stream_state::phase::headers) return 0; // trailers: ignored
        return self.add_header(*s, view(name, name_size), view(value, value_size));
    });
}

// Counts a header block's CONTINUATION frames: a flood of them (empty or
// not) ends the connection before nghttp2 buffers them. Checks that a
// HEADERS frame does not open a stream below one already opened.
inline int session::on_begin_frame(nghttp2_session*, const nghttp2_frame_hd* hd, void* user) {
    return guarded([&]() -> int {
        auto& self = *static_cast<session*>(user);
        if (hd->type == NGHTTP2_HEADERS && !self.headers_seen(hd->stream_id)) {
            self.go_away(NGHTTP2_PROTOCOL_ERROR);
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
        if (hd->type != NGHTTP2_CONTINUATION) return 0;
        stream_state* s = self.find(hd->stream_id);
        if (s && ++s->continuations > max_continuations) {
            self.go_away(NGHTTP2_ENHANCE_YOUR_CALM);
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
        return 0;
    });
}

inline int session::on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    return guarded([&]() -> int {
        auto& self = *static_cast<session*>(user);
        if (frame->hd.type == NGHTTP2_RST_STREAM && !self.count_reset()) return 0;
        if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
        const auto it = self.streams_.find(frame->hd.stream_id);
        if (it == self.streams_.end()) return 0;
        const auto& s = it->second;
        if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
            s->body_ended = true;
            s->body_ready.notify();
        }
        if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
            self.start_handler(s);
        return 0;
    });
}

// RFC 9113 §5.1.1: a client opens streams in increasing order, so a
// HEADERS frame for a stream below one it opened, on a stream it never
// opened, is a connection error (PROTOCOL_ERROR). nghttp2 ignores it,
// unsure whether the stream was ever open; the last ids opened answer
// that. HEADERS on a stream opened before (trailers, or a late frame on
// a stream closed) are nghttp2's to judge.
inline bool session::headers_seen(std::int32_t id) {
    if (opened_.empty() || id > opened_.back()) {
        opened_.push_back(id);
        if (opened_.size() > remembered_streams) {
            forgotten_below_ = opened_.front() + 1;
            opened_.pop_front();
        }
        return true;
    }
    if (id < forgotten_below_) return true; // too old to tell
    return std::binary_search(opened_.begin(), opened_.end(), id);
}

// Rapid reset (CVE-2023-44487): a client that resets more streams a
// second than it could ever need is cut off.
inline bool session::count_reset() {
    const auto now = conn_.now();
    if (now - reset_window_ >= std::chrono::seconds(1)) {
        reset_window_ = now;
        resets_ = 0;
    }
    if (++resets_ <= max_resets_per_second) return true;
    go_away(NGHTTP2_ENHANCE_YOUR_CALM);
    return false;
}

inline int session::on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t id,
                                  const std::uint8_t* data, std::size_t size, void* user) {
    return guarded([&]() -> int {
        auto& self = *static_cast<session*>(user);
        // The connection's window opens at once: one stream whose handler has
        // not read yet must not hold the others' uploads. The stream's own
        // window opens as its handler reads.
        nghttp2_session_consume_connection(self.h_, size);
        stream_state* s = self.find(id);
        // Nobody will read it: the stream's window stays shut, so the client
        // soon stops sending (and check_streams ends the stream).
        if (!s || s->at == stream_state::phase::responding || s->at == stream_state::phase::closed)
            return 0;
        s->body_in.append(reinterpret_cast<const char*>(data), size);
        s->body_ready.notify();
        return 0;
    });
}

inline int session::on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t, void* user) {
    return guarded([&]() -> int {
        static_cast<session*>(user)->stream_closed(id);
        return 0;
    });
}

// A stream closed (ended, or reset by either side): a handler still
// running is cancelled (after nghttp2's callback returns).
inline void session::stream_closed(std::int32_t id) {
    const auto it = streams_.find(id);
    if (it == streams_.end()) return;
    auto s = std::move(it->second);
    streams_.erase(it);
    const bool running = s->at == stream_state::phase::handling ||
                         (s->at == stream_state::phase::responding && !s->out_ended);
    s->at = stream_state::phase::closed;
    s->body_in.clear();
    s->body_ready.notify();
    s->out_taken.notify();
    if (running)
        asio::post(conn_.executor(), [s] { s->cancel.emit(asio::cancellation_type::terminal); });
    arm_idle();
    wake();
}

// ---- logs --------------------------------------------------------------------------

inline void session::log_access(const stream_state& s, int status) {
    if (!loop_.access) return;
    const request_head& head = s.req.head();
    const access_record record{
        .client = s.req.client_address(),
        .method = head.method,
        .target = head.target,
        .version = 20,
        .status = status,
        .body_bytes = s.body_bytes,
        .referer = head.headers.get("referer").value_or(std::string_view{}),
        .user_agent = head.headers.get("user-agent").value_or(std::string_view{}),
        .duration = std::chrono::duration_cast<std::chrono::microseconds>(conn_.now() - s.started),
    };
    loop_.access_line.clear();
    format_access_line(loop_.access_line, record, loop_.access_clock.get());
    loop_.access->write(loop_.access_line);
}

inline void session::log_failure(const stream_state& s, std::string_view what) const {
    bareasio::detail::log_line("bareasio: handler for " + s.req.head().method + " " +
                               s.req.head().target + " failed: " + std::string(what));
}

} // namespace bareasio::h2::detail
