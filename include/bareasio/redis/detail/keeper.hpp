// redis::detail::keeper: one Redis connection kept up by a background task
// on a strand, for redis::client and redis::broadcaster. start() connects,
// trying until the connect timeout (a refusal such as NOAUTH fails at once);
// then the task serves until the connection fails, and reconnects with a
// back-off (a refusal is retried every 10 s), logging each loss and each
// recovery; stop() ends it and waits. What the connection is for is the
// derived class's: opened() after connecting (SUBSCRIBE again), serve()
// until it fails, lost() when it did (fail what was in flight).
// Compiled once, into libbareasio_redis; no public header includes it.
// Thread safety: start() and stop() must not overlap; post() from any thread.
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/detail/log.hpp>
#include <bareasio/redis/connection.hpp>
#include <bareasio/redis/endpoint.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bareasio::redis::detail {

struct keeper_options {
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds reconnect_delay{100};
    std::chrono::milliseconds max_reconnect_delay{500};
};

// What Redis refuses for reasons no retry mends (a setting, the data).
inline bool is_refusal(std::string_view failure) noexcept {
    for (std::string_view code : {"NOAUTH", "WRONGPASS", "NOPERM", "WRONGTYPE"})
        if (failure.find(code) != std::string_view::npos) return true;
    return false;
}

class keeper : public std::enable_shared_from_this<keeper> {
public:
    using strand_type = asio::strand<asio::any_io_executor>;
    using clock = std::chrono::steady_clock;
    static constexpr std::chrono::seconds refusal_retry{10};

    explicit keeper(std::string what) : what_(std::move(what)) {}
    virtual ~keeper() = default;

    bool connected() const noexcept { return connected_.load(std::memory_order_acquire); }
    std::uint64_t reconnects() const noexcept { return reconnects_.load(); }

    // Connects, then leaves the task running. Throws std::runtime_error
    // naming the address past the timeout, or at once on a refusal.
    asio::awaitable<void> start(asio::any_io_executor ex, endpoint where, keeper_options options) {
        if (strand()) throw std::logic_error(what_ + ": connect() while connected");
        where_ = std::move(where);
        options_ = options;
        stopping_ = false;
        ended_.clear();
        const auto s = asio::make_strand(ex);
        {
            std::lock_guard lock(mutex_);
            strand_.emplace(s);
        }
        std::exception_ptr failure;
        try {
            co_await asio::co_spawn(s, first_connect(shared_from_this(), s), asio::use_awaitable);
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) {
            drop_strand();
            std::rethrow_exception(failure);
        }
    }

    // Stops the task and waits until it has let go of its socket and timers.
    asio::awaitable<void> stop() {
        const auto s = strand();
        if (!s) co_return;
        co_await asio::co_spawn(*s, request_stop(shared_from_this()), asio::use_awaitable);
        co_await ended_.wait();
        drop_strand();
    }
    // The same without waiting (a destructor).
    void stop_soon() {
        const auto s = strand();
        if (!s) return;
        drop_strand();
        asio::co_spawn(*s, request_stop(shared_from_this()), asio::detached);
    }

    // Runs `f` on the strand; false (and nothing run) when not started.
    template <class F>
    bool post(F&& f) {
        std::lock_guard lock(mutex_);
        if (!strand_) return false;
        asio::post(*strand_, std::forward<F>(f));
        return true;
    }

    const endpoint& where() const noexcept { return where_; }
    void log(const std::string& text) const {
        bareasio::detail::log_line("redis " + where_.address() + " " + what_ + ": " + text);
    }

protected:
    // On the strand, for the derived class.
    virtual asio::awaitable<void> opened(connection& c) = 0; // connected: set it up
    virtual asio::awaitable<void> serve(connection& c) = 0;  // until it fails (throws)
    virtual void lost(const std::string& why) = 0;           // it failed: fail what waits
    virtual void interrupt() {}                              // stopping: end serve()'s waits
    virtual void drop_timers() noexcept {}                   // ended: let go of its timers
    bool stopping() const noexcept { return stopping_; }
    // Ends serve(): closes the connection so what it awaits fails.
    void break_connection() noexcept {
        if (conn_) conn_->close();
    }
    const std::optional<strand_type>& io_strand() const noexcept { return io_strand_; }

private:
    std::optional<strand_type> strand() {
        std::lock_guard lock(mutex_);
        return strand_;
    }
    void drop_strand() {
        std::lock_guard lock(mutex_);
        strand_.reset();
    }

    static asio::awaitable<void> request_stop(std::shared_ptr<keeper> self) {
        self->stopping_ = true;
        if (self->sleeper_) self->sleeper_->cancel();
        self->interrupt();
        self->break_connection();
        if (!self->running_) self->ended_.set();
        co_return;
    }

    static asio::awaitable<void> first_connect(std::shared_ptr<keeper> self, strand_type s) {
        self->io_strand_.emplace(std::move(s));
        try {
            co_await self->try_until_deadline();
        } catch (...) {
            self->release();
            throw;
        }
        self->running_ = true;
        asio::co_spawn(*self->io_strand_, run(self), [self](std::exception_ptr) {
            self->running_ = false;
            self->connected_.store(false);
            self->ended_.set();
        });
    }

    asio::awaitable<void> try_until_deadline() {
        const auto deadline = clock::now() + options_.connect_timeout;
        auto delay = options_.reconnect_delay;
        for (;;) {
            if (stopping_) throw std::runtime_error("closed while connecting");
            std::string failure = co_await attempt(deadline - clock::now());
            if (failure.empty()) co_return;
            if (is_refusal(failure))
                throw std::runtime_error("Redis at " + where_.address() + " refused " + what_ +
                                         ": " + failure);
            if (clock::now() + delay >= deadline)
                throw std::runtime_error("cannot reach Redis at " + where_.address() + " within " +
                                         seconds(options_.connect_timeout) + ": " + failure);
            co_await sleep(delay);
            delay = std::min(delay * 2, options_.max_reconnect_delay);
        }
    }

    // Connects and sets up within `budget`; the failure, or empty.
    asio::awaitable<std::string> attempt(clock::duration budget) {
        conn_.emplace(*io_strand_);
        std::string failure;
        try {
            co_await bareasio::wait_for(
                open(), std::max<clock::duration>(budget, std::chrono::milliseconds(1)));
            connected_.store(true, std::memory_order_release);
        } catch (const std::exception& e) {
            failure = e.what();
            conn_->close();
        }
        co_return failure;
    }
    asio::awaitable<void> open() {
        co_await conn_->open(where_);
        co_await opened(*conn_);
    }

    static asio::awaitable<void> run(std::shared_ptr<keeper> self) {
        while (!self->stopping_) {
            std::string failure;
            try {
                co_await self->serve(*self->conn_);
            } catch (const std::exception& e) {
                failure = e.what();
            }
            self->connected_.store(false, std::memory_order_release);
            self->conn_->close();
            self->lost(failure.empty() ? "closed" : failure);
            if (self->stopping_) break;
            self->log(is_refusal(failure) ? "Redis refused (" + failure + "); trying again every " +
                                                std::to_string(refusal_retry.count()) + " s"
                                          : "connection lost (" + failure + "); reconnecting");
            co_await self->reconnect();
        }
        self->release();
    }

    asio::awaitable<void> reconnect() {
        const auto lost_at = clock::now();
        std::string last_failure;
        auto delay = options_.reconnect_delay;
        while (!stopping_) {
            co_await sleep(delay);
            if (stopping_) co_return;
            std::string failure = co_await attempt(options_.connect_timeout);
            if (failure.empty()) {
                ++reconnects_;
                log("reconnected after " +
                    seconds(std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() -
                                                                                  lost_at)));
                co_return;
            }
            if (failure != last_failure)
                log((is_refusal(failure) ? "still refused: " : "still unreachable: ") + failure);
            delay = is_refusal(failure) ? std::chrono::milliseconds(refusal_retry)
                                        : std::min(delay * 2, options_.max_reconnect_delay);
            last_failure = std::move(failure);
        }
    }

    asio::awaitable<void> sleep(std::chrono::milliseconds delay) {
        if (!sleeper_) sleeper_.emplace(*io_strand_);
        sleeper_->expires_after(delay);
        std::error_code ec;
        co_await sleeper_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }

    // The socket and timers go before their io_context can.
    void release() noexcept {
        if (conn_) conn_->close();
        conn_.reset();
        sleeper_.reset();
        drop_timers();
        io_strand_.reset();
    }

    static std::string seconds(std::chrono::milliseconds d) {
        char text[32];
        std::snprintf(text, sizeof text, "%.1f s", double(d.count()) / 1000);
        return text;
    }

    const std::string what_; // for log lines: "the broadcaster", "the client"
    endpoint where_;
    keeper_options options_;
    std::mutex mutex_; // guards strand_
    std::optional<strand_type> strand_;
    std::atomic<bool> connected_{false};
    std::atomic<std::uint64_t> reconnects_{0};
    event ended_;

    // On the strand only:
    std::optional<strand_type> io_strand_;
    std::optional<connection> conn_;
    std::optional<asio::steady_timer> sleeper_;
    bool stopping_ = false;
    bool running_ = false;
};

} // namespace bareasio::redis::detail
