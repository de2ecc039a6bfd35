// A throw-away PostgreSQL cluster for tests and benchmarks: initdb in a
// temporary folder (as the postgres user when the tests run as root:
// initdb refuses root), a server on a free loopback port with password
// (SCRAM) authentication over TCP, stopped and removed at the end; it can
// be stopped and started again on the same port. Needs Debian's
// postgresql-15 (/usr/lib/postgresql/15/bin).
#pragma once

#include "loopback.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace test {

class pg_server {
public:
    static constexpr const char* bin = "/usr/lib/postgresql/15/bin";

    pg_server() : port_(free_loopback_port()) {
        char name[] = "/tmp/bareasio-pg-XXXXXX";
        if (!::mkdtemp(name)) throw std::runtime_error("pg_server: mkdtemp failed");
        dir_ = name;
        if (::geteuid() == 0) {
            const passwd* pg = ::getpwnam("postgres");
            if (!pg)
                throw std::runtime_error(
                    "pg_server: no postgres user (apt-get install postgresql-15)");
            uid_ = pg->pw_uid;
            gid_ = pg->pw_gid;
            if (::chown(dir_.c_str(), uid_, gid_) != 0)
                throw std::runtime_error("pg_server: chown failed");
        }
        std::ofstream(dir_ / "pw") << password << "\n";
        if (uid_ != 0 && ::chown((dir_ / "pw").c_str(), uid_, gid_) != 0)
            throw std::runtime_error("pg_server: chown failed");
        run_and_wait({std::string(bin) + "/initdb", "-D", (dir_ / "data").string(), "-U", user,
                      "--auth=scram-sha-256", "--pwfile=" + (dir_ / "pw").string(), "-E", "UTF8",
                      "--locale=C.UTF-8", "--no-sync"});
        start();
    }
    ~pg_server() {
        stop();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    pg_server(const pg_server&) = delete;
    pg_server& operator=(const pg_server&) = delete;

    static constexpr const char* user = "bareasio";
    static constexpr const char* password = "test-secret";

    std::uint16_t port() const noexcept { return port_; }
    std::string url() const {
        return "postgresql://" + std::string(user) + ":" + password +
               "@127.0.0.1:" + std::to_string(port_) + "/postgres";
    }

    // Starts it (again) and waits until it accepts connections.
    void start() {
        pid_ =
            spawn({std::string(bin) + "/postgres", "-D", (dir_ / "data").string(), "-p",
                   std::to_string(port_), "-k", dir_.string(), "-c", "listen_addresses=127.0.0.1",
                   "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                   "-c", "max_connections=300"});
        for (int i = 0; i < 1000 && !accepts(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (!accepts()) throw std::runtime_error("postgres did not start");
        // Accepting TCP comes a moment before accepting logins.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }

    // Stops it (fast shutdown: sessions are ended) and waits for it to exit.
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGINT);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

private:
    pid_t spawn(const std::vector<std::string>& args) {
        std::vector<char*> argv;
        for (const auto& a : args)
            argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        const pid_t parent = ::getpid();
        const pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error("fork failed");
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(1);
            const int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, 1);
            ::dup2(null, 2);
            if (uid_ != 0 && (::setgid(gid_) != 0 || ::setuid(uid_) != 0)) ::_exit(126);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        return pid;
    }

    void run_and_wait(const std::vector<std::string>& args) {
        const pid_t pid = spawn(args);
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            throw std::runtime_error("initdb failed (apt-get install postgresql-15)");
    }

    bool accepts() const { return loopback_accepts(port_); }

    std::filesystem::path dir_;
    std::uint16_t port_;
    uid_t uid_ = 0;
    gid_t gid_ = 0;
    pid_t pid_ = -1;
};

// One cluster for a whole test program: initdb takes seconds.
inline pg_server& shared_pg_server() {
    static pg_server server;
    return server;
}

} // namespace test
