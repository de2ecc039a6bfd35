// libbareasio_h2: HTTP/2 for h2::serve, compiled once. meson builds it
// twice, with the flags of each mode (header-only and separate
// compilation), as bareasio_h2_dep and bareasio_h2_separate_dep; it links
// libbareasio_tls of the same mode.
#include <bareasio/h2/impl/serve.ipp>
