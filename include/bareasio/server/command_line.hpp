// command_line: the flags every bareasio program shares, so an example (or
// your own server) takes --host, --port, --threads, --access-log and
// --trusted-proxy (like uvicorn's --forwarded-allow-ips), and the
// application's own options next to them:
//     std::string db = "notes.db";
//     unsigned purge_every = 60;
//     bool verbose = false;
//     auto config = bareasio::config_from_args(argc, argv, {.port = 9009}, {
//         cli_option("--db", db, "FILE", "where the notes are kept"),
//         cli_option("--purge-every", purge_every, "SECONDS", "purge period"),
//         cli_flag("--verbose", verbose, "log every purge"),
//     });
// The PORT environment variable overrides the default port; --port
// overrides both. --help prints usage, the application's options (with
// their defaults) included, and exits 0; an unknown flag or a value that
// does not parse exits 2. Values come as `--db x` or `--db=x`.
// Thread safety: call from main, before serving.
#pragma once

#include <bareasio/detail/config.hpp>
#include <bareasio/server/config.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

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

// An option of the application's own. Made by cli_option or cli_flag; or
// by hand, with `set` returning false for a value it refuses.
struct command_line_option {
    std::string name;    // "--db"
    std::string metavar; // "FILE"; empty for a flag, which takes no value
    std::string help;
    std::function<bool(std::string_view)> set;
    std::string default_text; // shown by --help; empty: none shown
};

// An option that sets `target` (a std::string, an integer or a floating
// type) from its value; `target` holds the default and must outlive the call.
template <class T>
command_line_option cli_option(std::string name, T& target, std::string metavar, std::string help) {
    std::function<bool(std::string_view)> set;
    std::string shown;
    if constexpr (std::is_same_v<T, std::string>) {
        shown = target;
        set = [&target](std::string_view v) {
            target.assign(v);
            return true;
        };
    } else {
        static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>,
                      "cli_option sets a std::string or a number; use cli_flag for a bool");
        set = [&target](std::string_view v) {
            auto parsed = detail::parse_number<T>(v);
            if (parsed) target = *parsed;
            return parsed.has_value();
        };
        char text[64];
        shown.assign(text, std::to_chars(text, text + sizeof text, target).ptr);
    }
    return {std::move(name), std::move(metavar), std::move(help), std::move(set), std::move(shown)};
}

// A flag that takes no value and sets `target` to true.
inline command_line_option cli_flag(std::string name, bool& target, std::string help) {
    return {std::move(name),
            {},
            std::move(help),
            [&target](std::string_view) {
                target = true;
                return true;
            },
            {}};
}

// Reads the shared flags over `defaults`, and the application's `options`;
// exits 0 after --help, 2 on a bad flag. Throws std::invalid_argument for
// an option whose name is not --something or is already taken.
BAREASIO_DECL server_config config_from_args(int argc, char** argv, server_config defaults = {},
                                             const std::vector<command_line_option>& options = {});

} // namespace bareasio

#if !defined(BAREASIO_SEPARATE_COMPILATION)
#include <bareasio/server/impl/command_line.ipp>
#endif
