// http_handler: the shape of every request handler, a coroutine that takes
// the request and returns the response:
//     asio::awaitable<response> hello(request& req) { co_return {200, {}, text_writer("hi")}; }
#pragma once

#include <bareasio/http/request.hpp>
#include <bareasio/http/response.hpp>

#include <asio/awaitable.hpp>

#include <functional>

namespace bareasio {

// The name handlers use most, so `using namespace bareasio;` is enough
// wherever a handler can be written.
using asio::awaitable;

using http_handler = std::function<asio::awaitable<response>(request&)>;

} // namespace bareasio
