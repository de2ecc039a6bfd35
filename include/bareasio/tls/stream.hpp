// tls::stream: the server's side of a TLS connection over a TCP socket, a
// direct_stream with a peer, a goodbye and the scheme "https" in the terms
// of transport/stream.hpp: its read_some and write_some never block (the
// socket is non-blocking from the start), so a response is written
// without the reactor, as over plain TCP. It keeps its context alive, so a
// reloaded certificate never pulls one out from under it.
//     tls::stream s(std::move(socket), cert.current());
//     co_await s.async_handshake(asio::use_awaitable);
// The connection's state (an SSL object, OpenSSL's record buffers and a
// 16 KiB input) is made when the handshake has the client's first bytes:
// until then a silent connection costs a socket, as over plain HTTP.
// OpenSSL works on the socket through detail::socket_bio: records are
// written with send(2) as soon as they are made, and read from what the
// reactor reads for the stream, so a request costs the system calls it
// costs over plain TCP and no posted completion. Each operation is tried
// at once and waits only for what OpenSSL lacks. Writes may be partial
// (SSL_MODE_ENABLE_PARTIAL_WRITE); a write that would block must be tried
// again with the same bytes first, as a caller of write_some does anyway.
// Renegotiation is off (tls::certificate), so a write never needs a read.
// Link: OpenSSL.
// Thread safety: as a socket's: one read and one write at a time, on its
// executor.
#pragma once

#include <asio/associated_executor.hpp>
#include <asio/buffer.hpp>
#include <asio/compose.hpp>
#include <asio/error.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/error.hpp>
#include <bareasio/tls/detail/socket_bio.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstddef>
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

namespace bareasio::tls {

class stream {
public:
    using socket_type = asio::ip::tcp::socket;
    using executor_type = socket_type::executor_type;

    // Throws std::system_error when the socket cannot be made non-blocking.
    stream(socket_type socket, std::shared_ptr<asio::ssl::context> context)
        : context_(std::move(context)), socket_(std::move(socket)) {
        socket_.non_blocking(true);
    }

    executor_type get_executor() noexcept { return socket_.get_executor(); }
    SSL* native_handle() noexcept { return ssl_.get(); } // null until the client's first bytes
    // The protocol ALPN agreed on in the handshake ("h2", "http/1.1"), or "".
    std::string_view alpn() const noexcept {
        const unsigned char* name = nullptr;
        unsigned int size = 0;
        if (ssl_) SSL_get0_alpn_selected(ssl_.get(), &name, &size);
        return name ? std::string_view(reinterpret_cast<const char*>(name), size)
                    : std::string_view();
    }

    // ---- the direct paths -------------------------------------------------

    // What OpenSSL can decrypt from what was read; would_block otherwise.
    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers, std::error_code& ec) {
        std::size_t n = 0;
        read_once(first(buffers), n, ec);
        return n;
    }

    // What the socket takes now (whole records); would_block otherwise.
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& buffers, std::error_code& ec) {
        std::size_t n = 0;
        write_once(first(buffers), n, ec);
        return n;
    }

    // ---- asynchronous operations --------------------------------------------
    // Each tries at once and waits for the socket only when OpenSSL must.

    // The server's side of the handshake: it waits for the client's first
    // bytes, then makes the connection's state. Completion: void(error_code);
    // no_memory when OpenSSL cannot make the state.
    template <class CompletionToken>
    auto async_handshake(CompletionToken&& token) {
        return run<void(std::error_code)>(
            [this, heard = false](std::error_code& ec) mutable {
                if (closed(ec)) return want::nothing;
                if (!ssl_ && !std::exchange(heard, true)) return want::readable;
                if (!ssl_ && !start(ec)) return want::nothing;
                ERR_clear_error();
                return classify(SSL_do_handshake(ssl_.get()), ec);
            },
            std::forward<CompletionToken>(token));
    }

    // Completion: void(error_code, std::size_t).
    template <class MutableBuffers, class CompletionToken>
    auto async_read_some(const MutableBuffers& buffers, CompletionToken&& token) {
        return transfer([this, b = first(buffers)](
                            std::size_t& n, std::error_code& ec) { return read_once(b, n, ec); },
                        std::forward<CompletionToken>(token));
    }

    // Completion: void(error_code, std::size_t).
    template <class ConstBuffers, class CompletionToken>
    auto async_write_some(const ConstBuffers& buffers, CompletionToken&& token) {
        return transfer([this, b = first(buffers)](
                            std::size_t& n, std::error_code& ec) { return write_once(b, n, ec); },
                        std::forward<CompletionToken>(token));
    }

    // Sends close_notify, so the client can tell the end of what it was
    // sent from a connection cut short, without waiting for the client's
    // own (RFC 8446 6.1 allows this: nothing more is read). Completion:
    // void(error_code).
    template <class CompletionToken>
    auto async_goodbye(CompletionToken&& token) {
        return run<void(std::error_code)>(
            [this](std::error_code& ec) {
                if (unusable(ec)) return want::nothing;
                SSL_set_shutdown(ssl_.get(), SSL_RECEIVED_SHUTDOWN);
                ERR_clear_error();
                return classify(SSL_shutdown(ssl_.get()), ec);
            },
            std::forward<CompletionToken>(token));
    }

    // ---- the rest -------------------------------------------------------------

    static constexpr std::string_view scheme = "https"; // what request::scheme() says

    asio::ip::tcp::endpoint remote_endpoint() const { return socket_.remote_endpoint(); }
    asio::ip::tcp::endpoint remote_endpoint(std::error_code& ec) const {
        return socket_.remote_endpoint(ec);
    }

    // Ends the operations waiting for the socket (operation_aborted).
    void cancel(std::error_code& ec) { socket_.cancel(ec); }

    // Closes the TCP connection (after async_goodbye, or without it when the
    // connection failed).
    void close(std::error_code& ec) {
        std::error_code ignored;
        socket_.shutdown(socket_type::shutdown_both, ignored);
        socket_.close(ec);
    }

private:
    // What an OpenSSL call that did not finish waits for (readable: bytes
    // to arrive, without reading them).
    enum class want { nothing, read, write, readable };

    // Makes the connection's state. False (ec: no_memory) when OpenSSL cannot.
    bool start(std::error_code& ec) {
        bio_ = std::make_unique<detail::socket_bio>(static_cast<int>(socket_.native_handle()));
        ssl_.reset(SSL_new(context_->native_handle()));
        BIO* bio = ssl_ ? bio_->make() : nullptr;
        if (!bio) {
            ssl_.reset();
            ec = asio::error::no_memory;
            return false;
        }
        SSL_set_bio(ssl_.get(), bio, bio); // the SSL owns the BIO
        SSL_set_mode(ssl_.get(),
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        SSL_set_accept_state(ssl_.get());
        return true;
    }

    struct ssl_free {
        void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
    };

    template <class Buffers>
    static auto first(const Buffers& buffers) {
        for (auto it = asio::buffer_sequence_begin(buffers);
             it != asio::buffer_sequence_end(buffers); ++it)
            if (it->size() > 0) return decltype(asio::buffer(*it))(*it);
        return decltype(asio::buffer(*asio::buffer_sequence_begin(buffers)))();
    }

    // A closed socket's descriptor may already belong to another
    // connection: OpenSSL, which holds its number, must not touch it.
    bool closed(std::error_code& ec) const noexcept {
        if (socket_.is_open()) return false;
        ec = asio::error::bad_descriptor;
        return true;
    }
    // Closed, or no handshake has made the connection's state yet.
    bool unusable(std::error_code& ec) const noexcept {
        if (closed(ec)) return true;
        if (ssl_) return false;
        ec = asio::error::not_connected;
        return true;
    }

    // OpenSSL's error queue is per thread: each call starts from an empty
    // one, so an earlier failure (a reload) is not taken for this one's.
    want read_once(asio::mutable_buffer b, std::size_t& n, std::error_code& ec) {
        if (unusable(ec)) return want::nothing;
        if (b.size() == 0) return ec = {}, want::nothing;
        ERR_clear_error();
        return classify(SSL_read_ex(ssl_.get(), b.data(), b.size(), &n), ec);
    }

    want write_once(asio::const_buffer b, std::size_t& n, std::error_code& ec) {
        if (unusable(ec)) return want::nothing;
        if (b.size() == 0) return ec = {}, want::nothing;
        // One record per SSL_write_ex (partial writes): as many as the
        // socket takes now. A record that would block is tried again at n.
        const auto* bytes = static_cast<const unsigned char*>(b.data());
        while (n < b.size()) {
            std::size_t written = 0;
            ERR_clear_error();
            const want w =
                classify(SSL_write_ex(ssl_.get(), bytes + n, b.size() - n, &written), ec);
            n += written;
            if (w == want::nothing && !ec) continue;
            if (n > 0 && ec == asio::error::would_block) return ec = {}, want::nothing;
            if (w != want::read) return w;
            ec = asio::error::operation_not_supported; // renegotiation (refused by our context)
            return want::nothing;
        }
        return want::nothing;
    }

    // The outcome of an OpenSSL call that returned `result` (1: done).
    want classify(int result, std::error_code& ec) {
        const int sys = errno;
        ec = {};
        if (result == 1) return want::nothing;
        switch (SSL_get_error(ssl_.get(), result)) {
        case SSL_ERROR_WANT_READ:
            ec = asio::error::would_block;
            return want::read;
        case SSL_ERROR_WANT_WRITE:
            ec = asio::error::would_block;
            return want::write;
        case SSL_ERROR_ZERO_RETURN: // the client's close_notify
            ec = asio::error::eof;
            return want::nothing;
        case SSL_ERROR_SYSCALL:
            ERR_clear_error();
            ec = sys ? std::error_code(sys, asio::error::get_system_category())
                     : std::error_code(asio::ssl::error::stream_truncated);
            return want::nothing;
        default:
            ec = ssl_failure();
            return want::nothing;
        }
    }

    static std::error_code ssl_failure() {
        const unsigned long e = ERR_get_error();
        ERR_clear_error();
        if (e == 0) return asio::error::operation_not_supported; // a callback OpenSSL waits on
        if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
            return asio::ssl::error::stream_truncated;
        return {static_cast<int>(e), asio::error::get_ssl_category()};
    }

    // An asynchronous operation: `step` tried until it no longer waits for
    // the socket. A result found at once is posted: a handler never runs
    // inside the call that started it.
    template <class Step, bool Counts>
    struct operation {
        stream* self;
        Step step;
        bool started = false;

        template <class Self>
        void operator()(Self& op) { // the first try
            attempt(op);
        }
        template <class Self>
        void operator()(Self& op, std::error_code ec) { // the socket can take more
            if (ec) return finish(op, ec, 0);
            attempt(op);
        }
        template <class Self>
        void operator()(Self& op, std::error_code ec, std::size_t n) { // the reactor read
            self->bio_->commit(n);
            if (ec) return finish(op, ec, 0);
            attempt(op);
        }

        template <class Self>
        void attempt(Self& op) {
            std::size_t n = 0;
            std::error_code ec;
            const want w = step(n, ec);
            const bool first = !started;
            started = true;
            // A cancellation that came while no wait was pending (the
            // reactor's result already queued) is seen here, not lost.
            if (!first && w != want::nothing &&
                op.get_cancellation_state().cancelled() != asio::cancellation_type::none)
                return finish(op, asio::error::operation_aborted, 0);
            if (w == want::read)
                return self->socket_.async_read_some(self->bio_->free_space(), std::move(op));
            if (w == want::write)
                return self->socket_.async_wait(socket_type::wait_write, std::move(op));
            if (w == want::readable)
                return self->socket_.async_wait(socket_type::wait_read, std::move(op));
            if (!first) return finish(op, ec, n);
            const auto ex = asio::get_associated_executor(op, self->socket_.get_executor());
            asio::post(ex, [o = std::move(op), ec, n]() mutable { finish(o, ec, n); });
        }

        template <class Self>
        static void finish(Self& op, std::error_code ec, std::size_t n) {
            if constexpr (Counts)
                op.complete(ec, n);
            else
                op.complete(ec);
        }
    };

    template <class Signature, class Step, class CompletionToken>
    auto run(Step step, CompletionToken&& token) {
        auto counted = [step](std::size_t&, std::error_code& ec) mutable { return step(ec); };
        return asio::async_compose<CompletionToken, Signature>(
            operation<decltype(counted), false>{this, std::move(counted)}, token, socket_);
    }

    template <class Step, class CompletionToken>
    auto transfer(Step step, CompletionToken&& token) {
        return asio::async_compose<CompletionToken, void(std::error_code, std::size_t)>(
            operation<Step, true>{this, std::move(step)}, token, socket_);
    }

    std::shared_ptr<asio::ssl::context> context_; // first: ssl_ uses it
    socket_type socket_;
    std::unique_ptr<detail::socket_bio> bio_; // before ssl_, whose BIO points at it
    std::unique_ptr<SSL, ssl_free> ssl_;
};

} // namespace bareasio::tls
