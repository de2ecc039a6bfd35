// buffer_pool: read buffers shared by one event loop's connections. An idle
// keep-alive connection holds no buffer: it reads the next request's first
// bytes into the storage of its (empty) output string, then takes one, and
// gives it back when it is idle again with nothing left unparsed, or while
// the handler of a bodiless request runs. So 10,000 idle connections cost
// kilobytes each, not 16 KiB each, and a buffer is reused, not allocated,
// per request. A variant that kept buffers and let the sweeper reclaim idle
// ones left RSS at its peak, because freed 16 KiB blocks stay in the heap.
// Thread safety: one pool per event loop, used only there.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace bareasio {

class buffer_pool {
public:
    explicit buffer_pool(std::size_t buffer_bytes = 16 * 1024, std::size_t keep = 256)
        : size_(buffer_bytes), keep_(keep) {
        free_.reserve(keep_); // so give() never allocates
    }

    std::vector<char> take() {
        if (free_.empty()) return std::vector<char>(size_);
        auto b = std::move(free_.back());
        free_.pop_back();
        return b;
    }

    std::size_t buffer_size() const noexcept { return size_; }

    void give(std::vector<char>&& b) noexcept {
        if (free_.size() < keep_ && b.size() == size_) free_.push_back(std::move(b));
        b = {};
    }

private:
    std::size_t size_;
    std::size_t keep_;
    std::vector<std::vector<char>> free_;
};

} // namespace bareasio
