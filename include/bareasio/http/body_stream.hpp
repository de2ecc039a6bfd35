// body_stream: a request body as a stream of chunks. `co_await
// req.body().read_some()` returns the next piece (a view valid until the next
// call) and an empty view at the end. The server reads from the socket only
// when the handler asks, so a slow handler applies back-pressure.
// The buffered readers (text_reader, ...) are built on it.
// Thread safety: use from the handler's coroutine only.
#pragma once

#include <bareasio/http/limits.hpp>

#include <asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bareasio {

// What produces body bytes: the connection, or an in-memory body in tests.
class body_source {
public:
    virtual asio::awaitable<std::string_view> read_some() = 0;

protected:
    ~body_source() = default;
};

// A whole body held in memory, for in-process requests and tests.
class string_body_source final : public body_source {
public:
    explicit string_body_source(std::string body, std::size_t piece = 0)
        : body_(std::move(body)), piece_(piece ? piece : body_.size()) {}

    asio::awaitable<std::string_view> read_some() override {
        auto rest = std::string_view(body_).substr(offset_, piece_);
        offset_ += rest.size();
        co_return rest;
    }

private:
    std::string body_;
    std::size_t piece_;
    std::size_t offset_ = 0;
};

class body_stream {
public:
    // Default limit of the buffered readers: 1 MiB, as in the server config.
    static constexpr std::size_t default_limit = default_max_body_bytes;

    body_stream() = default;
    explicit body_stream(body_source* source, std::optional<std::uint64_t> length = std::nullopt)
        : source_(source), length_(length) {}

    // The next piece of the body; empty once the body is finished.
    asio::awaitable<std::string_view> read_some() {
        if (!source_) co_return std::string_view{};
        co_return co_await source_->read_some();
    }

    // The declared Content-Length, if the client sent one.
    std::optional<std::uint64_t> content_length() const noexcept { return length_; }

    // The most the buffered readers accept before answering 413. Raise it
    // per route in a handler, or read with read_some() to stream unbounded.
    std::size_t limit() const noexcept { return limit_; }
    void set_limit(std::size_t limit) noexcept { limit_ = limit; }

private:
    body_source* source_ = nullptr;
    std::optional<std::uint64_t> length_;
    std::size_t limit_ = default_limit;
};

} // namespace bareasio
