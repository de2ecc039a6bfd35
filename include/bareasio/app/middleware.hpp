// middleware: bareASGI's shape. A middleware is a coroutine that takes the
// request and the next handler and returns the response, so it can act on
// the way in (inspect or change the request, short-circuit with its own
// response) and on the way out (change the response):
//     awaitable<response> timing(request& req, const http_handler& next) {
//         auto started = std::chrono::steady_clock::now();
//         response res = co_await next(req);
//         res.headers.add("server-timing", ...);
//         co_return res;
//     }
//     app.middlewares.push_back(timing);                       // every route
//     app.http_router.add({"GET"}, "/admin", with_middleware({require_login}, admin));
// Middlewares pass data along in req.context(). The chain is built once, so
// a request costs one call per middleware and nothing when there is none.
// Thread safety: build chains before serving; they are immutable after.
#pragma once

#include <bareasio/http/handler.hpp>

#include <asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace bareasio {

using middleware = std::function<asio::awaitable<response>(request&, const http_handler& next)>;

// `handler` wrapped by `chain`, first element outermost.
inline http_handler with_middleware(std::vector<middleware> chain, http_handler handler) {
    if (chain.empty()) return handler;
    // nexts[i] runs chain[i] with nexts[i + 1] as its next; the last is the handler.
    auto nexts = std::make_shared<std::vector<http_handler>>(chain.size() + 1);
    (*nexts)[chain.size()] = std::move(handler);
    for (std::size_t i = chain.size(); i-- > 0;) {
        (*nexts)[i] = [mw = std::move(chain[i]), next = &(*nexts)[i + 1]](request& req) {
            return mw(req, *next);
        };
    }
    // The outermost keeps the vector (and so every link) alive.
    return [nexts](request& req) { return nexts->front()(req); };
}

} // namespace bareasio
