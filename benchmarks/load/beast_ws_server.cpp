// The Boost.Beast WebSocket peer: an echo server on C++20 coroutines
// (Debian's libboost-dev), one coroutine per socket reading into a
// flat_buffer and writing the message back as it came (text or binary), with
// Beast's defaults otherwise (no compression, as bareasio's benchmark
// client offers none).
//     beast_ws_server PORT
#include <utility> // Boost 1.74's awaitable.hpp needs std::exchange declared first

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdlib>

namespace net = boost::asio;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;

net::awaitable<void> session(tcp::socket socket) {
    websocket::stream<tcp::socket> ws(std::move(socket));
    boost::system::error_code ec;
    co_await ws.async_accept(net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
    boost::beast::flat_buffer buffer;
    for (;;) {
        co_await ws.async_read(buffer, net::redirect_error(net::use_awaitable, ec));
        if (ec) break;
        ws.text(ws.got_text());
        co_await ws.async_write(buffer.data(), net::redirect_error(net::use_awaitable, ec));
        if (ec) break;
        buffer.consume(buffer.size());
    }
}

net::awaitable<void> listen(unsigned short port) {
    auto ex = co_await net::this_coro::executor;
    tcp::acceptor acceptor(ex, {net::ip::make_address("127.0.0.1"), port});
    for (;;) {
        tcp::socket socket = co_await acceptor.async_accept(net::use_awaitable);
        socket.set_option(tcp::no_delay(true));
        net::co_spawn(ex, session(std::move(socket)), net::detached);
    }
}

int main(int argc, char** argv) {
    const auto port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 9103);
    net::io_context ioc(1);
    net::co_spawn(ioc, listen(port), net::detached);
    ioc.run();
}
