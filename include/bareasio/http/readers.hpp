// Readers collect a request body: text_reader and bytes_reader (json_reader
// is in <bareasio/http/json.hpp>). They stop at req.body().limit() (1 MiB by
// default) with a 413; a declared Content-Length over the limit is refused
// before any byte is read. For unbounded bodies loop on req.body().read_some().
#pragma once

#include <bareasio/http/http_error.hpp>
#include <bareasio/http/request.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace bareasio {

namespace detail {
[[noreturn]] inline void body_too_large(std::size_t limit) {
    throw http_error(413, "request body larger than " + std::to_string(limit) + " bytes");
}
} // namespace detail

inline asio::awaitable<std::string> text_reader(request& req) {
    body_stream& body = req.body();
    const std::size_t limit = body.limit();
    std::string text;
    if (auto length = body.content_length()) {
        if (*length > limit) detail::body_too_large(limit);
        text.reserve(static_cast<std::size_t>(*length));
    }
    for (;;) {
        auto piece = co_await body.read_some();
        if (piece.empty()) break;
        if (text.size() + piece.size() > limit) detail::body_too_large(limit);
        text.append(piece);
    }
    co_return text;
}

inline asio::awaitable<std::vector<std::byte>> bytes_reader(request& req) {
    std::string text = co_await text_reader(req);
    auto* first = reinterpret_cast<const std::byte*>(text.data());
    co_return std::vector<std::byte>(first, first + text.size());
}

} // namespace bareasio
