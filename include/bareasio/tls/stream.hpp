// tls::stream: a TLS connection over a TCP socket (asio::ssl::stream), with
// what the server's connection asks of a stream: async_read_some,
// async_write_some, cancel, close, remote_endpoint. It keeps its context
// alive, so a reloaded certificate never pulls one out from under it.
//     tls::stream s(std::move(socket), cert.current());
//     co_await s.async_handshake(asio::use_awaitable);
// Link: OpenSSL.
// Thread safety: as a socket's: one read and one write at a time, on its
// executor.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>

#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

namespace bareasio::tls {

class stream {
public:
    using socket_type = asio::ip::tcp::socket;
    using executor_type = socket_type::executor_type;

    stream(socket_type socket, std::shared_ptr<asio::ssl::context> context)
        : context_(std::move(context)), ssl_(std::move(socket), *context_) {}

    executor_type get_executor() noexcept { return ssl_.get_executor(); }
    asio::ssl::stream<socket_type>& ssl() noexcept { return ssl_; }

    // The server's side of the handshake. Completion: void(error_code).
    template <class CompletionToken>
    auto async_handshake(CompletionToken&& token) {
        return ssl_.async_handshake(asio::ssl::stream_base::server,
                                    std::forward<CompletionToken>(token));
    }

    template <class Buffers, class CompletionToken>
    auto async_read_some(const Buffers& buffers, CompletionToken&& token) {
        return ssl_.async_read_some(buffers, std::forward<CompletionToken>(token));
    }

    template <class Buffers, class CompletionToken>
    auto async_write_some(const Buffers& buffers, CompletionToken&& token) {
        return ssl_.async_write_some(buffers, std::forward<CompletionToken>(token));
    }

    static constexpr std::string_view scheme = "https"; // what request::scheme() says

    asio::ip::tcp::endpoint remote_endpoint() const { return ssl_.next_layer().remote_endpoint(); }
    asio::ip::tcp::endpoint remote_endpoint(std::error_code& ec) const {
        return ssl_.next_layer().remote_endpoint(ec);
    }

    void cancel(std::error_code& ec) { ssl_.next_layer().cancel(ec); }

    // Sends close_notify, so the client can tell the end of what it was
    // sent from a connection cut short, without waiting for the client's
    // own (RFC 8446 6.1 allows this: nothing more is read). Completion:
    // void(error_code).
    template <class CompletionToken>
    auto async_goodbye(CompletionToken&& token) {
        SSL_set_shutdown(ssl_.native_handle(), SSL_RECEIVED_SHUTDOWN);
        return ssl_.async_shutdown(std::forward<CompletionToken>(token));
    }

    // Closes the TCP connection (after async_goodbye, or without it when the
    // connection failed).
    void close(std::error_code& ec) {
        std::error_code ignored;
        ssl_.next_layer().shutdown(socket_type::shutdown_both, ignored);
        ssl_.next_layer().close(ec);
    }

private:
    std::shared_ptr<asio::ssl::context> context_; // first: ssl_ uses it
    asio::ssl::stream<socket_type> ssl_;
};

} // namespace bareasio::tls
