// Captures what the process writes to stderr (bareasio's log) while it
// lives: fd 2 goes to a temporary file, and text() reads it back. Restores
// stderr when destroyed. For tests that check what is logged.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace test {

class stderr_capture {
public:
    stderr_capture() {
        char name[] = "/tmp/bareasio-stderr-XXXXXX";
        file_ = ::mkstemp(name);
        if (file_ < 0) throw std::runtime_error("stderr_capture: mkstemp failed");
        ::unlink(name);
        std::fflush(stderr);
        saved_ = ::dup(2);
        ::dup2(file_, 2);
    }
    ~stderr_capture() {
        std::fflush(stderr);
        ::dup2(saved_, 2);
        ::close(saved_);
        ::close(file_);
    }
    stderr_capture(const stderr_capture&) = delete;
    stderr_capture& operator=(const stderr_capture&) = delete;

    // Everything written so far.
    std::string text() const {
        std::fflush(stderr);
        std::string all;
        char buf[4096];
        for (off_t at = 0;;) {
            const auto n = ::pread(file_, buf, sizeof buf, at);
            if (n <= 0) break;
            all.append(buf, static_cast<std::size_t>(n));
            at += n;
        }
        return all;
    }

private:
    int file_ = -1;
    int saved_ = -1;
};

} // namespace test
