// command_line: the flags every bareasio program shares, so an example (or
// your own server) takes --host, --port, --threads, --access-log and
// --trusted-proxy (like uvicorn's --forwarded-allow-ips).
//     auto config = bareasio::config_from_args(argc, argv, {.port = 9009});
// The PORT environment variable overrides the default port; --port
// overrides both. --help prints usage and exits 0; a bad flag exits 2.
#pragma once

#include <bareasio/detail/config.hpp>
#include <bareasio/server/config.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace bareasio {

namespace detail {
template <class T>
std::optional<T> parse_number(std::string_view text) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

[[noreturn]] inline void usage_error(const char* program, const std::string& message) {
    std::fprintf(stderr, "%s: %s\nTry '%s --help'.\n", program, message.c_str(), program);
    std::exit(2);
}
} // namespace detail

// Reads the shared flags over `defaults`; exits 0 after --help, 2 on a bad flag.
BAREASIO_DECL server_config config_from_args(int argc, char** argv, server_config defaults = {});

} // namespace bareasio

#if !defined(BAREASIO_SEPARATE_COMPILATION)
#include <bareasio/impl/command_line.ipp>
#endif
