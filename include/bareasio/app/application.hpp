// application: what a user builds: the router, the lifespan handlers and the
// shared typed info (bareASGI's Application(info=...)).
//     struct state { event toggled; };
//     application app{state{}};
//     app.http_router.add({"GET"}, "/", get_index);
//     return serve(app, {.port = 9009});
// Handlers reach the info with req.info<state>(); lifespan handlers with
// ctx.info<state>(). Thread safety: configure before serving; the info is
// shared by every handler on every thread.
#pragma once

#include <bareasio/app/lifespan.hpp>
#include <bareasio/app/middleware.hpp>
#include <bareasio/app/router.hpp>
#include <bareasio/http/handler.hpp>
#include <bareasio/http/shared_info.hpp>
#include <bareasio/websocket/websocket_router.hpp>

#include <type_traits>
#include <utility>
#include <vector>

namespace bareasio {

class application {
public:
    application() = default;

    template <class Info>
    requires(!std::is_same_v<std::decay_t<Info>, application>) explicit application(Info info)
        : info_(shared_info::make(std::move(info))) {}

    // Constructs the info in place: application app{std::in_place_type<state>};
    template <class Info, class... Args>
    explicit application(std::in_place_type_t<Info>, Args&&... args)
        : info_(shared_info::make_in_place<Info>(std::forward<Args>(args)...)) {}

    // Movable, so a function can build and return one; move it before
    // serving (handler() refers to the application where it is).
    application(application&&) noexcept = default;
    application& operator=(application&&) noexcept = default;
    application(const application&) = delete;
    application& operator=(const application&) = delete;

    bareasio::router http_router;
    // WebSocket routes and their middlewares and options (see
    // websocket/websocket_router.hpp); `middlewares` below are HTTP's only.
    bareasio::websocket_router ws_router;
    bareasio::lifespan lifespan;
    // Applied to every request, first element outermost (see middleware.hpp).
    // They run before routing: a middleware that answers 401 does so for
    // unknown paths too; wrap routes in with_middleware for per-route auth.
    std::vector<middleware> middlewares;
    // Shapes the application's error responses: every http_error a handler
    // or middleware throws (json_reader's 400, 413 and 415 among them) and
    // the router's 404 and 405. Middlewares see handlers' errors as
    // responses on their way out (CORS headers are added to them). Unset:
    // text/plain with the message. Exceptions that are not http_error are
    // the server's: logged, and a plain 500.
    http_error_handler error_handler;

    template <class T>
    T& info() const {
        return info_.get<T>();
    }
    const shared_info& info_handle() const noexcept { return info_; }

    // The request handler the server calls: the middlewares, then route and
    // run the handler. Built once per server; with no middleware and no
    // error handler it is the router itself, at no cost.
    http_handler handler() const {
        const http_error_handler* shape = error_handler ? &error_handler : nullptr;
        const router* upgrades = ws_router.empty() ? nullptr : &ws_router.routes();
        http_handler route = [this, shape, upgrades](request& req) {
            return http_router.dispatch(req, shape, upgrades);
        };
        http_handler http = http_chain(std::move(route));
        if (ws_router.empty()) return http;
        // Shaped errors only when there is a shape: each wrapper is a
        // coroutine frame every open socket keeps.
        http_handler ws = ws_router.handler();
        if (error_handler) ws = with_error_handler(std::move(ws), error_handler);
        return [this, http = std::move(http), ws = std::move(ws)](request& req) {
            return ws_router.matches(req) ? ws(req) : http(req);
        };
    }

private:
    http_handler http_chain(http_handler route) const {
        if (middlewares.empty() && !error_handler) return route;
        // Handlers' errors as responses, inside the middlewares; then what
        // the middlewares themselves throw, outside them.
        http_handler chain =
            with_middleware(middlewares, with_error_handler(std::move(route), error_handler));
        if (middlewares.empty()) return chain;
        return with_error_handler(std::move(chain), error_handler);
    }

    shared_info info_;
};

} // namespace bareasio
