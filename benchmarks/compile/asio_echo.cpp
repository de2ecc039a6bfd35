// The compile-time baseline: a bare Asio C++20 coroutine echo server, the
// smallest real program on the same stack. bareasio's seed example must
// compile in at most 1.3x this time (see benchmarks/compile_time.sh).
#include <asio.hpp>

using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

awaitable<void> echo(tcp::socket socket) {
    try {
        char data[4096];
        for (;;) {
            std::size_t n = co_await socket.async_read_some(asio::buffer(data), use_awaitable);
            co_await asio::async_write(socket, asio::buffer(data, n), use_awaitable);
        }
    } catch (const std::exception&) {
    }
}

awaitable<void> listener(tcp::acceptor acceptor) {
    for (;;) {
        tcp::socket socket = co_await acceptor.async_accept(use_awaitable);
        asio::co_spawn(acceptor.get_executor(), echo(std::move(socket)), asio::detached);
    }
}

int main() {
    asio::io_context ioc(1);
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](auto, auto) { ioc.stop(); });
    asio::co_spawn(ioc, listener(tcp::acceptor(ioc, {tcp::v4(), 9011})), asio::detached);
    ioc.run();
}
