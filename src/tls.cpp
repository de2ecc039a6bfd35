// libbareasio_tls: HTTPS for tls::serve, compiled once. meson builds it
// twice, with the flags of each mode (header-only and separate
// compilation), as bareasio_tls_dep and bareasio_tls_separate_dep. With
// Asio's separate compilation, Asio's SSL code is compiled here too (the
// rest of Asio is in libbareasio).
#if defined(ASIO_SEPARATE_COMPILATION)
#include <asio/ssl/impl/src.hpp>
#endif

#include <bareasio/tls/impl/serve.ipp>
