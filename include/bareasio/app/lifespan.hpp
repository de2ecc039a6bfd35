// lifespan: startup and shutdown handlers, as in bareASGI. Startup handlers
// run in registration order on the server's executor before the listener
// accepts; shutdown handlers run in reverse registration order after the
// connections are drained. Each gets the lifespan_context: the
// application's typed info and the service set in which to spawn
// background services.
//     app.lifespan.on_startup([](lifespan_context& ctx) -> awaitable<void> {
//         ctx.info<state>().ticker = ctx.services.spawn("ticker", tick);
//         co_return;
//     });
//     app.lifespan.add("database", open_db, close_db); // a startup and its undo
// If a startup handler throws, the shutdown handlers registered before it
// run (last first), as destructors unwind a half-built object: a pair added
// with add() is undone only if its startup ran. Then startup() throws a
// startup_error naming the handler.
// Thread safety: register handlers before serving.
#pragma once

#include <bareasio/app/services.hpp>
#include <bareasio/detail/log.hpp>
#include <bareasio/http/shared_info.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bareasio {

struct lifespan_context {
    shared_info info_handle;
    service_set& services;
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
        if (name.empty())
            name = "startup handler #" + std::to_string(++startups_);
        else
            ++startups_;
        stages_.push_back({std::move(name), std::move(handler), {}});
    }

    void on_shutdown(lifespan_handler handler, std::string name = {}) {
        if (name.empty())
            name = "shutdown handler #" + std::to_string(++shutdowns_);
        else
            ++shutdowns_;
        stages_.push_back({std::move(name), {}, std::move(handler)});
    }

    // A startup handler and the shutdown handler that undoes it.
    void add(std::string name, lifespan_handler startup, lifespan_handler shutdown) {
        ++startups_;
        ++shutdowns_;
        stages_.push_back({std::move(name), std::move(startup), std::move(shutdown)});
    }

    // Runs the startup handlers in order. On the first failure, runs the
    // shutdown handlers registered before the failing one (last first),
    // then throws a startup_error naming it.
    asio::awaitable<void> startup(lifespan_context& ctx) const {
        for (std::size_t i = 0; i < stages_.size(); ++i) {
            const auto& stage = stages_[i];
            if (!stage.startup) continue;
            std::string failure;
            try {
                co_await stage.startup(ctx);
            } catch (...) {
                failure = stage.name + " failed: " + detail::describe(std::current_exception());
            }
            if (!failure.empty()) {
                co_await shutdown_range(ctx, i);
                throw startup_error(failure);
            }
        }
    }

    // Runs every shutdown handler, last registered first. A failure is
    // logged and the others still run; returns false if any failed.
    asio::awaitable<bool> shutdown(lifespan_context& ctx) const {
        co_return co_await shutdown_range(ctx, stages_.size());
    }

private:
    struct stage {
        std::string name;
        lifespan_handler startup;
        lifespan_handler shutdown;
    };

    // The shutdown handlers of stages [0, end), last first.
    asio::awaitable<bool> shutdown_range(lifespan_context& ctx, std::size_t end) const {
        bool clean = true;
        for (std::size_t i = end; i-- > 0;) {
            const auto& stage = stages_[i];
            if (!stage.shutdown) continue;
            std::exception_ptr failure;
            try {
                co_await stage.shutdown(ctx);
            } catch (...) {
                failure = std::current_exception();
            }
            if (failure) {
                detail::log_line("bareasio: " + stage.name +
                                 " failed: " + detail::describe(failure));
                clean = false;
            }
        }
        co_return clean;
    }

    std::vector<stage> stages_;
    std::size_t startups_ = 0;
    std::size_t shutdowns_ = 0;
};

} // namespace bareasio
