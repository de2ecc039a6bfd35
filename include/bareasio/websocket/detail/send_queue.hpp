// send_queue: the frames a WebSocket has to send, in order: bytes copied in
// (frame headers, small and compressed payloads) and shared payloads (a
// broadcast's, the same bytes for many sockets) referenced at their place
// instead of copied. A socket keeps two: the one being filled and the one
// being written, swapped when a write begins.
//     q.bytes() += header;  q.append(payload);   // shared, not copied
//     for (std::size_t i = 0; i < q.pieces(); ++i) write(q.piece(i));
// Thread safety: one socket's, on its loop.
#pragma once

#include <bareasio/detail/release_memory.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bareasio::detail {

class send_queue {
public:
    using shared_bytes = std::shared_ptr<const std::string>;

    // All the bytes queued, shared ones included.
    std::size_t size() const noexcept { return bytes_.size() + shared_size_; }
    bool empty() const noexcept { return bytes_.empty() && splices_.empty(); }
    bool has_shared() const noexcept { return !splices_.empty(); }

    // The copied bytes, to append frames to.
    std::string& bytes() noexcept { return bytes_; }

    // A shared payload, written after the bytes appended so far.
    void append(shared_bytes payload) {
        shared_size_ += payload->size();
        splices_.push_back({bytes_.size(), std::move(payload)});
    }

    // The queue as pieces to write in order: copied bytes and shared
    // payloads alternate (some pieces may be empty).
    std::size_t pieces() const noexcept { return 2 * splices_.size() + 1; }
    std::string_view piece(std::size_t i) const noexcept {
        const std::string_view all(bytes_);
        if (i % 2 == 1) return *splices_[i / 2].payload;
        const std::size_t from = i == 0 ? 0 : splices_[i / 2 - 1].at;
        const std::size_t to = i / 2 < splices_.size() ? splices_[i / 2].at : all.size();
        return all.substr(from, to - from);
    }

    // Drops the first `n` copied bytes; only while nothing is shared.
    void consume(std::size_t n) { bytes_.erase(0, n); }

    // Empties the queue; storage a large message grew is given back, so an
    // idle socket holds little.
    void clear() noexcept {
        splices_.clear();
        shared_size_ = 0;
        release_if_large(bytes_, kept_capacity);
        bytes_.clear();
    }

    void swap(send_queue& other) noexcept {
        bytes_.swap(other.bytes_);
        splices_.swap(other.splices_);
        std::swap(shared_size_, other.shared_size_);
    }

    static constexpr std::size_t kept_capacity = 64 * 1024;

private:
    struct splice {
        std::size_t at; // in bytes_: the payload goes before this byte
        shared_bytes payload;
    };

    std::string bytes_;
    std::vector<splice> splices_;
    std::size_t shared_size_ = 0;
};

} // namespace bareasio::detail
