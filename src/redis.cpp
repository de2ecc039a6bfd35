// libbareasio_redis: the shared event's Redis code, compiled once. meson
// builds it twice, with the flags of each mode (header-only and separate
// compilation), as bareasio_redis_dep and bareasio_redis_separate_dep.
#include <bareasio/redis/impl/shared_event.ipp>
