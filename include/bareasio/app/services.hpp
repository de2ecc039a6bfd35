// service_set: the application's background services, with a failure
// policy per service. Each service is a named coroutine taking a
// stop_token, run in the lifespan's task group: on shutdown every service is
// asked to stop, given config.service_stop_timeout, cancelled through Asio
// cancellation if still running, and joined. Nothing is detached.
//     ctx.services.spawn("ticker", tick, {.on_failure = service_failure::restart});
// When a service throws (other than being cancelled at shutdown) the policy
// decides: stop_server (the default, as .NET's hosts do since 6.0: a dead
// service usually means a broken application, and the exit code says so),
// restart (after a delay that doubles up to a maximum, reset once a run
// lasts longer than the maximum), or ignore (logged, not restarted).
// Thread safety: spawn() on the lifespan's executor (startup and shutdown
// handlers run there); task_handle::request_stop() from any thread.
#pragma once

#include <bareasio/async/error.hpp>
#include <bareasio/async/task_group.hpp>
#include <bareasio/detail/log.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <string>
#include <utility>

namespace bareasio {

enum class service_failure {
    stop_server, // log, stop the server gracefully; the exit code is 1
    restart,     // log, wait restart_delay (doubling), run it again
    ignore,      // log and let it end
};

struct service_options {
    service_failure on_failure = service_failure::stop_server;
    std::chrono::milliseconds restart_delay{100};
    std::chrono::milliseconds max_restart_delay{30'000};
};

class service_set {
public:
    // `stop_server` is what the stop_server policy calls (app_server stops
    // gracefully; the test client records it).
    service_set(task_group& group, std::function<void()> stop_server)
        : group_(group), stop_server_(std::move(stop_server)) {}
    service_set(const service_set&) = delete;
    service_set& operator=(const service_set&) = delete;

    // Starts `fn(stop_token)` (returning awaitable<void>) as a service named
    // `name`. The callable is kept until the service ends and is called
    // again on each restart.
    template <class F>
    task_handle spawn(std::string name, F fn, service_options options = {}) {
        return group_.spawn(name, [fn = std::move(fn), options, name,
                                   stop_server = stop_server_](stop_token stop) mutable {
            return supervise(fn, options, name, stop_server, stop);
        });
    }

    std::size_t running() const noexcept { return group_.running(); }

private:
    template <class F>
    static asio::awaitable<void> supervise(F& fn, service_options options, const std::string& name,
                                           const std::function<void()>& stop_server,
                                           stop_token stop) {
        auto delay = options.restart_delay;
        for (;;) {
            const auto started = std::chrono::steady_clock::now();
            std::exception_ptr failure;
            try {
                co_await fn(stop);
                co_return;
            } catch (...) {
                failure = std::current_exception();
            }
            // Cancelled because the group is stopping: not a failure.
            if (stop.stop_requested() && detail::is_aborted(failure))
                std::rethrow_exception(failure);
            const std::string what = detail::describe(failure);
            if (options.on_failure == service_failure::ignore) {
                detail::log_line("bareasio: service '" + name + "' failed: " + what +
                                 "; ignored (policy: ignore)");
                co_return;
            }
            if (options.on_failure == service_failure::stop_server) {
                detail::log_line("bareasio: stopping the server: service '" + name +
                                 "' failed (policy: stop_server)");
                if (stop_server) stop_server();
                std::rethrow_exception(failure); // the group logs and records it: exit code 1
            }
            if (std::chrono::steady_clock::now() - started > options.max_restart_delay)
                delay = options.restart_delay; // it ran well for a while: start over
            detail::log_line("bareasio: service '" + name + "' failed: " + what +
                             "; restarting in " + std::to_string(delay.count()) + " ms");
            const bool stopping = co_await stop.wait_for(delay);
            if (stopping) co_return;
            delay = std::min(delay * 2, options.max_restart_delay);
        }
    }

    task_group& group_;
    std::function<void()> stop_server_;
};

} // namespace bareasio
