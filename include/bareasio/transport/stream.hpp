// The stream contract, named once: what a transport (transport.hpp) asks
// of the stream it carries, and the capabilities it uses when a stream
// has them. A TCP socket, tls::stream and testing::stream model it.
//   byte_stream         async_read_some, async_write_some, cancel, close and
//                       get_executor, as an Asio socket has them: required
//   direct_stream       read_some and write_some that do not block (the
//                       stream is non-blocking, or says how to make it so
//                       with non_blocking(true, ec)): a response or a
//                       message is written without the reactor when the
//                       stream takes it, and an idle connection holds no
//                       pool buffer
//   stream_with_handshake async_handshake: a protocol of its own to begin
//                       before any byte is read (TLS)
//   stream_with_goodbye async_goodbye: a protocol of its own to end before
//                       close (TLS sends close_notify)
//   stream_with_peer    remote_endpoint(ec): the client's address
//   stream_with_scheme  a static `scheme` ("https"); "http" without it
//     static_assert(bareasio::byte_stream<asio::ip::tcp::socket>);
// Thread safety: concepts only.
#pragma once

#include <bareasio/detail/asio_compat.hpp>

#include <asio/buffer.hpp>
#include <asio/socket_base.hpp>

#include <concepts>
#include <string_view>
#include <system_error>

namespace bareasio {

template <class S>
concept byte_stream = requires(S& s, std::error_code& ec) {
    s.async_read_some(asio::mutable_buffer(), detail::use_tuple);
    s.async_write_some(asio::const_buffer(), detail::use_tuple);
    s.cancel(ec);
    s.close(ec);
    s.get_executor();
};

template <class S>
concept direct_stream = byte_stream<S> && requires(S& s, std::error_code& ec) {
    s.read_some(asio::mutable_buffer(), ec);
    s.write_some(asio::const_buffer(), ec);
};

template <class S>
concept stream_with_handshake = byte_stream<S> && requires(S& s) {
    s.async_handshake(detail::use_tuple);
};

template <class S>
concept stream_with_goodbye = byte_stream<S> && requires(S& s) {
    s.async_goodbye(detail::use_tuple);
};

template <class S>
concept stream_with_peer = byte_stream<S> && requires(S& s, std::error_code& ec) {
    s.remote_endpoint(ec).address();
};

template <class S>
concept stream_with_scheme = byte_stream<S> && requires {
    { S::scheme } -> std::convertible_to<std::string_view>;
};

// A stream that says which protocol TLS's ALPN agreed on ("" for none).
template <class S>
concept stream_with_alpn = byte_stream<S> && requires(const S& s) {
    { s.alpn() } -> std::convertible_to<std::string_view>;
};

// "https" for a stream that says so, else "http".
template <byte_stream S>
inline constexpr std::string_view scheme_of = [] {
    if constexpr (stream_with_scheme<S>)
        return std::string_view(S::scheme);
    else
        return std::string_view("http");
}();

namespace detail {

// Puts a direct stream in non-blocking mode, if it needs telling. False
// when it refused: then the direct paths are not used.
template <direct_stream S>
bool make_non_blocking(S& s) noexcept {
    if constexpr (requires(std::error_code & ec) { s.non_blocking(true, ec); }) {
        std::error_code ec;
        s.non_blocking(true, ec);
        return !ec;
    } else {
        return true;
    }
}

// Stops both directions before close, where the stream can (a socket).
template <byte_stream S>
void shutdown_if_any(S& s) noexcept {
    std::error_code ignored;
    if constexpr (requires { s.shutdown(asio::socket_base::shutdown_both, ignored); })
        s.shutdown(asio::socket_base::shutdown_both, ignored);
}

} // namespace detail

} // namespace bareasio
