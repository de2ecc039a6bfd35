// The umbrella header: everything a web application needs.
//     #include <bareasio/bareasio.hpp>
// JSON (<bareasio/http/json.hpp>) is separate: nlohmann/json is costly to
// compile and many servers never need it. <bareasio/async.hpp> alone gives
// the primitives without the server.
#pragma once

#include <bareasio/async.hpp>
#include <bareasio/application.hpp>
#include <bareasio/http.hpp>
#include <bareasio/lifespan.hpp>
#include <bareasio/middleware.hpp>
#include <bareasio/router.hpp>
#include <bareasio/serve.hpp>
#include <bareasio/services.hpp>
#include <bareasio/server/command_line.hpp>
#include <bareasio/server/config.hpp>
#include <bareasio/server/server.hpp>

namespace bareasio {
// The names handlers use most, so `using namespace bareasio;` is enough.
using asio::awaitable;
} // namespace bareasio
