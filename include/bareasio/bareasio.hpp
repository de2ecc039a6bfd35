// The umbrella header: everything a web application needs.
//     #include <bareasio/bareasio.hpp>
// JSON (<bareasio/http/json.hpp>) is separate: nlohmann/json is costly to
// compile and many servers never need it. <bareasio/async.hpp> alone gives
// the primitives without the server. Under BAREASIO_SEPARATE_COMPILATION
// (see serve.hpp) it declares the server and compiles none of it.
#pragma once

#include <bareasio/application.hpp>
#include <bareasio/async.hpp>
#include <bareasio/http.hpp>
#include <bareasio/lifespan.hpp>
#include <bareasio/middleware.hpp>
#include <bareasio/router.hpp>
#include <bareasio/serve.hpp>
#include <bareasio/server/command_line.hpp>
#include <bareasio/server/config.hpp>
#include <bareasio/services.hpp>
#if !defined(BAREASIO_SEPARATE_COMPILATION)
// The one-loop server class, for embedding without serve(). Under separate
// compilation it is left to those who include it: nothing else needs it.
#include <bareasio/server/server.hpp>
#endif

namespace bareasio {
// The names handlers use most, so `using namespace bareasio;` is enough.
using asio::awaitable;
} // namespace bareasio
