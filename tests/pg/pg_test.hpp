// What the PostgreSQL tests share: the cluster (one per test program), an
// event loop on a thread of its own, and options that retry quickly.
#pragma once

#include <bareasio/pg/pool.hpp>

#include "../support/pg_server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <thread>

namespace test {

using namespace std::chrono_literals;

inline pg_server& cluster() {
    return shared_pg_server();
}

struct loop {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::thread thread{[this] { io.run(); }};
    ~loop() {
        work.reset();
        thread.join();
    }
    template <class F>
    auto run(F f) {
        return asio::co_spawn(io, std::move(f), asio::use_future).get();
    }
};

inline const bareasio::pg::pool_options quick{.connections = 2,
                                              .connect_timeout = 3000ms,
                                              .reconnect_delay = 50ms,
                                              .max_reconnect_delay = 200ms};

} // namespace test
