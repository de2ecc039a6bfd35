// The definitions behind router.hpp: included by it when header-only, and
// compiled once into the library (src/bareasio.cpp) with
// BAREASIO_SEPARATE_COMPILATION.
#pragma once

#include <bareasio/app/router.hpp>

#include <cstring>

namespace bareasio {

namespace detail {
// String equality that never depends on whether GCC inlines
// std::string_view::compare (in a large translation unit it stopped, and
// each request paid a call to compare and to memcmp per method and segment).
inline bool same_text(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}
} // namespace detail

BAREASIO_DECL void router::add(const std::vector<std::string_view>& methods, std::string_view path,
                               http_handler handler) {
    if (path.empty() || path.front() != '/')
        throw std::invalid_argument("route '" + std::string(path) + "' must start with '/'");
    if (methods.size() == 0)
        throw std::invalid_argument("route '" + std::string(path) + "' has no method");
    node* at = &root_;
    std::string_view rest = path.substr(1);
    bool done = path == "/";
    while (!done) {
        auto slash = rest.find('/');
        auto segment = rest.substr(0, slash);
        at = &child_for(*at, segment, path, slash == std::string_view::npos);
        done = slash == std::string_view::npos;
        if (!done) rest.remove_prefix(slash + 1);
    }
    for (auto method : methods) {
        for (const auto& [m, h] : at->handlers)
            if (m == method)
                throw std::invalid_argument("route " + std::string(method) + " " +
                                            std::string(path) + " is registered twice");
        at->handlers.emplace_back(std::string(method), handler);
    }
}

BAREASIO_DECL router::match_result router::match(std::string_view method, std::string_view path,
                                                 route_matches& matches) const {
    match_result result;
    matches.clear();
    if (path.empty() || path.front() != '/') return result;
    const node* first_path_match = nullptr;
    const bool head = detail::same_text(method, "HEAD");
    const node* found = find(root_, path.substr(1), detail::same_text(path, "/"), method, head,
                             matches, first_path_match);
    if (found) {
        result.handler = handler_of(*found, method, head);
        result.status = 200;
    } else if (first_path_match) {
        result.status = 405;
        result.allow = allow_of(*first_path_match);
    }
    return result;
}

BAREASIO_DECL asio::awaitable<response>
router::no_route(request& req, int status, std::string allow, const http_error_handler* shape) {
    header_list headers;
    if (status == 405) headers.add("allow", allow);
    if (status == 426) headers.add("upgrade", "websocket");
    const std::string_view message =
        status == 426 ? "this path takes WebSocket connections only (Upgrade: websocket)"
                      : reason_phrase(status);
    if (shape && *shape)
        co_return (*shape)(req, http_error(status, std::string(message), std::move(headers)));
    co_return error_response(status, status == 426 ? message : std::string_view{}, &headers);
}

BAREASIO_DECL router::node& router::child_for(node& parent, std::string_view segment,
                                              std::string_view path, bool last) {
    kind type = kind::literal;
    std::string_view text = segment;
    if (!segment.empty() && segment.front() == '{') {
        if (segment.back() != '}')
            throw std::invalid_argument("route '" + std::string(path) +
                                        "': unclosed '{' in segment '" + std::string(segment) +
                                        "'");
        auto inner = segment.substr(1, segment.size() - 2);
        auto colon = inner.find(':');
        text = inner.substr(0, colon);
        auto type_name = colon == std::string_view::npos ? "str" : inner.substr(colon + 1);
        if (text.empty())
            throw std::invalid_argument("route '" + std::string(path) +
                                        "': a parameter needs a name");
        if (type_name == "str")
            type = kind::str_param;
        else if (type_name == "int")
            type = kind::int_param;
        else if (type_name == "float")
            type = kind::float_param;
        else if (type_name == "path")
            type = kind::path_param;
        else
            throw std::invalid_argument("route '" + std::string(path) +
                                        "': unknown parameter type '" + std::string(type_name) +
                                        "' (use str, int, float or path)");
        if (type == kind::path_param && !last)
            throw std::invalid_argument("route '" + std::string(path) +
                                        "': a {name:path} parameter must come last");
    }
    for (auto& child : parent.children)
        if (child->type == type && child->text == text) return *child;
    auto child = std::make_unique<node>();
    child->type = type;
    child->text = std::string(text);
    auto pos = parent.children.begin();
    while (pos != parent.children.end() && (*pos)->type <= type)
        ++pos;
    return **parent.children.insert(pos, std::move(child));
}

BAREASIO_DECL const router::node* router::find(const node& at, std::string_view rest, bool at_end,
                                               std::string_view method, bool head,
                                               route_matches& matches,
                                               const node*& first_path_match) {
    if (at_end) {
        if (at.handlers.empty()) return nullptr;
        if (!first_path_match) first_path_match = &at;
        return handler_of(at, method, head) ? &at : nullptr;
    }
    auto slash = rest.find('/');
    auto segment = rest.substr(0, slash);
    const bool last = slash == std::string_view::npos;
    auto after = last ? std::string_view{} : rest.substr(slash + 1);
    for (const auto& child : at.children) {
        const auto mark = matches.size();
        bool ok = true;
        bool child_at_end = last;
        switch (child->type) {
        case kind::literal:
            ok = detail::same_text(segment, child->text);
            break;
        case kind::str_param:
            ok = !segment.empty();
            if (ok) matches.add(child->text, std::string(segment));
            break;
        case kind::int_param: {
            std::int64_t v = 0;
            auto [p, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), v);
            ok = !segment.empty() && ec == std::errc() && p == segment.data() + segment.size();
            if (ok) matches.add(child->text, v);
            break;
        }
        case kind::float_param: {
            double v = 0;
            auto [p, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), v);
            ok = !segment.empty() && ec == std::errc() && p == segment.data() + segment.size();
            if (ok) matches.add(child->text, v);
            break;
        }
        case kind::path_param:
            matches.add(child->text, std::string(rest));
            child_at_end = true;
            break;
        }
        if (ok) {
            if (auto* found =
                    find(*child, after, child_at_end, method, head, matches, first_path_match))
                return found;
        }
        while (matches.size() > mark)
            matches.pop_back();
    }
    return nullptr;
}

BAREASIO_DECL const http_handler* router::handler_of(const node& at, std::string_view method,
                                                     bool head) {
    const http_handler* get = nullptr;
    for (const auto& [m, h] : at.handlers) {
        if (detail::same_text(m, method)) return &h;
        if (detail::same_text(m, "GET")) get = &h;
    }
    return head ? get : nullptr;
}

BAREASIO_DECL std::string router::allow_of(const node& at) {
    std::string allow;
    bool has_get = false, has_head = false;
    for (const auto& [m, h] : at.handlers) {
        if (!allow.empty()) allow += ", ";
        allow += m;
        has_get = has_get || m == "GET";
        has_head = has_head || m == "HEAD";
    }
    if (has_get && !has_head) allow += ", HEAD";
    return allow;
}

} // namespace bareasio
