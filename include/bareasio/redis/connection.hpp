// redis::connection: one connection to a Redis server over an Asio TCP
// socket, speaking RESP through hiredis's reply parser (redisReader) only:
// the socket, the buffers and the waiting are ours, so it runs on any Asio
// executor and never blocks a thread.
//     redis::connection c(ex);
//     co_await c.connect(redis::endpoint::parse(url), 5s);  // connect, AUTH, SELECT
//     c.queue("SET", "k", "v");                               // pipelined: queue several,
//     c.queue("GET", "k");
//     co_await c.flush();                                     // one write,
//     auto ok = co_await c.read(), value = co_await c.read(); // replies in order
//     auto r = co_await c.command("INCR", "n");               // queue + flush + read
// A subscriber uses the same calls: queue SUBSCRIBE, flush, then read()
// the pushed messages. An error reply is a reply (is_error()); command()
// throws redis::error for it. A broken connection throws system_error
// (asio::error::eof when Redis closed it).
// Link: hiredis (Debian libhiredis-dev; meson dependency('hiredis')).
// Thread safety: none; use a connection from one coroutine for reads and
// one for writes at a time, on its executor (a strand if it is shared).
#pragma once

#include <bareasio/async/wait_for.hpp>
#include <bareasio/redis/endpoint.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <hiredis/hiredis.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace bareasio::redis {

// An error reply (what() is Redis's text, "ERR ..."), or a reply that is
// not what the protocol promises.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A read-only look at one reply or one element of an array reply.
class reply_view {
public:
    explicit reply_view(const redisReply* r) noexcept : r_(r) {}

    bool is_error() const noexcept { return r_->type == REDIS_REPLY_ERROR; }
    bool is_nil() const noexcept { return r_->type == REDIS_REPLY_NIL; }
    bool is_array() const noexcept { return r_->type == REDIS_REPLY_ARRAY; }
    bool is_integer() const noexcept { return r_->type == REDIS_REPLY_INTEGER; }
    // The text of a bulk string, a status or an error; empty otherwise.
    std::string_view text() const noexcept {
        const bool has_text = r_->type == REDIS_REPLY_STRING || r_->type == REDIS_REPLY_STATUS ||
                              r_->type == REDIS_REPLY_ERROR;
        return has_text ? std::string_view(r_->str, r_->len) : std::string_view{};
    }
    long long integer() const noexcept { return r_->integer; }
    std::size_t size() const noexcept { return is_array() ? r_->elements : 0; }
    reply_view operator[](std::size_t i) const noexcept { return reply_view(r_->element[i]); }

private:
    const redisReply* r_;
};

// A whole reply, owned. A default-constructed one is empty: only for
// assigning to.
class reply : public reply_view {
public:
    reply() noexcept : reply_view(nullptr) {}
    explicit reply(redisReply* r) noexcept : reply_view(r), owner_(r) {}

private:
    struct free_reply {
        void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
    };
    std::unique_ptr<redisReply, free_reply> owner_;
};

class connection {
public:
    explicit connection(asio::any_io_executor ex)
        : socket_(std::move(ex)), reader_(make_reader()) {}

    // Resolves, connects (TCP_NODELAY), then sends AUTH and SELECT as the
    // endpoint asks, all within `timeout` (throws timeout_error past it).
    asio::awaitable<void> connect(endpoint where, std::chrono::milliseconds timeout) {
        co_await bareasio::wait_for(open(std::move(where)), timeout);
    }

    // The same without a deadline, for callers that keep their own (and
    // close() the connection when it passes).
    asio::awaitable<void> open(endpoint where) {
        asio::ip::tcp::resolver resolver(socket_.get_executor());
        auto found = co_await resolver.async_resolve(where.host, std::to_string(where.port),
                                                     asio::use_awaitable);
        co_await asio::async_connect(socket_, found, asio::use_awaitable);
        socket_.set_option(asio::ip::tcp::no_delay(true));
        if (!where.password.empty() && where.username.empty())
            co_await command("AUTH", where.password);
        else if (!where.password.empty())
            co_await command("AUTH", where.username, where.password);
        if (where.db != 0) co_await command("SELECT", std::to_string(where.db));
    }

    // Appends one command to what the next flush() sends; each argument
    // is anything a std::string_view can be made from.
    template <class... Args>
    void queue(const Args&... args) {
        encode(out_, {std::string_view(args)...});
    }
    // Appends a command already encoded (encode()).
    void queue_encoded(std::string_view command) { out_ += command; }

    // Appends `args` to `out` as one RESP command (an array of bulk strings).
    static void encode(std::string& out, std::initializer_list<std::string_view> args) {
        encode(out, std::span<const std::string_view>(args.begin(), args.size()));
    }
    static void encode(std::string& out, std::span<const std::string_view> args) {
        out += '*';
        out += std::to_string(args.size());
        out += "\r\n";
        for (const std::string_view arg : args) {
            out += '$';
            out += std::to_string(arg.size());
            out += "\r\n";
            out += arg;
            out += "\r\n";
        }
    }

    // Sends every queued command in one write.
    asio::awaitable<void> flush() {
        std::string sending = std::exchange(out_, {});
        co_await asio::async_write(socket_, asio::buffer(sending), asio::use_awaitable);
        sending.clear();
        if (out_.empty())
            out_.swap(sending); // keep the capacity; never drop what was queued meanwhile
    }

    // The next reply (or pushed message), reading as much as it takes.
    asio::awaitable<reply> read() {
        for (;;) {
            void* parsed = nullptr;
            if (redisReaderGetReply(reader_.get(), &parsed) != REDIS_OK)
                throw error(std::string("Redis protocol error: ") + reader_->errstr);
            if (parsed) co_return reply(static_cast<redisReply*>(parsed));
            const std::size_t n =
                co_await socket_.async_read_some(asio::buffer(in_), asio::use_awaitable);
            if (redisReaderFeed(reader_.get(), in_.data(), n) != REDIS_OK)
                throw error(std::string("Redis protocol error: ") + reader_->errstr);
        }
    }

    // queue(), flush() and read() for one command; an error reply throws.
    // The arguments are copied before it returns.
    template <class... Args>
    asio::awaitable<reply> command(const Args&... args) {
        queue(args...);
        return flush_and_read();
    }

    // Closes the socket: pending reads and writes complete with an error.
    void close() noexcept {
        std::error_code ignored;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

    bool is_open() const noexcept { return socket_.is_open(); }

private:
    struct free_reader {
        void operator()(redisReader* r) const noexcept { redisReaderFree(r); }
    };
    using reader_ptr = std::unique_ptr<redisReader, free_reader>;

    asio::awaitable<reply> flush_and_read() {
        co_await flush();
        auto r = co_await read();
        if (r.is_error()) throw error(std::string(r.text()));
        co_return r;
    }

    static reader_ptr make_reader() {
        reader_ptr r(redisReaderCreate());
        if (!r) throw std::bad_alloc();
        return r;
    }

    asio::ip::tcp::socket socket_;
    reader_ptr reader_;
    std::string out_;
    std::array<char, 16 * 1024> in_{};
};

} // namespace bareasio::redis
