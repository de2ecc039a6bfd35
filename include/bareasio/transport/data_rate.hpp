// data_rate: minimum data rates, as Kestrel's MinRequestBodyDataRate and
// MinResponseDataRate. A request body that arrives, or a response that
// leaves, slower than `bytes_per_second` on average once `grace` has passed
// loses its connection: a client that trickles one byte every few seconds
// is dropped within seconds, where the per-read timeout alone would let it
// hold the connection forever. Only the time the connection spends waiting
// on the client counts (not the handler's own time between reads), so an
// upload or a download at any real speed never comes near the limit.
//     serve(app, {.min_request_body_rate = {.bytes_per_second = 1024}});
// rate_meter keeps one transfer's account; the connection asks it how long
// its next wait may last. Thread safety: a plain value, one per connection.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace bareasio {

struct min_data_rate {
    double bytes_per_second = 240; // 0 turns the check off
    std::chrono::milliseconds grace{5'000};
};

class rate_meter {
public:
    using duration = std::chrono::steady_clock::duration;

    // A new transfer (a request's body, a response).
    void reset() noexcept {
        waited_ = {};
        bytes_ = 0;
    }

    // How long the next wait may last so that, once it has moved `more`
    // bytes, the transfer is still at the minimum rate: the grace period,
    // or the time its bytes earn at that rate, less what was already
    // waited. duration::max() when the rate is off.
    duration allowance(const min_data_rate& rate, std::uint64_t more = 0) const noexcept {
        if (rate.bytes_per_second <= 0) return duration::max();
        const auto earned = std::chrono::duration_cast<duration>(std::chrono::duration<double>(
            static_cast<double>(bytes_ + more) / rate.bytes_per_second));
        const auto total = std::max<duration>(rate.grace, earned);
        return total > waited_ ? total - waited_ : duration::zero();
    }

    // A wait that lasted `waited` and moved `bytes`.
    void record(duration waited, std::uint64_t bytes) noexcept {
        waited_ += waited;
        bytes_ += bytes;
    }

    std::uint64_t bytes() const noexcept { return bytes_; }
    duration waited() const noexcept { return waited_; }

private:
    duration waited_{};
    std::uint64_t bytes_ = 0;
};

} // namespace bareasio
