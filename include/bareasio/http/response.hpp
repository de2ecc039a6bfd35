// response: what a handler returns, bareASGI's (status, headers, body) tuple.
//     co_return 204;
//     co_return {404};
//     co_return {200, {{"content-type", "text/html"}}, text_writer(page)};
// The server adds Date, Content-Length or Transfer-Encoding and Connection;
// a Content-Type is added from the writer when the handler set none.
// Thread safety: a plain value.
#pragma once

#include <bareasio/http/body_writer.hpp>
#include <bareasio/http/header_list.hpp>

#include <utility>

namespace bareasio {

struct response {
    int status = 200;
    header_list headers;
    body_writer body;

    response(int status_code = 200) : status(status_code) {} // NOLINT: implicit on purpose
    response(int status_code, header_list header_fields, body_writer writer = {})
        : status(status_code), headers(std::move(header_fields)), body(std::move(writer)) {}
};

} // namespace bareasio
