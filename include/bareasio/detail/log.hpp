// Minimal diagnostics to stderr, one whole line per call so lines from
// different threads never interleave mid-line.
#pragma once

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

namespace bareasio::detail {

inline void log_line(std::string_view text) {
    std::string line;
    line.reserve(text.size() + 1);
    line.append(text).push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

inline std::string describe(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}

} // namespace bareasio::detail
