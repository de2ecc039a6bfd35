// Everything to write an application's handlers, routes, middleware and
// lifespan, without the server: the header for a file of handlers.
//     #include <bareasio/app.hpp>   // in handlers.cpp, routes.cpp, ...
//     #include <bareasio/bareasio.hpp>  // in the one file that calls serve()
// It compiles in the time of a bare Asio echo server (benchmarks/RESULTS.md);
// the server's code is left to the file that runs it. JSON
// (<bareasio/http/json.hpp>) is separate, as nlohmann/json is costly.
// Thread safety: see each header.
#pragma once

#include <bareasio/app/application.hpp>
#include <bareasio/app/lifespan.hpp>
#include <bareasio/app/middleware.hpp>
#include <bareasio/app/router.hpp>
#include <bareasio/app/services.hpp>
#include <bareasio/async.hpp>
#include <bareasio/http.hpp>

namespace bareasio {
// The names handlers use most, so `using namespace bareasio;` is enough.
using asio::awaitable;
} // namespace bareasio
