// release_if_large: frees a buffer that a large message grew, and gives the
// memory back to the system when it was very large. glibc keeps what a
// large free leaves inside its heap (its mmap threshold rises to the size
// of the largest block freed, up to 32 MiB), so a server that once held a
// few 16 MiB messages would hold tens of MiB for good after they are gone;
// malloc_trim returns it. Elsewhere the free is all there is.
//     detail::release_if_large(message_, 64 * 1024);
//     std::shared_ptr<const std::string> shared = detail::share_trimmed(std::move(payload));
// Thread safety: malloc_trim is; the buffer is the caller's.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace bareasio::detail {

// Freeing a buffer at least this large returns memory to the system.
inline constexpr std::size_t large_buffer_bytes = 1024 * 1024;

inline void return_memory_to_system() noexcept {
#if defined(__GLIBC__)
    ::malloc_trim(0);
#endif
}

// Frees `buffer` if it holds more than `kept` bytes of storage.
inline void release_if_large(std::string& buffer, std::size_t kept) noexcept {
    const std::size_t capacity = buffer.capacity();
    if (capacity <= kept) return;
    std::string().swap(buffer);
    if (capacity >= large_buffer_bytes) return_memory_to_system();
}

// A string that gives its memory back to the system when it goes, if it
// was large: for buffers shared by many owners, where none knows it is the last.
struct trimmed_string {
    std::string bytes;
    trimmed_string(std::string s) noexcept : bytes(std::move(s)) {}
    trimmed_string(const trimmed_string&) = delete;
    trimmed_string& operator=(const trimmed_string&) = delete;
    ~trimmed_string() { release_if_large(bytes, 0); }
};

// `s` as an immutable string many may hold (a broadcast's payload), given
// back to the system by whoever drops it last, if it was large.
inline std::shared_ptr<const std::string> share_trimmed(std::string s) {
    auto owner = std::make_shared<const trimmed_string>(std::move(s));
    return std::shared_ptr<const std::string>(owner, &owner->bytes);
}

} // namespace bareasio::detail
