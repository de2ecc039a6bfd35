// The stream contract: which streams model which capabilities.
#include <bareasio/transport/stream.hpp>

#include <bareasio/testing/stream.hpp>

#include "../support/doctest.hpp"

#include <asio/ip/tcp.hpp>

using namespace bareasio;

namespace {

// Reads and writes only through the reactor: no direct paths, no peer.
struct reactor_only {
    using executor_type = asio::any_io_executor;
    executor_type get_executor() { return {}; }
    template <class Token>
    void async_read_some(asio::mutable_buffer, Token&&) {}
    template <class Token>
    void async_write_some(asio::const_buffer, Token&&) {}
    void cancel(std::error_code&) {}
    void close(std::error_code&) {}
};

// Says its scheme, and has a goodbye.
struct secure_stream : reactor_only {
    static constexpr std::string_view scheme = "https";
    template <class Token>
    void async_goodbye(Token&&) {}
};

} // namespace

TEST_CASE("stream concepts: a TCP socket is direct and has a peer; the test stream too") {
    static_assert(byte_stream<asio::ip::tcp::socket>);
    static_assert(direct_stream<asio::ip::tcp::socket>);
    static_assert(stream_with_peer<asio::ip::tcp::socket>);
    static_assert(!stream_with_goodbye<asio::ip::tcp::socket>);
    static_assert(!stream_with_scheme<asio::ip::tcp::socket>);
    static_assert(direct_stream<testing::stream>);
    static_assert(stream_with_peer<testing::stream>);
    CHECK(scheme_of<asio::ip::tcp::socket> == "http");
}

TEST_CASE("stream concepts: a stream with only the required operations, and one that says more") {
    static_assert(byte_stream<reactor_only>);
    static_assert(!direct_stream<reactor_only>);
    static_assert(!stream_with_peer<reactor_only>);
    static_assert(stream_with_goodbye<secure_stream>);
    CHECK(scheme_of<reactor_only> == "http");
    CHECK(scheme_of<secure_stream> == "https");
}
