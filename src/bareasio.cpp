// The bareasio library for separate compilation: the server's code and
// Asio's, compiled once. Programs that link it define
// BAREASIO_SEPARATE_COMPILATION and ASIO_SEPARATE_COMPILATION (meson's
// bareasio_separate_dep does all of it).
#if !defined(BAREASIO_SEPARATE_COMPILATION) || !defined(ASIO_SEPARATE_COMPILATION)
#error "build src/bareasio.cpp with -DBAREASIO_SEPARATE_COMPILATION -DASIO_SEPARATE_COMPILATION"
#endif

#include <asio/impl/src.hpp>

#include <bareasio/app/impl/router.ipp>
#include <bareasio/app/impl/serve.ipp>
#include <bareasio/app/serve.hpp>
#include <bareasio/http/impl/error_response.ipp>
#include <bareasio/server/connection.hpp>
#include <bareasio/server/impl/command_line.ipp>

namespace bareasio {
template class connection<asio::ip::tcp::socket>;
} // namespace bareasio
