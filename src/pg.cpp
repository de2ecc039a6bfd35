// libbareasio_pg: the PostgreSQL module's code (pg::pool and its
// connections on libpq), compiled once. meson builds it twice, with the
// flags of each mode, as bareasio_pg_dep and bareasio_pg_separate_dep.
#include <bareasio/pg/impl/pool.ipp>
