// websocket_router: the application's WebSocket routes (bareASGI's
// ws_router), with the HTTP router's path syntax, and the middlewares that
// run at connect, before the handler (bareASGI's ws_middlewares: auth, an
// Origin check; one that answers itself refuses the socket).
//     app.ws_router.add("/chat/{room}", chat);
//     app.ws_router.middlewares.push_back(require_login);
//     app.ws_router.options.max_message_bytes = 1 << 20;
// A request that asks for a WebSocket (Upgrade: websocket) on a path with
// a WebSocket route goes here; any other request goes to the HTTP router.
// A malformed handshake is a 400, a version other than 13 a 426, an
// Origin that options.origins refuses a 403, all before the handler runs.
// A request without Upgrade on a path only these routes have is a 426 with
// Upgrade: websocket (the HTTP router answers it: see routes()).
// Thread safety: add routes before serving; read-only after.
#pragma once

#include <bareasio/app/middleware.hpp>
#include <bareasio/app/router.hpp>
#include <bareasio/detail/log.hpp>
#include <bareasio/http/handler.hpp>
#include <bareasio/http/http_error.hpp>
#include <bareasio/websocket/handshake.hpp>
#include <bareasio/websocket/options.hpp>
#include <bareasio/websocket/websocket.hpp>

#include <asio/awaitable.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace bareasio {

using websocket_handler = std::function<asio::awaitable<void>(websocket&)>;

class websocket_router {
public:
    websocket_options options;
    std::vector<middleware> middlewares;

    // Registers `handler` for `path`. Throws std::invalid_argument on a
    // malformed template or a path registered twice.
    void add(std::string_view path, websocket_handler handler) {
        routes_.add({"GET"}, path, [h = std::move(handler), opts = published_](request& req) {
            return run(h, req, opts);
        });
        empty_ = false;
    }

    bool empty() const noexcept { return empty_; }
    // The routes, for the HTTP router to tell a WebSocket path from a missing one.
    const router& routes() const noexcept { return routes_; }

    // Whether `req` is a WebSocket request for one of these routes (and so
    // fills its matches).
    bool matches(request& req) const {
        if (empty_ || !is_websocket_request(req.headers())) return false;
        return routes_.match("GET", req.path(), req.matches()).handler != nullptr;
    }

    // The handler for WebSocket requests: the middlewares, then the route.
    // Built once per server, which also publishes `options` to the routes.
    http_handler handler() const {
        *published_ = options;
        return with_middleware(middlewares, [this](request& req) { return routes_.dispatch(req); });
    }

private:
    static asio::awaitable<response> run(const websocket_handler& handler, request& req,
                                         std::shared_ptr<const websocket_options> options) {
        if (auto refused = refuse_handshake(req)) co_return std::move(*refused);
        const auto origin = req.headers().get("origin");
        if (!options->origins.allows(origin ? &*origin : nullptr,
                                     req.headers().get("host").value_or(std::string_view{})))
            throw http_error(403, "this page's origin may not open a WebSocket here");
        if (!req.upgrade())
            co_return response(501, {}, text_writer("a WebSocket needs a connection\n"));
        websocket ws(req, std::move(options));
        std::exception_ptr failure;
        try {
            co_await handler(ws);
        } catch (...) {
            failure = std::current_exception();
        }
        if (!ws.accepted()) {
            // Before accepting, a failure is the request's (an http_error's
            // status, or 500); a refusal is answered as a thrown http_error,
            // so the application's error handler shapes both alike.
            if (failure) std::rethrow_exception(failure);
            throw ws.refusal();
        }
        co_await ws.finish(failure != nullptr);
        if (failure) log_failure(req, failure);
        co_return response(101);
    }

    static void log_failure(const request& req, const std::exception_ptr& failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            detail::log_line("bareasio: WebSocket handler for " + std::string(req.target()) +
                             " failed: " + e.what());
        } catch (...) {
            detail::log_line("bareasio: WebSocket handler for " + std::string(req.target()) +
                             " failed");
        }
    }

    router routes_;
    bool empty_ = true;
    // The options the routes read: a copy of `options`, made when serving
    // begins; shared, so it stays where it is when the application moves.
    std::shared_ptr<websocket_options> published_ = std::make_shared<websocket_options>();
};

} // namespace bareasio
