// cors: Cross-Origin Resource Sharing as a middleware, in the manner of
// bareASGI-cors and Starlette's CORSMiddleware.
//     app.middlewares.push_back(cors({.allow_origins = {"https://app.example.com"},
//                                     .allow_methods = {"GET", "POST"},
//                                     .allow_headers = {"content-type", "authorization"},
//                                     .allow_credentials = true}));
// A preflight (OPTIONS with Origin and Access-Control-Request-Method) is
// answered here and never reaches the router: 204 with the Access-Control-
// Allow-* headers when origin, method and every requested header are
// allowed, 400 naming what is not otherwise. Other requests with an allowed
// Origin get Access-Control-Allow-Origin (and -Credentials, -Expose-Headers)
// on their response; a disallowed Origin gets none, so the browser blocks
// the page from reading it. "*" in allow_origins, allow_methods or
// allow_headers allows any; "*" origins with allow_credentials is refused
// (std::invalid_argument): it would let every site read the user's
// authenticated responses. With credentials or a list of origins the
// origin is echoed, and every response says `Vary: Origin` so shared caches
// keep the variants apart.
// Install it globally (app.middlewares): preflights for routes without an
// OPTIONS handler are then answered too.
// Thread safety: the middleware is immutable once built.
#pragma once

#include <bareasio/app/middleware.hpp>
#include <bareasio/http/writers.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bareasio {

struct cors_options {
    std::vector<std::string> allow_origins{};                      // "scheme://host[:port]", or "*"
    std::vector<std::string> allow_methods{"GET", "HEAD", "POST"}; // or "*"
    std::vector<std::string> allow_headers{};  // beyond the CORS-safelisted ones; or "*"
    std::vector<std::string> expose_headers{}; // response headers the page may read
    bool allow_credentials = false;            // cookies and Authorization
    std::chrono::seconds max_age{600};         // how long a browser may cache a preflight
};

namespace detail {

class cors_policy {
public:
    explicit cors_policy(cors_options o) : options_(std::move(o)) {
        any_origin_ = has_star(options_.allow_origins);
        if (any_origin_ && options_.allow_credentials)
            throw std::invalid_argument(
                "cors: allow_credentials with allow_origins \"*\" would let any site read "
                "responses made with the user's cookies; list the origins instead");
        any_method_ = has_star(options_.allow_methods);
        any_header_ = has_star(options_.allow_headers);
        methods_ = join(options_.allow_methods);
        expose_ = join(options_.expose_headers);
    }

    asio::awaitable<response> operator()(request& req, const http_handler& next) const {
        const auto origin = req.headers().get("origin");
        if (!origin) { // not a cross-origin request
            response res = co_await next(req);
            if (echoes_origin()) add_vary(res.headers, "Origin"); // the answer differs with one
            co_return res;
        }
        const auto requested = req.headers().get("access-control-request-method");
        if (req.method() == "OPTIONS" && requested) co_return preflight(req, *origin, *requested);
        response res = co_await next(req);
        if (origin_allowed(*origin)) {
            allow_origin(res, *origin);
            if (!expose_.empty()) res.headers.set("access-control-expose-headers", expose_);
        } else if (echoes_origin()) {
            add_vary(res.headers, "Origin"); // the answer would differ for another Origin
        }
        co_return res;
    }

private:
    response preflight(const request& req, std::string_view origin, std::string_view method) const {
        std::string refused;
        if (!origin_allowed(origin)) refused = "origin";
        if (!any_method_ && !listed(options_.allow_methods, method, false))
            refused += refused.empty() ? "method" : ", method";
        const auto asked = req.headers().get_or("access-control-request-headers", "");
        if (!any_header_ && !headers_allowed(asked))
            refused += refused.empty() ? "headers" : ", headers";
        if (!refused.empty()) {
            response res{400,
                         {{"content-type", "text/plain; charset=utf-8"}},
                         text_writer("Disallowed CORS " + refused)};
            if (echoes_origin()) add_vary(res.headers, "Origin");
            return res;
        }
        response res{204};
        allow_origin(res, origin);
        res.headers.set("access-control-allow-methods",
                        any_method_ ? std::string(method) : methods_);
        // Every requested name is allowed by now: echo them, safelisted ones
        // included (a browser asks for content-type when its value is not
        // safelisted, e.g. application/json, and needs it granted).
        if (!asked.empty()) res.headers.set("access-control-allow-headers", asked);
        res.headers.set("access-control-max-age", std::to_string(options_.max_age.count()));
        return res;
    }

    bool echoes_origin() const noexcept { return !any_origin_ || options_.allow_credentials; }

    void allow_origin(response& res, std::string_view origin) const {
        if (echoes_origin()) {
            res.headers.set("access-control-allow-origin", origin);
            add_vary(res.headers, "Origin");
        } else {
            res.headers.set("access-control-allow-origin", "*");
        }
        if (options_.allow_credentials) res.headers.set("access-control-allow-credentials", "true");
    }

    bool origin_allowed(std::string_view origin) const noexcept {
        return any_origin_ || listed(options_.allow_origins, origin, false);
    }

    // Every name in the comma-separated Access-Control-Request-Headers is
    // allowed (names compare case-insensitively).
    bool headers_allowed(std::string_view asked) const noexcept {
        while (!asked.empty()) {
            const auto comma = asked.find(',');
            auto name = asked.substr(0, comma);
            name = trim_ows(name);
            if (!name.empty() && !safelisted(name) && !listed(options_.allow_headers, name, true))
                return false;
            if (comma == std::string_view::npos) break;
            asked.remove_prefix(comma + 1);
        }
        return true;
    }

    // Headers a browser sends without asking (the Fetch standard's safelist).
    static bool safelisted(std::string_view name) noexcept {
        return iequals(name, "accept") || iequals(name, "accept-language") ||
               iequals(name, "content-language") || iequals(name, "content-type");
    }

    static bool listed(const std::vector<std::string>& list, std::string_view item,
                       bool ignore_case) noexcept {
        return std::any_of(list.begin(), list.end(), [&](const std::string& entry) {
            return ignore_case ? iequals(entry, item) : entry == item;
        });
    }
    static bool has_star(const std::vector<std::string>& list) noexcept {
        return std::find(list.begin(), list.end(), "*") != list.end();
    }
    static std::string join(const std::vector<std::string>& list) {
        std::string out;
        for (const auto& item : list) {
            if (item == "*") continue;
            if (!out.empty()) out.append(", ");
            out.append(item);
        }
        return out;
    }

    cors_options options_;
    bool any_origin_ = false;
    bool any_method_ = false;
    bool any_header_ = false;
    std::string methods_;
    std::string expose_;
};

} // namespace detail

// The CORS middleware for `options`.
inline middleware cors(cors_options options) {
    auto policy = std::make_shared<const detail::cors_policy>(std::move(options));
    return [policy](request& req, const http_handler& next) { return (*policy)(req, next); };
}

} // namespace bareasio
