// router: bareASGI's path syntax on a segment trie.
//     app.http_router.add({"GET"}, "/users/{id:int}", get_user);
// Parameters: {name} or {name:str} (one segment), {name:int}, {name:float},
// {name:path} (the rest of the path, slashes included; last only).
// Literal segments win over parameters, then int, float, str, path. A path
// no route matches is a 404; a path that matches with another method is a
// 405 with Allow; HEAD is served by the GET handler (the server drops the
// body); a failed conversion ({id:int} on "abc") does not match, so 404.
// Thread safety: add routes before serving; matching is read-only and safe
// from any number of threads.
#pragma once

#include <bareasio/detail/config.hpp>
#include <bareasio/http/error_response.hpp>
#include <bareasio/http/handler.hpp>
#include <bareasio/http/request.hpp>
#include <bareasio/http/response.hpp>
#include <bareasio/http/writers.hpp>

#include <asio/awaitable.hpp>

#include <charconv>
#include <functional>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bareasio {

class router {
public:
    struct match_result {
        const http_handler* handler = nullptr; // set when a route matched
        int status = 404;                      // 200, 404 or 405
        std::string allow;                     // for 405: the methods the path has
    };

    // Registers `handler` for `methods` on `path`. Throws std::invalid_argument
    // on a malformed template or a route registered twice.
    void add(std::initializer_list<std::string_view> methods, std::string_view path,
             http_handler handler) {
        add(std::vector<std::string_view>(methods), path, std::move(handler));
    }

    BAREASIO_DECL void add(const std::vector<std::string_view>& methods, std::string_view path,
                           http_handler handler);

    // Finds the handler for `method` and `path`, filling `matches`.
    BAREASIO_DECL match_result match(std::string_view method, std::string_view path,
                                     route_matches& matches) const;

    // Calls the matching handler, or answers 404 / 405 (shaped by `shape`
    // when given: the application's error handler). `upgrades`, the
    // application's WebSocket routes: a path that none of these routes has
    // and one of those has is a 426 with Upgrade: websocket, which tells a
    // client that forgot to ask for the upgrade what is wrong.
    // Not a coroutine itself: a matched route returns its handler's own
    // awaitable, so a request costs one coroutine frame fewer.
    asio::awaitable<response> dispatch(request& req, const http_error_handler* shape = nullptr,
                                       const router* upgrades = nullptr) const {
        auto result = match(req.method(), req.path(), req.matches());
        if (result.handler) return (*result.handler)(req);
        if (result.status == 404 && upgrades &&
            upgrades->match("GET", req.path(), req.matches()).handler)
            result.status = 426;
        return no_route(req, result.status, std::move(result.allow), shape);
    }

private:
    BAREASIO_DECL static asio::awaitable<response>
    no_route(request& req, int status, std::string allow, const http_error_handler* shape);

    enum class kind { literal, int_param, float_param, str_param, path_param };

    struct node {
        kind type = kind::literal;
        std::string text;                            // the literal, or the parameter's name
        std::vector<std::unique_ptr<node>> children; // kept in precedence order
        std::vector<std::pair<std::string, http_handler>> handlers;
    };

    BAREASIO_DECL static node& child_for(node& parent, std::string_view segment,
                                         std::string_view path, bool last);

    // Depth-first, in precedence order; returns the first node that has a
    // handler for the method, remembering the first node the path reached.
    BAREASIO_DECL static const node* find(const node& at, std::string_view rest, bool at_end,
                                          std::string_view method, bool head,
                                          route_matches& matches, const node*& first_path_match);

    BAREASIO_DECL static const http_handler* handler_of(const node& at, std::string_view method,
                                                        bool head);

    BAREASIO_DECL static std::string allow_of(const node& at);

    node root_;
};

} // namespace bareasio

#if !defined(BAREASIO_SEPARATE_COMPILATION)
#include <bareasio/app/impl/router.ipp>
#endif
