// pg::detail::conninfo: a PostgreSQL URL or key=value string as libpq parses
// it, with the host a connection must look up itself (libpq's own lookup
// blocks); is_refusal: failures no retry mends; trimmed: libpq's messages
// without their trailing newline.
// Thread safety: values; pure functions.
#pragma once

#include <asio/ip/address.hpp>

#include <libpq-fe.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bareasio::pg::detail {

struct conninfo {
    std::vector<std::string> keys, values;
    std::string host, port = "5432";

    // Throws std::invalid_argument with libpq's reason.
    static conninfo parse(const std::string& url) {
        char* why = nullptr;
        PQconninfoOption* options = PQconninfoParse(url.c_str(), &why);
        if (!options) {
            std::string text = why ? why : "out of memory";
            PQfreemem(why);
            throw std::invalid_argument("bad PostgreSQL URL: " + text);
        }
        conninfo out;
        for (const auto* o = options; o->keyword; ++o) {
            if (!o->val || !*o->val) continue;
            out.keys.emplace_back(o->keyword);
            out.values.emplace_back(o->val);
            if (out.keys.back() == "host") out.host = o->val;
            if (out.keys.back() == "port") out.port = o->val;
        }
        PQconninfoFree(options);
        return out;
    }

    std::string address() const { return (host.empty() ? "localhost" : host) + ":" + port; }

    std::string get(std::string_view key) const {
        for (std::size_t i = 0; i < keys.size(); ++i)
            if (keys[i] == key) return values[i];
        return {};
    }
    void set(std::string key, std::string value) {
        for (std::size_t i = 0; i < keys.size(); ++i)
            if (keys[i] == key) {
                values[i] = std::move(value);
                return;
            }
        keys.push_back(std::move(key));
        values.push_back(std::move(value));
    }

    // A host libpq would look up itself, blocking: one name (not an
    // address, not a Unix socket path, not a list) and no hostaddr.
    bool needs_lookup() const {
        if (host.empty() || host.front() == '/' || host.find(',') != std::string::npos ||
            !get("hostaddr").empty())
            return false;
        std::error_code ec;
        asio::ip::make_address(host, ec);
        return static_cast<bool>(ec);
    }
};

// Failures no retry mends: connect() says them at once.
inline bool is_refusal(std::string_view failure) noexcept {
    for (std::string_view text : {"password authentication failed", "does not exist",
                                  "no pg_hba.conf entry", "no password supplied"})
        if (failure.find(text) != std::string_view::npos) return true;
    return false;
}

inline std::string trimmed(const char* text) {
    std::string out = text ? text : "";
    while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
        out.pop_back();
    return out;
}

} // namespace bareasio::pg::detail
