// BAREASIO_DECL marks the functions that separate compilation moves into
// the library: inline when header-only (the default), plain declarations
// with BAREASIO_SEPARATE_COMPILATION, defined once in src/bareasio.cpp.
#pragma once

#if defined(BAREASIO_SEPARATE_COMPILATION)
#define BAREASIO_DECL
#else
#define BAREASIO_DECL inline
#endif
