// body_writer: the body of a response, as a writer produces it. Either a
// buffer sent with Content-Length, or a producer coroutine that writes
// chunks to a body_sink as it goes (sent chunked when no length is known,
// with back-pressure: each write completes when the client can take more).
// Build one with text_writer, bytes_writer, json_writer or stream_writer.
// Thread safety: a plain value.
#pragma once

#include <asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace bareasio {

// Where a streaming writer sends its chunks.
class body_sink {
public:
    // Sends `chunk` (an empty chunk is ignored); completes once the bytes
    // are on their way, so a slow client slows the producer down.
    virtual asio::awaitable<void> write(std::string_view chunk) = 0;

protected:
    ~body_sink() = default;
};

using body_producer = std::function<asio::awaitable<void>(body_sink&)>;

class body_writer {
public:
    enum class kind { none, buffer, stream };

    body_writer() = default;

    // `content_type` must be a string literal or otherwise outlive the writer;
    // it is used only when the handler set no Content-Type header itself.
    static body_writer from_buffer(std::string data, std::string_view content_type) {
        body_writer w;
        w.kind_ = kind::buffer;
        w.data_ = std::move(data);
        w.content_type_ = content_type;
        return w;
    }

    static body_writer from_stream(body_producer producer, std::string_view content_type,
                                   std::optional<std::uint64_t> length = std::nullopt) {
        body_writer w;
        w.kind_ = kind::stream;
        w.producer_ = std::move(producer);
        w.content_type_ = content_type;
        w.length_ = length;
        return w;
    }

    kind type() const noexcept { return kind_; }
    const std::string& data() const noexcept { return data_; }
    const body_producer& producer() const noexcept { return producer_; }
    std::string_view content_type() const noexcept { return content_type_; }
    std::optional<std::uint64_t> length() const noexcept {
        return kind_ == kind::buffer ? std::optional<std::uint64_t>(data_.size()) : length_;
    }

private:
    kind kind_ = kind::none;
    std::string data_;
    body_producer producer_;
    std::string_view content_type_;
    std::optional<std::uint64_t> length_;
};

} // namespace bareasio
