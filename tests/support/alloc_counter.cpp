// The replaced allocation functions behind alloc_counter.hpp. GCC sees
// free() on memory from operator new and warns, wrongly: they are the pair.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "alloc_counter.hpp"

#include <cstdlib>
#include <new>

namespace test {
std::atomic<long> allocations{0};
} // namespace test

void* operator new(std::size_t n) {
    ++test::allocations;
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
    ++test::allocations;
    void* p = nullptr;
    return posix_memalign(&p, align, size) == 0 ? p : nullptr;
}
