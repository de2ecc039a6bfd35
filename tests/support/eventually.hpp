// Polls `condition` for up to 10 s: for what converges in the background
// (a reconnect, a message through Redis). A bound, not a timing: the test
// fails only if it never happens.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace test {

inline bool eventually(const std::function<bool()>& condition) {
    using namespace std::chrono_literals;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return condition();
}

} // namespace test
