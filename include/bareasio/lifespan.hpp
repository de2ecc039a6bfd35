// lifespan: startup and shutdown handlers, as in bareASGI. Startup handlers
// run in registration order on the server's executor before the listener
// accepts; shutdown handlers run in reverse order after the connections are
// drained. Each gets the lifespan_context: the application's typed info and
// the service set (a task_group) in which to spawn background services.
//     app.lifespan.on_startup([](lifespan_context& ctx) -> awaitable<void> {
//         ctx.info<state>().ticker = ctx.services.spawn("ticker", tick);
//         co_return;
//     });
// Thread safety: register handlers before serving.
#pragma once

#include <bareasio/async/task_group.hpp>
#include <bareasio/detail/log.hpp>
#include <bareasio/http/shared_info.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bareasio {

struct lifespan_context {
    shared_info info_handle;
    task_group& services;
    asio::any_io_executor executor;

    template <class T>
    T& info() const {
        return info_handle.get<T>();
    }
};

using lifespan_handler = std::function<asio::awaitable<void>(lifespan_context&)>;

// A startup handler failed; what() names it and says why.
class startup_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class lifespan {
public:
    void on_startup(lifespan_handler handler, std::string name = {}) {
        if (name.empty()) name = "startup handler #" + std::to_string(startup_.size() + 1);
        startup_.emplace_back(std::move(name), std::move(handler));
    }

    void on_shutdown(lifespan_handler handler, std::string name = {}) {
        if (name.empty()) name = "shutdown handler #" + std::to_string(shutdown_.size() + 1);
        shutdown_.emplace_back(std::move(name), std::move(handler));
    }

    // Runs the startup handlers in order; the first failure stops the run
    // and is rethrown as a startup_error naming the handler.
    asio::awaitable<void> startup(lifespan_context& ctx) const {
        for (const auto& [name, handler] : startup_) {
            try {
                co_await handler(ctx);
            } catch (const std::exception& e) {
                throw startup_error(name + " failed: " + e.what());
            } catch (...) {
                throw startup_error(name + " failed with an unknown exception");
            }
        }
    }

    // Runs every shutdown handler, last registered first. A failure is
    // logged and the others still run; returns false if any failed.
    asio::awaitable<bool> shutdown(lifespan_context& ctx) const {
        bool clean = true;
        for (auto it = shutdown_.rbegin(); it != shutdown_.rend(); ++it) {
            try {
                co_await it->second(ctx);
            } catch (...) {
                detail::log_line("bareasio: " + it->first +
                                 " failed: " + detail::describe(std::current_exception()));
                clean = false;
            }
        }
        co_return clean;
    }

private:
    std::vector<std::pair<std::string, lifespan_handler>> startup_;
    std::vector<std::pair<std::string, lifespan_handler>> shutdown_;
};

} // namespace bareasio
