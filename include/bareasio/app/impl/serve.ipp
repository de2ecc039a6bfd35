// The definitions behind serve.hpp: included by it when header-only, and
// compiled once into the library (src/bareasio.cpp) with
// BAREASIO_SEPARATE_COMPILATION.
#pragma once

#include <bareasio/app/serve.hpp>
#include <bareasio/async/task_group.hpp>
#include <bareasio/detail/log.hpp>
#include <bareasio/server/loop_server.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>

namespace bareasio {

BAREASIO_DECL int app_server::run() {
    const unsigned n =
        config_.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : config_.threads;
    if (n > max_threads) {
        detail::log_line("bareasio: " + std::to_string(n) + " threads is more than the " +
                         std::to_string(max_threads) + " event loops a server runs");
        set_listening(0);
        return 2;
    }
    if (!config_.tls_cert.empty() && !layer_factory_) {
        detail::log_line("bareasio: this program serves plain HTTP (it calls serve(), not "
                         "tls::serve()): --tls-cert and --tls-key cannot be used");
        set_listening(0);
        return 2;
    }
    // A write to a socket or pipe whose reader left fails with EPIPE
    // instead of killing the process (Asio's sockets never raise it; an
    // access log on a pipe would).
    std::signal(SIGPIPE, SIG_IGN);
    loop_list loops;
    for (unsigned i = 0; i < n; ++i)
        loops.push_back(std::make_unique<asio::io_context>(1));
    // The other loops idle until loop 0 hands them a server, and run
    // until loop 0 is done with them.
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    std::vector<std::thread> threads;
    for (unsigned i = 1; i < n; ++i) {
        guards.push_back(asio::make_work_guard(*loops[i]));
        threads.emplace_back([&loops, i] { loops[i]->run(); });
    }
    int exit_code = 0;
    asio::co_spawn(*loops[0], main(exit_code, loops), [&](std::exception_ptr error) {
        if (error) {
            detail::log_line("bareasio: " + detail::describe(error));
            exit_code = 1;
        }
    });
    loops[0]->run();
    guards.clear();
    for (auto& t : threads)
        t.join();
    set_listening(0); // wake anyone still waiting if startup failed
    return exit_code;
}

BAREASIO_DECL std::uint16_t app_server::wait_until_listening() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return listening_decided_; });
    return port_;
}

BAREASIO_DECL asio::awaitable<void> app_server::main(int& exit_code, const loop_list& loops) {
    auto ex = co_await asio::this_coro::executor;
    task_group services(ex);
    service_set service_handles(services, [this] { stop_.set(); });
    lifespan_context ctx{app_.info_handle(), service_handles, ex};
    server_list servers;

    std::optional<signal_set> signals;
    if (handle_signals_) watch_signals(signals.emplace(ex, SIGINT, SIGTERM, SIGHUP));

    std::string failure;
    try {
        co_await app_.lifespan.startup(ctx);
    } catch (const startup_error& e) {
        failure = std::string("bareasio: ") + e.what() + "; not serving";
    }
    if (!failure.empty()) {
        detail::log_line(failure);
        exit_code = 3;
        co_await finish(services, signals);
        co_return;
    }
    if (stop_.is_set()) { // a signal, request_stop() or a failed service during startup
        detail::log_line("bareasio: stop requested during startup; not serving");
        const bool clean = co_await app_.lifespan.shutdown(ctx);
        co_await finish(services, signals);
        if (!clean || !services.failures().empty()) exit_code = 1;
        co_return;
    }
    try {
        listen_all(servers, loops);
    } catch (const std::system_error& e) {
        failure = std::string("bareasio: ") + e.what();
    } catch (const std::invalid_argument& e) { // a bad server_config entry
        failure = std::string("bareasio: ") + e.what();
    }
    if (!failure.empty()) {
        detail::log_line(failure);
        exit_code = 2;
        co_await app_.lifespan.shutdown(ctx);
        co_await finish(services, signals);
        co_return;
    }
    for (std::size_t i = 0; i < servers.size(); ++i)
        asio::post(*loops[i], [srv = servers[i].get()] { srv->start(); });
    servers_ = &servers;
    const bool ipv6 = config_.host.find(':') != std::string::npos;
    detail::log_line("bareasio: listening on " + scheme_ + "://" +
                     (ipv6 ? "[" + config_.host + "]" : config_.host) + ":" +
                     std::to_string(servers.front()->port()) + " (" + std::to_string(loops.size()) +
                     (loops.size() == 1 ? " thread)" : " threads)"));
    set_listening(servers.front()->port());

    co_await stop_.wait();
    co_await shutdown_all(servers, loops);
    servers_ = nullptr;
    const bool clean = co_await app_.lifespan.shutdown(ctx);
    co_await finish(services, signals);
    if (!clean || !services.failures().empty()) exit_code = 1;
    detail::log_line("bareasio: stopped");
}

// One server per loop, each with its own listener, connections and Date
// cache: nothing is shared on the hot path but the application. Loop 0
// binds first; with port 0 the others then share the port it got.
BAREASIO_DECL void app_server::listen_all(server_list& servers, const loop_list& loops) {
    const bool shared = loops.size() > 1;
    // Our loops share the port (SO_REUSEPORT); another process must not.
    if (shared && config_.port != 0)
        loop_server::check_address_free(loops[0]->get_executor(), config_);
    server_config config = config_;
    for (const auto& loop : loops) {
        auto& srv = *servers.emplace_back(std::make_unique<loop_server>(
            loop->get_executor(), config, app_.handler(), app_.info_handle()));
        srv.listen(shared);
        if (layer_factory_) srv.use_layer(layer_factory_(loop->get_executor(), config));
        if (protocol_) srv.use_protocol(protocol_);
        config.port = srv.port();
    }
}

// Drains every loop's server on its own loop, all at once, and waits.
BAREASIO_DECL asio::awaitable<void> app_server::shutdown_all(server_list& servers,
                                                             const loop_list& loops) {
    std::vector<std::unique_ptr<event>> done;
    for (std::size_t i = 0; i < servers.size(); ++i) {
        auto& finished = *done.emplace_back(std::make_unique<event>());
        asio::co_spawn(*loops[i], servers[i]->shutdown(),
                       [&finished](std::exception_ptr) { finished.set(); });
    }
    for (auto& finished : done)
        co_await finished->wait();
}

BAREASIO_DECL asio::awaitable<void> app_server::finish(task_group& services,
                                                       std::optional<signal_set>& signals) {
    co_await services.stop_and_join(config_.service_stop_timeout);
    if (signals) signals->cancel();
}

// SIGINT/SIGTERM: a graceful stop, and a second one exits at once. SIGHUP:
// the access log files are opened again (logrotate), never a stop.
BAREASIO_DECL void app_server::watch_signals(signal_set& signals) {
    signals.async_wait([this, &signals](std::error_code ec, int signo) {
        if (ec) return;
        if (signo == SIGHUP) {
            // Reloading a certificate is reason enough for a SIGHUP.
            const bool access_log_file = !config_.access_log.empty() && config_.access_log != "-";
            if (access_log_file || !on_sighup_) reopen_access_logs();
            if (on_sighup_) on_sighup_();
        } else if (!signalled_) {
            signalled_ = true;
            detail::log_line(std::string("bareasio: received ") +
                             (signo == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
            stop_.set();
        } else {
            detail::log_line("bareasio: second signal, exiting now");
            std::_Exit(128 + signo);
        }
        watch_signals(signals);
    });
}

BAREASIO_DECL void app_server::reopen_access_logs() {
    if (config_.access_log.empty() || config_.access_log == "-") {
        detail::log_line("bareasio: received SIGHUP; no access log file to reopen");
        return;
    }
    detail::log_line("bareasio: received SIGHUP, reopening the access log " + config_.access_log);
    if (!servers_) return;
    for (auto& srv : *servers_)
        asio::post(srv->get_executor(), [s = srv.get()] { s->reopen_access_log(); });
}

BAREASIO_DECL void app_server::set_listening(std::uint16_t port) {
    std::lock_guard lock(mutex_);
    if (listening_decided_) return;
    port_ = port;
    listening_decided_ = true;
    ready_.notify_all();
}

BAREASIO_DECL int serve(const application& app, server_config config) {
    app_server server(app, std::move(config));
    server.handle_signals(true);
    return server.run();
}

} // namespace bareasio
