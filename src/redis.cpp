// libbareasio_redis: the Redis module's code (the shared event, the client,
// the broadcaster), compiled once. meson
// builds it twice, with the flags of each mode (header-only and separate
// compilation), as bareasio_redis_dep and bareasio_redis_separate_dep.
#include <bareasio/redis/impl/broadcaster.ipp>
#include <bareasio/redis/impl/client.ipp>
#include <bareasio/redis/impl/shared_event.ipp>
