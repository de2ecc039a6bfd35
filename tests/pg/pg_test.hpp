// What the PostgreSQL tests share: the cluster (one per test program), an
// event loop on a thread of its own, and options that retry quickly.
#pragma once

#include <bareasio/pg/pool.hpp>

#include "../support/loop_thread.hpp"
#include "../support/pg_server.hpp"

#include <chrono>

namespace test {

using namespace std::chrono_literals;

inline pg_server& cluster() {
    return shared_pg_server();
}

using loop = loop_thread;

inline const bareasio::pg::pool_options quick{.connections = 2,
                                              .connect_timeout = 3000ms,
                                              .reconnect_delay = 50ms,
                                              .max_reconnect_delay = 200ms};

} // namespace test
