// error_response: the response the server sends for an error status, from
// an http_error a handler threw or from its own checks: the message (or the
// reason phrase) as a text/plain body, plus any headers the error carries.
// The server and the in-process test client build errors the same way,
// and turn a handler's exception into a response the same way.
// An application shapes its own errors (JSON for an API) with an
// http_error_handler; with_error_handler() is where it applies.
#pragma once

#include <bareasio/detail/config.hpp>
#include <bareasio/http/body_writer.hpp>
#include <bareasio/http/handler.hpp>
#include <bareasio/http/header_list.hpp>
#include <bareasio/http/http_error.hpp>
#include <bareasio/http/response.hpp>
#include <bareasio/http/status.hpp>

#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace bareasio {

inline response error_response(int status, std::string_view message = {},
                               const header_list* extra = nullptr) {
    response res(status, extra ? *extra : header_list{});
    std::string text(message.empty() ? reason_phrase(status) : message);
    text.push_back('\n');
    if (status_allows_body(status))
        res.body = body_writer::from_buffer(std::move(text), "text/plain; charset=utf-8");
    return res;
}

// What a handler's exception becomes: an http_error its status, message and
// headers; anything else a 500 that tells the client nothing, with the
// exception's description handed to `log` instead.
template <class Log>
response handler_failure_response(const std::exception_ptr& failure, Log&& log) {
    try {
        std::rethrow_exception(failure);
    } catch (const http_error& e) {
        return error_response(e.status(), e.what(), &e.headers());
    } catch (const std::exception& e) {
        log(std::string_view(e.what()));
    } catch (...) {
        log(std::string_view("unknown exception"));
    }
    return error_response(500);
}

// Turns an http_error into the response an application sends for it.
//     app.error_handler = [](request&, const http_error& e) {
//         return response{e.status(), e.headers(), json_writer({{"error", e.what()}})};
//     };
using http_error_handler = std::function<response(request&, const http_error&)>;

// The response for an http_error: the application's shape, or the default.
inline response shape_error(request& req, const http_error& e, const http_error_handler& shape) {
    return shape ? shape(req, e) : error_response(e.status(), e.what(), &e.headers());
}

// `handler` with the http_errors it throws turned into responses (through
// `shape` when set), so whatever wraps it (a middleware adding CORS
// headers) sees them as responses. Other exceptions pass through.
BAREASIO_DECL http_handler with_error_handler(http_handler handler, http_error_handler shape);

} // namespace bareasio

#if !defined(BAREASIO_SEPARATE_COMPILATION)
#include <bareasio/http/impl/error_response.ipp>
#endif
