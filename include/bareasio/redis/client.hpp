// redis::client: one Redis connection shared by every coroutine of a
// program, on any event loop or thread. Commands are queued, written
// together (pipelined) and answered in order, and each caller is resumed on
// its own executor with its reply; a handler needs no connection of its own.
//     struct state { redis::client db; };
//     app.lifespan.add("redis",
//         [&](lifespan_context& ctx) { return ctx.info<state>().db.connect(ctx.executor, url); },
//         [](lifespan_context& ctx) { return ctx.info<state>().db.close(); });
//     auto hits = co_await req.info<state>().db.command("INCR", "hits"); // hits.integer()
// It keeps the connection up: a lost one is made again in the background
// (logged); commands in flight when it is lost, and commands while it is
// down, fail at once with redis::error saying so, rather than wait. An
// error reply throws redis::error with Redis's text. A command not answered
// within reply_timeout counts as a lost connection.
// Link: libbareasio_redis and hiredis (meson: bareasio_redis_dep).
// Thread safety: command() and send() from any thread; connect() and close()
// must not overlap each other.
#pragma once

#include <bareasio/redis/connection.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace bareasio::redis {

struct client_options {
    // How long connect() keeps trying (startup fails past it).
    std::chrono::milliseconds connect_timeout{5000};
    // A command not answered within this is a lost connection.
    std::chrono::milliseconds reply_timeout{2000};
    // The delay before reconnecting, doubling up to the maximum.
    std::chrono::milliseconds reconnect_delay{100};
    std::chrono::milliseconds max_reconnect_delay{500};
};

namespace detail {
class client_link;
std::shared_ptr<client_link> make_client_link();
asio::awaitable<reply> run_command(std::shared_ptr<client_link> link, std::string encoded);
bool send_command(client_link& link, std::string encoded);
} // namespace detail

class client {
public:
    client() : link_(detail::make_client_link()) {}
    client(client&&) noexcept = default; // a moved-from one may only be destroyed
    client& operator=(client&&) = delete;
    // Stops the background task (without waiting) if close() was not called.
    ~client();

    // Connects to redis://[[user]:password@]host[:port][/db] and keeps the
    // connection up with a task on `ex` (a strand of it) until close().
    // Throws std::runtime_error naming the address if Redis cannot be
    // reached within options.connect_timeout, or at once if it refuses
    // (NOAUTH, WRONGPASS).
    asio::awaitable<void> connect(asio::any_io_executor ex, std::string url,
                                  client_options options = {});
    // Fails what is still queued, stops the task and closes the connection.
    asio::awaitable<void> close();

    // Sends one command and returns its reply; resumes on the caller's
    // executor. Arguments are anything a std::string_view is made from.
    template <class... Args>
    asio::awaitable<reply> command(const Args&... args) {
        std::string encoded;
        connection::encode(encoded, {std::string_view(args)...});
        return detail::run_command(link_, std::move(encoded));
    }
    // Sends one command and forgets its reply (PUBLISH from a thread that
    // cannot wait): false, and nothing sent, when not connected.
    template <class... Args>
    bool send(const Args&... args) {
        std::string encoded;
        connection::encode(encoded, {std::string_view(args)...});
        return detail::send_command(*link_, std::move(encoded));
    }

    // Connected to Redis now.
    bool connected() const noexcept;
    // How many times a lost connection was made again.
    std::uint64_t reconnects() const noexcept;

private:
    std::shared_ptr<detail::client_link> link_;
};

} // namespace bareasio::redis
