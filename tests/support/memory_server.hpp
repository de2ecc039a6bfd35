// Connections of one event loop driven over bareasio::testing::stream: the
// server's loop context and registry, with no listener, no thread and a
// frozen clock. poll() runs what is ready; sweep(after) is the loop's
// sweeper passing `after` from now, and advance(by) moves now, so a timeout
// fires when the test says and never by accident. Responses are compared byte for byte; only Date
// lines are checked for form and then masked (without_dates).
#pragma once

#include <bareasio/bareasio.hpp>
#include <bareasio/server/connection_registry.hpp>
#include <bareasio/testing/stream.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

namespace test {

class memory_server {
public:
    explicit memory_server(const bareasio::application& app, bareasio::server_config config = {})
        : config_(std::move(config)), handler_(app.handler()),
          loop_(config_, handler_, app.info_handle()), registry_(loop_) {
        loop_.clock.freeze();
    }
    memory_server(const memory_server&) = delete;
    memory_server& operator=(const memory_server&) = delete;
    // Ends every connection still open.
    ~memory_server() {
        registry_.cancel_all();
        poll();
    }

    // A client end, connected to a new connection of this loop;
    // `configure` sets the server end's test controls first.
    template <class Configure = void (*)(bareasio::testing::stream&)>
    bareasio::testing::stream connect(Configure configure = [](bareasio::testing::stream&) {}) {
        bareasio::testing::stream server_end(ioc_.get_executor()), client(ioc_.get_executor());
        server_end.connect(client);
        configure(server_end);
        registry_.start(ioc_.get_executor(), std::move(server_end));
        poll();
        return client;
    }

    // The same with the server end's own stream type: one derived from
    // testing::stream (one that reports a scheme, say).
    template <class ServerEnd>
    bareasio::testing::stream connect_as() {
        ServerEnd server_end(ioc_.get_executor());
        bareasio::testing::stream client(ioc_.get_executor());
        server_end.connect(client);
        registry_.start(ioc_.get_executor(), std::move(server_end));
        poll();
        return client;
    }

    // Runs every handler that is ready, and those they make ready.
    void poll() {
        ioc_.restart();
        ioc_.poll();
    }

    // The sweeper passes, `after` from now: deadlines that passed by then
    // end their I/O; long-running handlers get their client watched.
    void sweep(std::chrono::milliseconds after = {}) {
        registry_.sweep_once(loop_.clock.now() + after);
        poll();
    }

    // Time passes, with no sweep: deadlines set from now on start later.
    void advance(std::chrono::milliseconds by) { loop_.clock.advance(by); }

    // Graceful stop, as the server begins it: idle connections close, busy
    // ones finish; past `deadline` (from now) the rest are cancelled.
    void drain(std::chrono::milliseconds deadline) {
        if (!draining_) {
            draining_ = true;
            asio::co_spawn(ioc_, registry_.drain(std::chrono::steady_clock::now() + deadline),
                           asio::detached);
        }
        poll();
    }

    std::size_t connections() const noexcept { return registry_.size(); }
    bareasio::loop_context& loop() noexcept { return loop_; }
    asio::io_context& context() noexcept { return ioc_; }

private:
    asio::io_context ioc_; // first: the streams' pending operations hold work on it
    bareasio::server_config config_;
    bareasio::http_handler handler_;
    bareasio::loop_context loop_;
    bareasio::connection_registry registry_;
    bool draining_ = false;
};

// Reads everything the server sends until it stops sending, as a client
// that keeps reading would.
inline std::string read_all(memory_server& server, bareasio::testing::stream& client) {
    std::string got;
    for (;;) {
        server.poll();
        std::string more = client.received();
        if (more.empty()) return got;
        got += more;
    }
}

// Each "Date: <IMF-fixdate>\r\n" line, checked, becomes "Date: *\r\n" (a
// line cut short at the end becomes "Date: *").
inline std::string without_dates(std::string bytes) {
    for (std::size_t at = bytes.find("\r\nDate: "); at != std::string::npos;
         at = bytes.find("\r\nDate: ", at + 2)) {
        const std::size_t value = at + 8;
        if (value + 31 > bytes.size()) {
            bytes.replace(value, std::string::npos, "*");
            break;
        }
        if (bytes.compare(value + 29, 2, "\r\n") != 0 ||
            !bareasio::parse_http_date(std::string_view(bytes).substr(value, 29)))
            throw std::runtime_error("malformed Date line in: " + bytes);
        bytes.replace(value, 29, "*");
    }
    return bytes;
}

} // namespace test
