// with_timeout: a per-route deadline for a handler. If the handler has not
// returned within `limit`, it is cancelled through Asio cancellation (its
// pending operation completes with operation_aborted, its frames unwind),
// and only once it has finished does the client get `status` (504 by
// default, or 503). A response produced in time is never lost.
//     app.http_router.add({"GET"}, "/report", with_timeout(2s, make_report));
// Thread safety: like the handler it wraps.
#pragma once

#include <bareasio/async/error.hpp>
#include <bareasio/async/wait_for.hpp>
#include <bareasio/http/handler.hpp>
#include <bareasio/http/http_error.hpp>

#include <chrono>
#include <memory>
#include <utility>

namespace bareasio {

inline http_handler with_timeout(std::chrono::steady_clock::duration limit, http_handler handler,
                                 int status = 504) {
    auto shared = std::make_shared<const http_handler>(std::move(handler));
    return [limit, shared, status](request& req) -> asio::awaitable<response> {
        auto result = co_await wait_for((*shared)(req), limit, ignore_timeout);
        if (!result) throw http_error(status, "the handler did not finish in time");
        co_return std::move(*result);
    };
}

} // namespace bareasio
