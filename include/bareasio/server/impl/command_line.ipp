// The definition behind server/command_line.hpp: included by it when
// header-only, and compiled once into the library (src/bareasio.cpp) with
// BAREASIO_SEPARATE_COMPILATION.
#pragma once

#include <bareasio/server/command_line.hpp>

#include <algorithm>
#include <stdexcept>

namespace bareasio {
namespace detail {

// The shared flags that take a value (--access-log takes one only with =).
inline bool shared_flag_takes_value(std::string_view arg) noexcept {
    return arg == "--host" || arg == "--port" || arg == "--threads" || arg == "--trusted-proxy" ||
           arg == "--tls-cert" || arg == "--tls-key";
}

inline bool is_shared_flag(std::string_view arg) noexcept {
    return shared_flag_takes_value(arg) || arg == "--help" || arg == "-h" || arg == "--access-log";
}

inline void check_options(const std::vector<command_line_option>& options) {
    for (auto it = options.begin(); it != options.end(); ++it) {
        if (it->name.size() < 3 || it->name.rfind("--", 0) != 0)
            throw std::invalid_argument("command-line option '" + it->name +
                                        "' must be named --something");
        const bool repeated = std::any_of(
            options.begin(), it, [&](const auto& other) { return other.name == it->name; });
        if (is_shared_flag(it->name) || repeated)
            throw std::invalid_argument("command-line option '" + it->name + "' is already taken");
    }
}

[[noreturn]] inline void print_help(const char* program, const server_config& config,
                                    const std::vector<command_line_option>& options) {
    std::printf("usage: %s [--host HOST] [--port PORT] [--threads N] [--access-log[=FILE]]\n"
                "          [--trusted-proxy ADDR]... [--tls-cert FILE --tls-key FILE]%s\n"
                "  --host HOST    address to listen on (default %s)\n"
                "  --port PORT    port to listen on (default %u; env PORT)\n"
                "  --threads N    event loops (default %u; 0 = one per core; at most 1024)\n"
                "  --access-log   one line per request to stderr; =FILE appends to FILE\n"
                "  --trusted-proxy ADDR  believe Forwarded/X-Forwarded-* from this\n"
                "                 address or CIDR network (repeatable)\n"
                "  --tls-cert FILE  serve HTTPS with this PEM certificate chain\n"
                "  --tls-key FILE   and this PEM private key (programs that use tls::serve)\n",
                program, options.empty() ? "" : " [OPTIONS]", config.host.c_str(),
                static_cast<unsigned>(config.port), config.threads);
    if (!options.empty()) std::printf("options of %s:\n", program);
    for (const auto& o : options) {
        const std::string usage = o.metavar.empty() ? o.name : o.name + " " + o.metavar;
        const std::string shown = o.default_text.empty() ? "" : " (default " + o.default_text + ")";
        std::printf("  %-14s %s%s\n", usage.c_str(), o.help.c_str(), shown.c_str());
    }
    std::exit(0);
}

// Applies one of the shared flags; false if `arg` is not one of them.
inline bool apply_shared_flag(const char* program, std::string_view arg, std::string_view value,
                              server_config& config) {
    if (arg == "--host" && !value.empty()) {
        config.host = std::string(value);
    } else if (arg == "--port" && !value.empty()) {
        auto port = parse_number<std::uint16_t>(value);
        if (!port)
            usage_error(program, "--port needs a port number, not '" + std::string(value) + "'");
        config.port = *port;
    } else if (arg == "--threads" && !value.empty()) {
        auto threads = parse_number<unsigned>(value);
        if (!threads)
            usage_error(program, "--threads needs a number, not '" + std::string(value) + "'");
        if (*threads > max_threads)
            usage_error(program, "--threads is at most " + std::to_string(max_threads) + ", not " +
                                     std::string(value));
        config.threads = *threads;
    } else if (arg == "--access-log") {
        config.access_log = value.empty() ? "-" : std::string(value);
    } else if (arg == "--trusted-proxy" && !value.empty()) {
        config.trusted_proxies.emplace_back(value);
    } else if (arg == "--tls-cert" && !value.empty()) {
        config.tls_cert = std::string(value);
    } else if (arg == "--tls-key" && !value.empty()) {
        config.tls_key = std::string(value);
    } else {
        return false;
    }
    return true;
}

// Applies one of the application's options; false if `arg` is not one of them.
inline bool apply_option(const char* program, std::string_view arg,
                         std::optional<std::string_view> value,
                         const std::vector<command_line_option>& options) {
    auto it = std::find_if(options.begin(), options.end(),
                           [arg](const auto& o) { return o.name == arg; });
    if (it == options.end()) return false;
    const bool takes_value = !it->metavar.empty();
    if (takes_value != value.has_value() || (takes_value && value->empty()))
        usage_error(program, takes_value ? it->name + " needs " + it->metavar
                                         : it->name + " takes no value");
    if (!it->set(value.value_or("")))
        usage_error(program,
                    it->name + " needs " + it->metavar + ", not '" + std::string(*value) + "'");
    return true;
}

inline bool option_takes_value(std::string_view arg,
                               const std::vector<command_line_option>& options) {
    if (shared_flag_takes_value(arg)) return true;
    return std::any_of(options.begin(), options.end(),
                       [arg](const auto& o) { return o.name == arg && !o.metavar.empty(); });
}

} // namespace detail

BAREASIO_DECL server_config config_from_args(int argc, char** argv, server_config defaults,
                                             const std::vector<command_line_option>& options) {
    detail::check_options(options);
    server_config config = std::move(defaults);
    const char* program = argc > 0 ? argv[0] : "server";
    if (const char* env = std::getenv("PORT"); env && *env) {
        auto port = detail::parse_number<std::uint16_t>(env);
        if (!port)
            detail::usage_error(program,
                                "PORT must be a port number, not '" + std::string(env) + "'");
        config.port = *port;
    }
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::optional<std::string_view> value;
        if (auto eq = arg.find('='); eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
        } else if (detail::option_takes_value(arg, options) && i + 1 < argc) {
            value = argv[++i];
        }
        if (arg == "--help" || arg == "-h") detail::print_help(program, config, options);
        if (detail::apply_shared_flag(program, arg, value.value_or(""), config)) continue;
        if (detail::apply_option(program, arg, value, options)) continue;
        detail::usage_error(program, "unknown or incomplete option '" + std::string(arg) + "'");
    }
    if (config.tls_cert.empty() != config.tls_key.empty())
        detail::usage_error(program, "--tls-cert and --tls-key go together");
    return config;
}

} // namespace bareasio
