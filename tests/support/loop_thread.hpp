// An event loop on a thread of its own, for tests of clients used from
// several loops: run(f) spawns the coroutine `f` on it and waits for its
// result (or exception) on the calling thread.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <thread>
#include <utility>

namespace test {

struct loop_thread {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::thread thread{[this] { io.run(); }};
    ~loop_thread() {
        work.reset();
        thread.join();
    }
    template <class F>
    auto run(F f) {
        return asio::co_spawn(io, std::move(f), asio::use_future).get();
    }
};

} // namespace test
