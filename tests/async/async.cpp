// <bareasio/async.hpp>: the primitives alone, and cheap to include. These
// checks fail to compile if it pulls in the HTTP layer, the server, llhttp
// or Asio's sockets (a namespace cannot share a name with a class).
#include <bareasio/async.hpp>

#include "../support/doctest.hpp"

namespace bareasio {
namespace request {}        // namespace request
namespace request_parser {} // namespace request_parser
namespace response {}       // namespace response
namespace router {}         // namespace router
namespace server {}         // namespace server
namespace connection {}     // namespace connection
} // namespace bareasio

#if defined(INCLUDE_LLHTTP_H_)
#error "<bareasio/async.hpp> includes llhttp"
#endif
#if defined(ASIO_BASIC_STREAM_SOCKET_HPP) || defined(ASIO_BASIC_SOCKET_HPP) ||                     \
    defined(ASIO_IP_TCP_HPP) || defined(ASIO_BASIC_SOCKET_ACCEPTOR_HPP)
#error "<bareasio/async.hpp> includes Asio's socket headers"
#endif
#if defined(ASIO_HPP)
#error "<bareasio/async.hpp> includes all of <asio.hpp>"
#endif

TEST_CASE("async.hpp: the primitives are all there") {
    bareasio::event ev;
    CHECK_FALSE(ev.is_set());
    CHECK(bareasio::make_error_code(bareasio::errc::timeout).category().name() ==
          std::string_view("bareasio"));
    CHECK(bareasio::timeout_error().code() == bareasio::errc::timeout);
}
