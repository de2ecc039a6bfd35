// Runs an application on a free loopback port on its own thread for the
// duration of a test, and stops it gracefully at the end of the scope.
// Server: app_server, or one with its run/request_stop/wait_until_listening
// (tls::server).
#pragma once

#include <bareasio/bareasio.hpp>

#include <stdexcept>
#include <thread>

namespace test {

template <class Server>
class basic_running_server {
public:
    explicit basic_running_server(const bareasio::application& app,
                                  bareasio::server_config config = {})
        : server_(app, with_free_port(std::move(config))),
          thread_([this] { exit_code_ = server_.run(); }) {
        port_ = server_.wait_until_listening();
        if (port_ == 0) {
            thread_.join();
            throw std::runtime_error("test server did not start");
        }
    }
    ~basic_running_server() { stop(); }

    std::uint16_t port() const { return port_; }
    Server& server() noexcept { return server_; }

    int stop() {
        if (thread_.joinable()) {
            server_.request_stop();
            thread_.join();
        }
        return exit_code_;
    }

private:
    static bareasio::server_config with_free_port(bareasio::server_config config) {
        config.host = "127.0.0.1";
        config.port = 0;
        return config;
    }

    Server server_;
    int exit_code_ = -1;
    std::thread thread_;
    std::uint16_t port_ = 0;
};

using running_server = basic_running_server<bareasio::app_server>;

} // namespace test
