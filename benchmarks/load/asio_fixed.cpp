// The ceiling for pipelining: a raw Asio coroutine server that parses
// nothing. It counts request ends ("\r\n\r\n") in what it reads and writes
// that many copies of a fixed plaintext response in one write.
//     asio_fixed PORT
#include <asio.hpp>

#include <cstdlib>
#include <string>
#include <string_view>

using asio::ip::tcp;

constexpr std::string_view response =
    "HTTP/1.1 200 OK\r\nServer: fixed\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n"
    "Hello, World!";

asio::awaitable<void> session(tcp::socket socket) {
    char buf[16 * 1024];
    std::string out;
    int matched = 0; // how much of "\r\n\r\n" the previous read ended with
    for (;;) {
        std::error_code ec;
        const std::size_t n = co_await socket.async_read_some(
            asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        out.clear();
        for (std::size_t i = 0; i < n; ++i) {
            const char want = "\r\n\r\n"[matched];
            if (buf[i] == want) {
                if (++matched == 4) {
                    out.append(response);
                    matched = 0;
                }
            } else {
                matched = buf[i] == '\r' ? 1 : 0;
            }
        }
        if (out.empty()) continue;
        co_await asio::async_write(socket, asio::buffer(out),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
    }
}

asio::awaitable<void> listen(tcp::acceptor& acceptor) {
    for (;;) {
        auto socket = co_await acceptor.async_accept(asio::use_awaitable);
        socket.set_option(tcp::no_delay(true));
        asio::co_spawn(acceptor.get_executor(), session(std::move(socket)), asio::detached);
    }
}

int main(int argc, char** argv) {
    asio::io_context ioc(1);
    tcp::acceptor acceptor(
        ioc, {asio::ip::make_address("127.0.0.1"),
              static_cast<asio::ip::port_type>(std::atoi(argc > 1 ? argv[1] : "8083"))});
    asio::co_spawn(ioc, listen(acceptor), asio::detached);
    ioc.run();
}
