// Writers build response bodies: text_writer, bytes_writer and
// stream_writer (json_writer is in <bareasio/http/json.hpp>).
//     co_return {200, {}, text_writer("hello")};
//     co_return {200, {}, stream_writer([](body_sink& out) -> awaitable<void> {
//         co_await out.write("tick\n");
//     })};
#pragma once

#include <bareasio/http/body_writer.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace bareasio {

inline body_writer text_writer(std::string text,
                               std::string_view content_type = "text/plain; charset=utf-8") {
    return body_writer::from_buffer(std::move(text), content_type);
}

inline body_writer bytes_writer(std::string bytes,
                                std::string_view content_type = "application/octet-stream") {
    return body_writer::from_buffer(std::move(bytes), content_type);
}

inline body_writer bytes_writer(std::span<const std::byte> bytes,
                                std::string_view content_type = "application/octet-stream") {
    return body_writer::from_buffer(
        std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()), content_type);
}

// A body produced chunk by chunk. Sent chunked to HTTP/1.1 clients unless
// `length` is given; to HTTP/1.0 clients it is ended by closing.
inline body_writer stream_writer(body_producer producer,
                                 std::string_view content_type = "application/octet-stream",
                                 std::optional<std::uint64_t> length = std::nullopt) {
    return body_writer::from_stream(std::move(producer), content_type, length);
}

} // namespace bareasio
