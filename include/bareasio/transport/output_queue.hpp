// output_queue: the bytes a connection has to write, appended by the
// serialiser (heads, buffered bodies, chunks) and written together, so the
// responses to one read of pipelined requests leave in one write. It keeps
// its storage between responses (up to a bound), and lends that storage,
// while it is empty, to an idle connection's first read (see
// transport::read). transport writes it; the connection
// appends to it and decides when to flush.
// Thread safety: one per connection, on its loop.
#pragma once

#include <asio/buffer.hpp>

#include <algorithm>
#include <cstddef>
#include <string>

namespace bareasio {

class output_queue {
public:
    // A response past this size is written before the next is appended.
    static constexpr std::size_t flush_threshold = 64 * 1024;

    // Where the serialiser appends.
    std::string& bytes() noexcept { return bytes_; }
    bool empty() const noexcept { return bytes_.empty(); }
    std::size_t size() const noexcept { return bytes_.size(); }
    void append(std::string_view more) { bytes_.append(more); }

    // What is still to be written, and how much of it was.
    asio::const_buffer unsent() const noexcept {
        return {bytes_.data() + sent_, bytes_.size() - sent_};
    }
    void sent(std::size_t n) noexcept { sent_ += n; }
    bool all_sent() const noexcept { return sent_ == bytes_.size(); }

    // Everything was written, or never will be: empty again, keeping the
    // storage unless one huge response grew it.
    void clear() noexcept {
        bytes_.clear();
        sent_ = 0;
        if (bytes_.capacity() > 4 * flush_threshold) shrink();
    }

    // The empty queue's storage as a scratch area of at most `most` bytes
    // (as large as the last response was); give it back with clear().
    asio::mutable_buffer lend(std::size_t most) {
        bytes_.resize(std::min(bytes_.capacity(), most));
        return {bytes_.data(), bytes_.size()};
    }

private:
    void shrink() noexcept { std::string().swap(bytes_); }

    std::string bytes_;
    std::size_t sent_ = 0; // bytes_[0, sent_) are written
};

} // namespace bareasio
