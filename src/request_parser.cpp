// The llhttp adapter, compiled once with llhttp (meson's bareasio_llhttp
// library), in both ways of using bareasio: header-only users link it as
// they link llhttp, so <llhttp.h> never reaches their translation units.
#include <bareasio/http/impl/request_parser.ipp>
