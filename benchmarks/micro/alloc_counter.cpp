#include "alloc_counter.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
    bench::allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
// Asio's recycling allocator gets its blocks from aligned_alloc, not from
// operator new: count those too, or a cache miss there would go unseen.
extern "C" void* aligned_alloc(std::size_t align, std::size_t size) noexcept {
    bench::allocations.fetch_add(1, std::memory_order_relaxed);
    void* p = nullptr;
    return posix_memalign(&p, align, size) == 0 ? p : nullptr;
}
