// The definition behind http/error_response.hpp's with_error_handler:
// included by it when header-only, and compiled once into the library
// (src/bareasio.cpp) with BAREASIO_SEPARATE_COMPILATION, so the
// coroutine's code is generated once, not in every user translation unit.
#pragma once

#include <bareasio/http/error_response.hpp>

#include <optional>

namespace bareasio {

BAREASIO_DECL http_handler with_error_handler(http_handler handler, http_error_handler shape) {
    return [handler = std::move(handler),
            shape = std::move(shape)](request& req) -> asio::awaitable<response> {
        std::optional<http_error> error;
        try {
            co_return co_await handler(req);
        } catch (const http_error& e) {
            error.emplace(e);
        }
        co_return shape_error(req, *error, shape);
    };
}

} // namespace bareasio
