// The definition behind server/command_line.hpp: included by it when
// header-only, and compiled once into the library (src/bareasio.cpp) with
// BAREASIO_SEPARATE_COMPILATION.
#pragma once

#include <bareasio/server/command_line.hpp>

namespace bareasio {

BAREASIO_DECL server_config config_from_args(int argc, char** argv, server_config defaults) {
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
        std::string_view value;
        if (auto eq = arg.find('='); eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
        } else if (arg != "--help" && arg != "-h" && arg != "--access-log" && i + 1 < argc) {
            value = argv[++i];
        }
        if (arg == "--help" || arg == "-h") {
            std::printf(
                "usage: %s [--host HOST] [--port PORT] [--threads N] [--access-log[=FILE]]\n"
                "          [--trusted-proxy ADDR]...\n"
                "  --host HOST    address to listen on (default %s)\n"
                "  --port PORT    port to listen on (default %u; env PORT)\n"
                "  --threads N    event loops (default %u; 0 = one per core; at most 1024)\n"
                "  --access-log   one line per request to stderr; =FILE appends to FILE\n"
                "  --trusted-proxy ADDR  believe Forwarded/X-Forwarded-* from this\n"
                "                 address or CIDR network (repeatable)\n",
                program, config.host.c_str(), static_cast<unsigned>(config.port), config.threads);
            std::exit(0);
        } else if (arg == "--host" && !value.empty()) {
            config.host = std::string(value);
        } else if (arg == "--port" && !value.empty()) {
            auto port = detail::parse_number<std::uint16_t>(value);
            if (!port)
                detail::usage_error(program,
                                    "--port needs a port number, not '" + std::string(value) + "'");
            config.port = *port;
        } else if (arg == "--threads" && !value.empty()) {
            auto threads = detail::parse_number<unsigned>(value);
            if (!threads)
                detail::usage_error(program,
                                    "--threads needs a number, not '" + std::string(value) + "'");
            if (*threads > max_threads)
                detail::usage_error(program, "--threads is at most " + std::to_string(max_threads) +
                                                 ", not " + std::string(value));
            config.threads = *threads;
        } else if (arg == "--access-log") {
            config.access_log = value.empty() ? "-" : std::string(value);
        } else if (arg == "--trusted-proxy" && !value.empty()) {
            config.trusted_proxies.emplace_back(value);
        } else {
            detail::usage_error(program, "unknown or incomplete option '" + std::string(arg) + "'");
        }
    }
    return config;
}

} // namespace bareasio
