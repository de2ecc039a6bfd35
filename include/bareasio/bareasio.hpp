// The umbrella header: everything a web application needs, the server
// included.
//     #include <bareasio/bareasio.hpp>
// <bareasio/app.hpp> is the same without the server (serve() and the
// server's code): include it in files of handlers, this in the file that
// calls serve(). JSON (<bareasio/http/json.hpp>) is separate: nlohmann/json
// is costly to compile and many servers never need it. <bareasio/async.hpp>
// alone gives the primitives. Under BAREASIO_SEPARATE_COMPILATION (see
// app/serve.hpp) it declares the server and compiles none of it.
#pragma once

#include <bareasio/app.hpp>
#include <bareasio/app/serve.hpp>
#include <bareasio/server/command_line.hpp>
#include <bareasio/server/config.hpp>
#if !defined(BAREASIO_SEPARATE_COMPILATION)
// The one-loop server class, for embedding without serve(). Under separate
// compilation it is left to those who include it: nothing else needs it.
#include <bareasio/server/loop_server.hpp>
#endif
