// A blocking HTTP/1.1 client over a real loopback socket, for tests: it
// sends exact bytes and reads responses back, so tests control pipelining,
// splitting and malformed input. Every read has a timeout so a broken
// server fails a test instead of hanging it.
#pragma once

#include <asio.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <sys/time.h>

namespace test {

struct http_response {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    std::optional<std::string> header(std::string_view name) const {
        for (auto& [n, v] : headers) {
            if (n.size() != name.size()) continue;
            bool same = true;
            for (std::size_t i = 0; i < n.size(); ++i)
                same = same && std::tolower(static_cast<unsigned char>(n[i])) ==
                                   std::tolower(static_cast<unsigned char>(name[i]));
            if (same) return v;
        }
        return std::nullopt;
    }
};

class raw_client {
public:
    explicit raw_client(std::uint16_t port) : socket_(ioc_) {
        socket_.connect({asio::ip::make_address("127.0.0.1"), port});
        timeval tv{10, 0};
        ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }

    void send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }

    // Reads one response; `head_request` when it answers a HEAD.
    http_response read_response(bool head_request = false) {
        http_response res;
        auto end = read_until("\r\n\r\n");
        std::string head = buffer_.substr(0, end);
        buffer_.erase(0, end + 4);
        auto line_end = head.find("\r\n");
        std::string status_line = head.substr(0, line_end);
        if (status_line.rfind("HTTP/1.", 0) != 0)
            throw std::runtime_error("bad status line: " + status_line);
        res.status = std::stoi(status_line.substr(9, 3));
        std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
        while (pos < head.size()) {
            auto next = head.find("\r\n", pos);
            if (next == std::string::npos) next = head.size();
            auto line = head.substr(pos, next - pos);
            auto colon = line.find(':');
            auto value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ')
                value.erase(0, 1);
            res.headers.emplace_back(line.substr(0, colon), value);
            pos = next + 2;
        }
        if (head_request || res.status == 204 || res.status == 304 || res.status / 100 == 1)
            return res;
        if (auto te = res.header("transfer-encoding"); te && *te == "chunked") {
            for (;;) {
                auto line_end2 = read_until("\r\n");
                std::size_t size = std::stoul(buffer_.substr(0, line_end2), nullptr, 16);
                buffer_.erase(0, line_end2 + 2);
                fill(size + 2);
                res.body += buffer_.substr(0, size);
                buffer_.erase(0, size + 2);
                if (size == 0) break;
            }
        } else if (auto length = res.header("content-length")) {
            std::size_t n = std::stoul(*length);
            fill(n);
            res.body = buffer_.substr(0, n);
            buffer_.erase(0, n);
        } else {
            res.body = read_to_end();
        }
        return res;
    }

    // Everything until the server closes the connection.
    std::string read_to_end() {
        for (;;) {
            char chunk[4096];
            std::error_code ec;
            auto n = socket_.read_some(asio::buffer(chunk), ec);
            if (ec) break;
            buffer_.append(chunk, n);
        }
        return std::exchange(buffer_, {});
    }

    // True when the server closed the connection (after any buffered bytes).
    bool closed_by_server() {
        char c;
        std::error_code ec;
        socket_.read_some(asio::buffer(&c, 1), ec);
        return ec == asio::error::eof || ec == asio::error::connection_reset;
    }

    asio::ip::tcp::socket& socket() { return socket_; }

private:
    std::size_t read_until(std::string_view marker) {
        for (;;) {
            if (auto pos = buffer_.find(marker); pos != std::string::npos) return pos;
            read_more();
        }
    }
    void fill(std::size_t n) {
        while (buffer_.size() < n)
            read_more();
    }
    void read_more() {
        char chunk[4096];
        std::error_code ec;
        auto n = socket_.read_some(asio::buffer(chunk), ec);
        if (ec) throw std::runtime_error("connection ended early: " + ec.message());
        buffer_.append(chunk, n);
    }

    asio::io_context ioc_;
    asio::ip::tcp::socket socket_;
    std::string buffer_;
};

} // namespace test
