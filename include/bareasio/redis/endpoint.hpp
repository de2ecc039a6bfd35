// redis::endpoint: where a Redis server is, read from a URL in the form
// every Redis client accepts:
//     redis://[[username]:password@]host[:port][/db]
//     auto where = redis::endpoint::parse("redis://:secret@10.0.0.5:6380/2");
// The port defaults to 6379 and the database to 0; an IPv6 host is written
// in brackets (redis://[::1]:6379). Percent-escapes in the user name and
// password are decoded. parse() throws std::invalid_argument naming what is
// wrong. address() is "host:port", as log lines and errors show it (never
// the password).
// Thread safety: a value type; const use from any thread.
#pragma once

#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bareasio::redis {

struct endpoint {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::string username; // empty: AUTH with the password only (Redis < 6 style)
    std::string password; // empty: no AUTH
    int db = 0;           // SELECTed after connecting when not 0

    std::string address() const {
        const bool v6 = host.find(':') != std::string::npos;
        return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
    }

    static endpoint parse(std::string_view url) {
        constexpr std::string_view scheme = "redis://";
        if (url.substr(0, scheme.size()) != scheme)
            throw std::invalid_argument("Redis URL must start with redis://: " + std::string(url));
        endpoint result;
        auto rest = url.substr(scheme.size());
        auto slash = rest.find('/');
        auto authority = rest.substr(0, slash);
        if (slash != std::string_view::npos) result.db = parse_db(rest.substr(slash + 1), url);
        if (auto at = authority.rfind('@'); at != std::string_view::npos) {
            result.read_credentials(authority.substr(0, at), url);
            authority.remove_prefix(at + 1);
        }
        result.read_host_port(authority, url);
        return result;
    }

private:
    [[noreturn]] static void bad(std::string_view what, std::string_view url) {
        throw std::invalid_argument("bad Redis URL (" + std::string(what) +
                                    "): " + std::string(url));
    }

    template <class T>
    static T number(std::string_view text, T max, std::string_view what, std::string_view url) {
        T value{};
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > max)
            bad(what, url);
        return value;
    }

    static int parse_db(std::string_view path, std::string_view url) {
        if (path.empty()) return 0;
        return number<int>(path, 1 << 20, "database number", url);
    }

    static std::string decode(std::string_view text, std::string_view url) {
        std::string out;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] != '%') {
                out.push_back(text[i]);
                continue;
            }
            if (i + 2 >= text.size()) bad("percent-escape", url);
            unsigned value = 0;
            auto digits = text.substr(i + 1, 2);
            auto [end, ec] =
                std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
            if (digits.size() != 2 || ec != std::errc() || end != digits.data() + 2)
                bad("percent-escape", url);
            out.push_back(static_cast<char>(value));
            i += 2;
        }
        return out;
    }

    void read_credentials(std::string_view userinfo, std::string_view url) {
        auto colon = userinfo.find(':');
        if (colon == std::string_view::npos) { // redis://secret@host: a password only
            password = decode(userinfo, url);
            return;
        }
        username = decode(userinfo.substr(0, colon), url);
        password = decode(userinfo.substr(colon + 1), url);
    }

    void read_host_port(std::string_view authority, std::string_view url) {
        std::string_view port_text;
        if (!authority.empty() && authority.front() == '[') {
            auto close = authority.find(']');
            if (close == std::string_view::npos) bad("unclosed [ in the host", url);
            host = std::string(authority.substr(1, close - 1));
            auto after = authority.substr(close + 1);
            if (!after.empty() && after.front() != ':') bad("text after the host", url);
            if (!after.empty()) port_text = after.substr(1);
        } else {
            auto colon = authority.rfind(':');
            host = std::string(authority.substr(0, colon));
            if (colon != std::string_view::npos) {
                port_text = authority.substr(colon + 1);
                if (port_text.empty()) bad("empty port", url);
            }
        }
        if (host.empty()) bad("no host", url);
        if (!port_text.empty()) port = number<std::uint16_t>(port_text, 65535, "port", url);
        if (port == 0) bad("port 0", url);
    }
};

} // namespace bareasio::redis
