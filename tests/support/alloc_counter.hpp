// Counts calls to operator new (and Asio's aligned_alloc) in a test binary
// that links alloc_counter.cpp, for the zero-allocation tests.
#pragma once

#include <atomic>

namespace test {
extern std::atomic<long> allocations;
} // namespace test
