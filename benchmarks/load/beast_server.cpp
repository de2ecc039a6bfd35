// The Boost.Beast peer: a minimal, correct keep-alive HTTP/1.1 server on
// C++20 coroutines (Debian's libboost-dev), one coroutine per connection,
// with the same two routes as bench_server. Like bench_server, /json
// serialises with nlohmann_json per request, as TechEmpower's JSON test
// requires (the first version concatenated strings).
//     beast_server PORT
#include <utility> // Boost 1.74's awaitable.hpp needs std::exchange declared first

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string>

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

net::awaitable<void> session(tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    for (;;) {
        http::request<http::string_body> req;
        boost::system::error_code ec;
        co_await http::async_read(socket, buffer, req, net::redirect_error(net::use_awaitable, ec));
        if (ec) break;
        http::response<http::string_body> res;
        res.version(req.version());
        res.keep_alive(req.keep_alive());
        if (req.target() == "/plaintext") {
            res.result(http::status::ok);
            res.set(http::field::content_type, "text/plain");
            res.body() = "Hello, World!";
        } else if (req.target() == "/json") {
            res.result(http::status::ok);
            res.set(http::field::content_type, "application/json");
            res.body() = nlohmann::json{{"message", "Hello, World!"}}.dump();
        } else {
            res.result(http::status::not_found);
        }
        res.set(http::field::server, "beast");
        res.prepare_payload();
        co_await http::async_write(socket, res, net::redirect_error(net::use_awaitable, ec));
        if (ec || !res.keep_alive()) break;
    }
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
}

net::awaitable<void> listen(tcp::acceptor& acceptor) {
    for (;;) {
        auto socket = co_await acceptor.async_accept(net::use_awaitable);
        socket.set_option(tcp::no_delay(true));
        net::co_spawn(acceptor.get_executor(), session(std::move(socket)), net::detached);
    }
}

int main(int argc, char** argv) {
    net::io_context ioc(1);
    tcp::acceptor acceptor(ioc,
                           {net::ip::make_address("127.0.0.1"),
                            static_cast<unsigned short>(std::atoi(argc > 1 ? argv[1] : "8082"))});
    net::co_spawn(ioc, listen(acceptor), net::detached);
    ioc.run();
}
