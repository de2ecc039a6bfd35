// A real redis-server for tests and benchmarks: started on a free loopback
// port with no persistence (a restart comes back empty), stopped with
// SIGTERM, restartable on the same port. Needs redis-server in PATH
// (Debian: redis-server).
#pragma once

#include "loopback.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace test {

class redis_server {
public:
    // `extra`: more redis-server arguments ({"--requirepass", "secret"}).
    explicit redis_server(std::vector<std::string> extra = {})
        : port_(free_loopback_port()), extra_(std::move(extra)) {
        start();
    }
    ~redis_server() { stop(); }
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

    // Starts it (again, empty) and waits until it accepts connections.
    void start() {
        std::vector<std::string> args = {
            "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no",     "--loglevel",          "warning"};
        args.insert(args.end(), extra_.begin(), extra_.end());
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        // Its log (banners, warnings) goes to /dev/null, so it never holds a
        // pipe of the caller open; it dies with the caller (a test that
        // crashes leaves no redis-server behind).
        const pid_t parent = ::getpid();
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(1);
            const int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, 1);
            ::dup2(null, 2);
            ::execvp("redis-server", argv.data());
            ::_exit(127);
        }
        for (int i = 0; i < 500 && !accepts(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (!accepts())
            throw std::runtime_error(
                "redis-server did not start (Debian: apt-get install redis-server)");
    }

    // Stops it (SIGTERM) and waits for it to exit.
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

private:
    bool accepts() const { return loopback_accepts(port_); }

    std::uint16_t port_;
    std::vector<std::string> extra_;
    pid_t pid_ = -1;
};

} // namespace test
