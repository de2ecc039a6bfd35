// cookies: read the cookies a request carries, and set or delete cookies on
// a response with every RFC 6265 attribute.
//     auto session = request_cookies(req).get("session");
//     set_cookie(res, {.name = "session", .value = id, .max_age = 3600s,
//                      .secure = true, .http_only = true, .same_site = same_site_policy::lax});
//     delete_cookie(res, "session");
// Reading is lenient, as browsers are: pairs are split on ';', a value's
// surrounding double quotes are dropped, pairs without '=' are skipped, and
// when a name repeats the first one wins (the most specific path, RFC 6265
// 5.4). Writing is strict: a name that is not an RFC 7230 token, a value
// with bytes outside cookie-octet, or an attribute with ';' or a control
// byte throws std::invalid_argument, so no cookie can smuggle attributes
// or break the header.
// Thread safety: plain values and functions.
#pragma once

#include <bareasio/http/date_cache.hpp>
#include <bareasio/http/request.hpp>
#include <bareasio/http/response.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bareasio {

// The request's cookies, as views into its Cookie header(s): valid while
// the request is.
class request_cookie_jar {
public:
    void add(std::string_view cookie_header) {
        while (!cookie_header.empty()) {
            const auto semi = cookie_header.find(';');
            std::string_view pair = cookie_header.substr(0, semi);
            cookie_header = semi == std::string_view::npos ? std::string_view{}
                                                           : cookie_header.substr(semi + 1);
            const auto eq = pair.find('=');
            if (eq == std::string_view::npos) continue;
            std::string_view name = trim_ows(pair.substr(0, eq));
            std::string_view value = trim_ows(pair.substr(eq + 1));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            if (!name.empty()) pairs_.emplace_back(name, value);
        }
    }

    // The first value sent for `name` (case-sensitive, as cookie names are).
    std::optional<std::string_view> get(std::string_view name) const noexcept {
        for (const auto& [n, v] : pairs_)
            if (n == name) return v;
        return std::nullopt;
    }
    bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
    std::size_t size() const noexcept { return pairs_.size(); }
    auto begin() const noexcept { return pairs_.begin(); }
    auto end() const noexcept { return pairs_.end(); }

private:
    std::vector<std::pair<std::string_view, std::string_view>> pairs_;
};

// Every Cookie header of the request, in order (HTTP/2 proxies may split them).
inline request_cookie_jar request_cookies(const request& req) {
    request_cookie_jar jar;
    for (const auto& field : req.headers())
        if (iequals(field.name, "cookie")) jar.add(field.value);
    return jar;
}

enum class same_site_policy { unset, strict, lax, none };

// One Set-Cookie header's worth. Unset optionals and empty strings are left out.
struct cookie {
    std::string name;
    std::string value{};
    std::optional<std::chrono::seconds> max_age{};
    std::optional<std::chrono::system_clock::time_point> expires{};
    std::string path{};
    std::string domain{};
    bool secure = false;
    bool http_only = false;
    same_site_policy same_site = same_site_policy::unset;
};

namespace detail {
inline bool is_token_char(char c) noexcept {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b >= 0x7f) return false;
    return std::string_view("()<>@,;:\\\"/[]?={}").find(c) == std::string_view::npos;
}
// RFC 6265 cookie-octet: visible ASCII but '"', ',', ';' and '\'.
inline bool is_cookie_octet(char c) noexcept {
    const auto b = static_cast<unsigned char>(c);
    return b > 0x20 && b < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\';
}
inline void check_attribute(std::string_view what, std::string_view text) {
    for (const char c : text) {
        const auto b = static_cast<unsigned char>(c);
        if (c == ';' || b < 0x20 || b == 0x7f)
            throw std::invalid_argument("cookie " + std::string(what) +
                                        " must not hold ';' or control characters");
    }
}
} // namespace detail

// The Set-Cookie header value for `c`. Throws std::invalid_argument for a
// name, value or attribute that cannot be sent as given (see above), and
// for SameSite=None without Secure, which browsers reject.
inline std::string format_set_cookie(const cookie& c) {
    if (c.name.empty()) throw std::invalid_argument("a cookie needs a name");
    for (const char ch : c.name)
        if (!detail::is_token_char(ch))
            throw std::invalid_argument("cookie name '" + c.name + "' is not an HTTP token");
    for (const char ch : c.value)
        if (!detail::is_cookie_octet(ch))
            throw std::invalid_argument(
                "cookie '" + c.name +
                "': the value holds a byte cookies cannot carry "
                "(space, '\"', ',', ';', '\\' or non-ASCII); encode it first");
    detail::check_attribute("path", c.path);
    detail::check_attribute("domain", c.domain);
    if (c.same_site == same_site_policy::none && !c.secure)
        throw std::invalid_argument("cookie '" + c.name + "': SameSite=None requires Secure");

    std::string out = c.name;
    out.append("=").append(c.value);
    if (c.max_age)
        out.append("; Max-Age=").append(std::to_string(std::max<long long>(0, c.max_age->count())));
    if (c.expires)
        out.append("; Expires=")
            .append(http_date(std::chrono::system_clock::to_time_t(*c.expires)));
    if (!c.domain.empty()) out.append("; Domain=").append(c.domain);
    if (!c.path.empty()) out.append("; Path=").append(c.path);
    if (c.secure) out.append("; Secure");
    if (c.http_only) out.append("; HttpOnly");
    switch (c.same_site) {
    case same_site_policy::strict:
        out.append("; SameSite=Strict");
        break;
    case same_site_policy::lax:
        out.append("; SameSite=Lax");
        break;
    case same_site_policy::none:
        out.append("; SameSite=None");
        break;
    case same_site_policy::unset:
        break;
    }
    return out;
}

// Adds a Set-Cookie header to `res` (one per cookie; they are never folded).
inline void set_cookie(response& res, const cookie& c) {
    res.headers.add("set-cookie", format_set_cookie(c));
}

// Tells the browser to drop a cookie: empty value, Max-Age=0 and an Expires
// in the past (for old clients). Path and domain must match the ones it was
// set with.
inline void delete_cookie(response& res, std::string name, std::string path = "/",
                          std::string domain = {}) {
    set_cookie(res, cookie{.name = std::move(name),
                           .max_age = std::chrono::seconds(0),
                           .expires = std::chrono::system_clock::time_point{},
                           .path = std::move(path),
                           .domain = std::move(domain)});
}

} // namespace bareasio
