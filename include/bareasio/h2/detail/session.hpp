// h2::detail::session: one HTTP/2 connection on libnghttp2. The connection
// (server/connection.hpp) hands itself over as an upgradable_connection;
// a reader feeds nghttp2 what arrives, a writer sends what nghttp2 frames,
// and each stream's handler runs as a coroutine of its own on the loop.
// Reading stops while the writer is held up by the peer, so frames that
// ask for an answer (PING, SETTINGS) cannot pile up answers.
// Limits: SETTINGS_MAX_CONCURRENT_STREAMS 100 and the header limits of
// server_config; a stream's window opens only as its handler reads; the
// idle and write timeouts of server_config (a stream whose bytes wait
// write_timeout for the client's window is reset), body_timeout for each
// body read (408); rapid resets and CONTINUATION floods end the connection
// (GOAWAY ENHANCE_YOUR_CALM).
// Graceful stop: GOAWAY, the open streams finish (the drain deadline
// cancels them), then the connection closes.
// Compiled once, into libbareasio_h2 (src/h2.cpp).
// Thread safety: on the connection's loop only.
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/h2/detail/stream_state.hpp>
#include <bareasio/server/loop_context.hpp>
#include <bareasio/server/second_protocol.hpp>

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace bareasio::h2::detail {

class session final : upgrade_hooks {
public:
    static constexpr std::uint32_t max_concurrent_streams = 100;
    static constexpr std::size_t write_batch = 64 * 1024;
    // A streaming writer waits while this much of its output is unframed.
    static constexpr std::size_t stream_high_water = 64 * 1024;
    // Streams the client may reset per second before it is cut off.
    static constexpr unsigned max_resets_per_second = 2 * max_concurrent_streams;
    static constexpr unsigned max_continuations = 64;
    static constexpr std::size_t remembered_streams = 256;
    static constexpr std::size_t max_spare_streams = 16;
    // How often a connection with open streams checks their deadlines.
    static constexpr std::chrono::seconds check_interval{1};

    session(upgradable_connection& conn, loop_context& loop, peer_info peer);
    ~session();
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    // Serves the connection until it ends; every handler has ended then.
    asio::awaitable<void> run();

    // For stream_state: the handler's reads and writes.
    asio::awaitable<std::string_view> read_body(stream_state& s);
    asio::awaitable<void> write_body(stream_state& s, std::string_view chunk);

private:
    enum class state { open, draining, ending };

    // upgrade_hooks
    void deadline_passed(upgrade_hooks::time_point now) override;
    void stop() override;

    bool start_session();
    asio::awaitable<void> read_loop();
    asio::awaitable<void> write_loop();
    bool finished() const noexcept;
    void wake() { writer_wake_.notify(); }
    void go_away(std::uint32_t code);
    void arm_idle();
    void check_streams(upgrade_hooks::time_point now);

    void begin_stream(std::int32_t id);
    int add_header(stream_state& s, std::string_view name, std::string_view value);
    void start_handler(const std::shared_ptr<stream_state>& s);
    asio::awaitable<void> handle(std::shared_ptr<stream_state> s);
    asio::awaitable<void> respond(stream_state& s, response res);
    static std::string unsendable(const response& res);
    response failure_response(const stream_state& s, const std::exception_ptr& failure);
    void handler_ended(std::shared_ptr<stream_state> s);
    void recycle(std::shared_ptr<stream_state> s);
    void stream_closed(std::int32_t id);
    bool count_reset();
    bool headers_seen(std::int32_t id);
    void log_access(const stream_state& s, int status);
    void log_failure(const stream_state& s, std::string_view what) const;
    stream_state* find(std::int32_t id) noexcept;

    // nghttp2's callbacks; user_data is the session.
    static int on_begin_headers(nghttp2_session*, const nghttp2_frame*, void*);
    static int on_header(nghttp2_session*, const nghttp2_frame*, const std::uint8_t*, std::size_t,
                         const std::uint8_t*, std::size_t, std::uint8_t, void*);
    static int on_begin_frame(nghttp2_session*, const nghttp2_frame_hd*, void*);
    static int on_frame_recv(nghttp2_session*, const nghttp2_frame*, void*);
    static int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t, const std::uint8_t*,
                             std::size_t, void*);
    static int on_stream_close(nghttp2_session*, std::int32_t, std::uint32_t, void*);
    static ssize_t on_read_body(nghttp2_session*, std::int32_t, std::uint8_t*, std::size_t,
                                std::uint32_t*, nghttp2_data_source*, void*);

    upgradable_connection& conn_;
    loop_context& loop_;
    const server_config& config_;
    peer_info peer_;
    nghttp2_session* h_ = nullptr;
    state state_ = state::open;
    bool reader_ended_ = false;
    bool writing_ = false; // a write waits for the peer: reading pauses
    waiter writer_wake_;   // the writer has something to do
    event written_;        // a held-up write completed
    event writer_done_;
    event handlers_done_; // no handler runs
    std::size_t handlers_ = 0;
    std::map<std::int32_t, std::shared_ptr<stream_state>> streams_;
    std::vector<std::shared_ptr<stream_state>> spare_; // closed, for the next streams
    std::vector<nghttp2_nv> nva_;                      // a response's headers, reused
    std::vector<std::string> lowered_;                 // names lower-cased for nva_
    std::string out_;
    loop_clock::time_point reset_window_{};
    unsigned resets_ = 0;
    std::deque<std::int32_t> opened_;  // the last streams opened, in order
    std::int32_t forgotten_below_ = 0; // streams opened below it are forgotten
};

} // namespace bareasio::h2::detail
