// connection_registry: the connections of one event loop. It starts each
// connection's coroutine, owns it until it ends, enforces the per-state
// deadlines with one coarse sweep (no timer per read), and drains the loop
// on graceful stop: idle connections close, busy ones finish, and past the
// drain deadline the rest are cancelled through Asio cancellation.
// Thread safety: one registry per loop, used only on that loop.
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/server/connection.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <list>
#include <memory>

namespace bareasio {

class connection_registry {
public:
    explicit connection_registry(loop_context& loop) : loop_(loop) { empty_.set(); }
    connection_registry(const connection_registry&) = delete;
    connection_registry& operator=(const connection_registry&) = delete;

    std::size_t size() const noexcept { return entries_.size(); }

    // Starts serving `stream` on `ex`; the registry owns it until it ends.
    template <class Stream>
    void start(const asio::any_io_executor& ex, Stream stream) {
        auto conn = std::make_unique<connection<Stream>>(std::move(stream), loop_);
        auto* raw = conn.get();
        entries_.emplace_back();
        auto it = std::prev(entries_.end());
        it->conn = std::move(conn);
        raw->set_cancel_signal(&it->cancel);
        empty_.clear();
        asio::co_spawn(
            ex, [raw] { return raw->run(); },
            asio::bind_cancellation_slot(it->cancel.slot(), [this, it](std::exception_ptr error) {
                if (error)
                    detail::log_line("bareasio: connection failed: " + detail::describe(error));
                entries_.erase(it);
                if (entries_.empty()) empty_.set();
            }));
    }

    // Checks every connection's deadline once per `period` until stopped.
    asio::awaitable<void> sweep(std::chrono::milliseconds period) {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        sweeper_ = &timer;
        while (!sweep_stopped_) {
            timer.expires_after(period);
            co_await timer.async_wait(detail::use_tuple); // cancelled: loop ends
            sweep_once(loop_.clock.now());
        }
        sweeper_ = nullptr;
    }

    // One sweep, as if at `now` (the loop's clock): each connection whose
    // deadline passed acts on it (see transport/transport.hpp); the others
    // may start watching their client. Tests call it to pass time
    // deterministically.
    void sweep_once(loop_clock::time_point now) {
        for (auto& e : entries_)
            e.conn->sweep(now);
    }

    // Graceful stop, then wait: idle connections close now, busy ones finish
    // their request; whatever is left at `deadline` is cancelled and closed.
    asio::awaitable<void> drain(std::chrono::steady_clock::time_point deadline) {
        loop_.draining.request_stop();
        for (auto& e : entries_)
            e.conn->stop_if_idle();
        bool drained = entries_.empty();
        if (!drained) drained = co_await wait_until_empty(deadline);
        if (!drained) {
            detail::log_line("bareasio: drain deadline passed; cancelling " +
                             std::to_string(entries_.size()) + " connection(s)");
            cancel_all();
            while (!entries_.empty())
                co_await empty_.wait();
        }
        stop_sweeping();
    }

    // Cancels every connection's coroutine (and the handler it awaits) and
    // closes its stream; each ends as soon as its loop runs it.
    void cancel_all() {
        for (auto& e : entries_) {
            e.cancel.emit(asio::cancellation_type::terminal);
            e.conn->close();
        }
    }

    void stop_sweeping() {
        sweep_stopped_ = true;
        if (sweeper_) sweeper_->cancel();
    }

private:
    struct entry {
        std::unique_ptr<connection_base> conn;
        asio::cancellation_signal cancel;
    };

    asio::awaitable<bool> wait_until_empty(std::chrono::steady_clock::time_point deadline) {
        while (!entries_.empty()) {
            const bool woken = co_await empty_.wait_until(deadline);
            if (!woken) co_return entries_.empty();
        }
        co_return true;
    }

    loop_context& loop_;
    std::list<entry> entries_;
    event empty_;
    asio::steady_timer* sweeper_ = nullptr;
    bool sweep_stopped_ = false;
};

} // namespace bareasio
