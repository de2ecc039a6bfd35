// libbareasio_redis for separate compilation: the shared event's Redis
// code, compiled once. Programs that link it define
// BAREASIO_SEPARATE_COMPILATION (meson's bareasio_redis_separate_dep).
#if !defined(BAREASIO_SEPARATE_COMPILATION)
#error "build src/redis.cpp with -DBAREASIO_SEPARATE_COMPILATION -DASIO_SEPARATE_COMPILATION"
#endif

#include <bareasio/redis/impl/shared_event.ipp>
