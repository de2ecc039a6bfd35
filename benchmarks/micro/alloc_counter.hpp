// Counts calls to operator new in a benchmark binary, so each
// benchmark can report allocations per operation next to its time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace bench {
inline std::atomic<long> allocations{0};
} // namespace bench

// The replaced operators live in alloc_counter.cpp (one definition).
