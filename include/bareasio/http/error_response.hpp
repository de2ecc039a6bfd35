// error_response: the response the server sends for an error status, from
// an http_error a handler threw or from its own checks: the message (or the
// reason phrase) as a text/plain body, plus any headers the error carries.
// The server and the in-process test client build errors the same way,
// and turn a handler's exception into a response the same way.
#pragma once

#include <bareasio/http/body_writer.hpp>
#include <bareasio/http/header_list.hpp>
#include <bareasio/http/http_error.hpp>
#include <bareasio/http/response.hpp>
#include <bareasio/http/status.hpp>

#include <exception>
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

} // namespace bareasio
