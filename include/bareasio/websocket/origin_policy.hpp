// origin_policy: which web pages may open a WebSocket. A browser sends the
// page's Origin with every handshake, and the user's cookies with it, so
// without a check any site the user visits can open a socket as the user
// (cross-site WebSocket hijacking). A handshake from an Origin the policy
// does not allow is refused with 403 before the handler runs.
//     app.ws_router.options.origins.same_origin = true;            // the page's own server
//     app.ws_router.options.origins.allowed = {"https://example.com"}; // and these
// With neither set (the default) every Origin is allowed. Clients that are
// not browsers send no Origin; they are let through unless allow_missing
// is false (browsers always send one, so the attack needs none).
// Thread safety: set before serving; read-only after.
#pragma once

#include <bareasio/http/header_list.hpp>

#include <charconv>
#include <string>
#include <string_view>
#include <vector>

namespace bareasio {

struct origin_policy {
    // Allow an Origin whose host and port are the request's Host (the port
    // a scheme implies when either leaves it out). Behind a proxy, the
    // proxy must pass the client's Host on (nginx: proxy_set_header Host $host).
    bool same_origin = false;
    // Origins allowed as they are written, scheme, host and port:
    // "https://example.com", "http://localhost:8080". Compared without case.
    std::vector<std::string> allowed;
    // A handshake without an Origin (not from a browser).
    bool allow_missing = true;

    // Whether a handshake with `origin` (null: none sent) and Host `host` may open a socket.
    bool allows(const std::string_view* origin, std::string_view host) const {
        if (!same_origin && allowed.empty()) return true;
        if (!origin) return allow_missing;
        for (const auto& a : allowed)
            if (iequals(a, *origin)) return true;
        return same_origin && same_authority(*origin, host);
    }

private:
    struct authority {
        std::string_view host;
        int port = -1;
    };

    // host[:port] (or [v6]:port), the port defaulting to `fallback`.
    static bool split(std::string_view text, int fallback, authority& out) {
        const auto colon = text.rfind(':');
        const bool has_port = colon != std::string_view::npos && text.find(']', colon) == text.npos;
        out.host = has_port ? text.substr(0, colon) : text;
        out.port = fallback;
        if (!has_port) return !out.host.empty();
        const auto digits = text.substr(colon + 1);
        const auto [end, ec] =
            std::from_chars(digits.data(), digits.data() + digits.size(), out.port);
        return ec == std::errc() && end == digits.data() + digits.size() && !out.host.empty();
    }

    static bool same_authority(std::string_view origin, std::string_view host) {
        const auto sep = origin.find("://");
        if (sep == std::string_view::npos) return false; // "null" and the like
        const auto scheme = origin.substr(0, sep);
        const int port = iequals(scheme, "https") ? 443 : iequals(scheme, "http") ? 80 : -1;
        authority o, h;
        if (port < 0 || !split(origin.substr(sep + 3), port, o) || !split(host, port, h))
            return false;
        return o.port == h.port && iequals(o.host, h.host);
    }
};

} // namespace bareasio
