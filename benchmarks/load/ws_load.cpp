// The WebSocket load client: N connections to ws://127.0.0.1:PORT/PATH,
// each sending a masked binary message of SIZE bytes and waiting for its
// echo, over and over, for SECONDS; prints the messages echoed per second.
// Plain Asio (no WebSocket library), one thread, so it measures the servers
// and not itself: pin it to another core than the server's.
//     ws_load PORT PATH SIZE CONNECTIONS SECONDS
#include <asio.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

struct totals {
    long messages = 0;
    long failures = 0;
    bool stop = false;
};

std::string masked_frame(std::size_t size) {
    std::string frame(1, static_cast<char>(0x82));
    if (size < 126) {
        frame += static_cast<char>(0x80 | size);
    } else if (size <= 0xFFFF) {
        frame += static_cast<char>(0x80 | 126);
        frame += static_cast<char>(size >> 8);
        frame += static_cast<char>(size & 0xFF);
    } else {
        frame += static_cast<char>(0x80 | 127);
        for (int i = 7; i >= 0; --i)
            frame += static_cast<char>((static_cast<unsigned long long>(size) >> (8 * i)) & 0xFF);
    }
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    frame.append(reinterpret_cast<const char*>(mask), 4);
    for (std::size_t i = 0; i < size; ++i)
        frame += static_cast<char>(('a' + i % 26) ^ mask[i % 4]);
    return frame;
}

std::size_t server_frame_size(std::size_t size) {
    return size + (size < 126 ? 2 : size <= 0xFFFF ? 4 : 10);
}

asio::awaitable<void> client(unsigned short port, std::string path, std::size_t size, totals& t) {
    auto ex = co_await asio::this_coro::executor;
    tcp::socket socket(ex);
    try {
        co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port},
                                      asio::use_awaitable);
        socket.set_option(tcp::no_delay(true));
        const std::string handshake =
            "GET " + path +
            " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: "
            "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        co_await asio::async_write(socket, asio::buffer(handshake), asio::use_awaitable);
        std::string head;
        co_await asio::async_read_until(socket, asio::dynamic_buffer(head), "\r\n\r\n",
                                        asio::use_awaitable);
        if (head.rfind("HTTP/1.1 101", 0) != 0) throw std::runtime_error("no 101: " + head);
        const std::string frame = masked_frame(size);
        const std::size_t expect = server_frame_size(size);
        std::vector<char> in(expect);
        const std::size_t extra = head.size() - (head.find("\r\n\r\n") + 4);
        if (extra != 0) throw std::runtime_error("bytes after the 101");
        while (!t.stop) {
            co_await asio::async_write(socket, asio::buffer(frame), asio::use_awaitable);
            co_await asio::async_read(socket, asio::buffer(in), asio::use_awaitable);
            ++t.messages;
        }
    } catch (const std::exception& e) {
        ++t.failures;
        std::fprintf(stderr, "ws_load: %s\n", e.what());
    }
}

int main(int argc, char** argv) {
    if (argc < 6) {
        std::fprintf(stderr, "usage: ws_load PORT PATH SIZE CONNECTIONS SECONDS\n");
        return 2;
    }
    const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
    const std::string path = argv[2];
    const auto size = static_cast<std::size_t>(std::atol(argv[3]));
    const int connections = std::atoi(argv[4]);
    const double seconds = std::atof(argv[5]);
    asio::io_context ioc(1);
    totals t;
    for (int i = 0; i < connections; ++i)
        asio::co_spawn(ioc, client(port, path, size, t), asio::detached);
    asio::steady_timer warm(ioc, std::chrono::milliseconds(500));
    long start_count = 0;
    clock_type::time_point start;
    warm.async_wait([&](std::error_code) {
        start_count = t.messages;
        start = clock_type::now();
    });
    asio::steady_timer end(ioc, std::chrono::milliseconds(500) +
                                    std::chrono::milliseconds(static_cast<long>(seconds * 1000)));
    end.async_wait([&](std::error_code) {
        const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
        std::printf("%.0f messages/s %ld failures\n",
                    static_cast<double>(t.messages - start_count) / elapsed, t.failures);
        std::fflush(stdout);
        t.stop = true;
        ioc.stop();
    });
    ioc.run();
    return t.failures == 0 ? 0 : 1;
}
