// read_buffer: the bytes a connection has received and not yet parsed, in a
// buffer taken from its loop's pool. It owns the buffer's life: taken when
// bytes arrive, rewound when everything is parsed, compacted when full, and
// given back to the pool whenever the connection holds nothing unparsed and
// waits (idle between requests, or a bodiless request's handler waiting),
// so 10,000 waiting connections do not hold 10,000 buffers. The connection
// parses from unparsed() and consume()s; transport reads into
// free_space() and commit()s.
// Thread safety: one per connection, on its loop.
#pragma once

#include <bareasio/transport/buffer_pool.hpp>

#include <asio/buffer.hpp>

#include <cstddef>
#include <cstring>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace bareasio {

class read_buffer {
public:
    explicit read_buffer(buffer_pool& pool) noexcept : pool_(&pool) {}
    ~read_buffer() { release(); }
    read_buffer(const read_buffer&) = delete;
    read_buffer& operator=(const read_buffer&) = delete;

    // Bytes received and not yet parsed; valid until the next read.
    std::string_view unparsed() const noexcept { return {bytes_.data() + begin_, end_ - begin_}; }
    // The same bytes, writable (a WebSocket unmasks them in place).
    std::span<char> unparsed_bytes() noexcept { return {bytes_.data() + begin_, end_ - begin_}; }
    bool empty() const noexcept { return begin_ == end_; }
    void consume(std::size_t n) noexcept { begin_ += n; }

    bool has_storage() const noexcept { return !bytes_.empty(); }
    std::size_t storage_size() const noexcept { return pool_->buffer_size(); }

    // Before a read: an emptied buffer is rewound (and, with `give_back`,
    // returned to the pool); a full one moves its unparsed bytes to the front.
    void prepare(bool give_back) noexcept {
        if (begin_ == end_) {
            begin_ = end_ = 0;
            if (give_back) release();
        } else if (end_ == bytes_.size()) {
            compact();
        }
    }

    // Takes a buffer from the pool if none is held.
    void acquire() {
        if (!has_storage()) take();
    }

    // Takes a buffer and copies `first` into it: bytes read elsewhere while
    // no buffer was held (see transport::read).
    void adopt(std::string_view first) {
        acquire();
        std::memcpy(bytes_.data() + end_, first.data(), first.size());
        end_ += first.size();
    }

    // Where the next read may write: the free tail, which never overlaps the
    // unparsed bytes a handler may still hold views of. Empty when full.
    asio::mutable_buffer free_space() noexcept {
        return {bytes_.data() + end_, bytes_.size() - end_};
    }
    bool full() const noexcept { return has_storage() && end_ == bytes_.size(); }
    void commit(std::size_t n) noexcept { end_ += n; }

    // Gives the buffer back to the pool when nothing in it is unparsed.
    void release_if_empty() noexcept {
        if (begin_ == end_) release();
    }

private:
    void take() {
        bytes_ = pool_->take();
        begin_ = end_ = 0;
    }

    void compact() noexcept {
        std::memmove(bytes_.data(), bytes_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }

    void release() noexcept {
        if (!has_storage()) return;
        pool_->give(std::move(bytes_));
        begin_ = end_ = 0;
    }

    buffer_pool* pool_;
    std::vector<char> bytes_; // [begin_, end_) holds bytes not yet parsed
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

} // namespace bareasio
