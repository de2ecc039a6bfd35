// An in-memory stream for driving a connection without sockets: reads hand
// out the given pieces one by one, then end of file; writes are accepted
// and kept. Completions are posted, never run inline, as a socket's are.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/post.hpp>
#include <asio/socket_base.hpp>

#include <cstddef>
#include <deque>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace fuzz {

class memory_stream {
public:
    using executor_type = asio::any_io_executor;

    memory_stream(executor_type ex, std::vector<std::string> pieces)
        : ex_(std::move(ex)), pieces_(pieces.begin(), pieces.end()) {}

    executor_type get_executor() const noexcept { return ex_; }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, std::size_t)>(
            [this, buffers](auto handler) {
                std::error_code ec;
                std::size_t n = 0;
                if (closed_ || pieces_.empty()) {
                    ec = asio::error::eof;
                } else {
                    auto& piece = pieces_.front();
                    n = asio::buffer_copy(buffers, asio::buffer(piece));
                    piece.erase(0, n);
                    if (piece.empty()) pieces_.pop_front();
                }
                asio::post(ex_, [handler = std::move(handler), ec, n]() mutable {
                    std::move(handler)(ec, n);
                });
            },
            token);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, std::size_t)>(
            [this, buffers](auto handler) {
                std::error_code ec;
                std::size_t n = 0;
                if (closed_) {
                    ec = asio::error::broken_pipe;
                } else {
                    n = asio::buffer_size(buffers);
                    written_ += n;
                }
                asio::post(ex_, [handler = std::move(handler), ec, n]() mutable {
                    std::move(handler)(ec, n);
                });
            },
            token);
    }

    void shutdown(asio::socket_base::shutdown_type, std::error_code&) {}
    void close(std::error_code&) { closed_ = true; }
    void cancel(std::error_code&) {}
    std::size_t written() const noexcept { return written_; }

private:
    executor_type ex_;
    std::deque<std::string> pieces_;
    bool closed_ = false;
    std::size_t written_ = 0;
};

} // namespace fuzz
