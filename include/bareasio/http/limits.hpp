// limits: the defaults of the limits that keep a request's head and body
// bounded, defined once. server_config's fields and the parser's and the
// body stream's defaults all come from here.
//     request_parser parser(head, parser_limits{.max_header_bytes = 4096});
// Thread safety: constants and a plain value.
#pragma once

#include <cstddef>

namespace bareasio {

inline constexpr std::size_t default_max_header_bytes = 16 * 1024; // request line + headers -> 431
inline constexpr std::size_t default_max_header_count = 100;       // -> 431
inline constexpr std::size_t default_max_url_bytes = 8 * 1024;     // -> 414
inline constexpr std::size_t default_max_body_bytes = 1024 * 1024; // buffered readers -> 413

// What the parser enforces on a request head.
struct parser_limits {
    std::size_t max_header_bytes = default_max_header_bytes;
    std::size_t max_header_count = default_max_header_count;
    std::size_t max_url_bytes = default_max_url_bytes;
};

} // namespace bareasio
