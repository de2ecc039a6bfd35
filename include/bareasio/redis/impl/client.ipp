// redis::client's shared connection: commands from any thread queued on a
// strand, written together, answered in order. Compiled once, into
// libbareasio_redis (src/redis.cpp); no header includes it.
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/redis/client.hpp>
#include <bareasio/redis/detail/keeper.hpp>

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>

#include <deque>
#include <memory>
#include <string>
#include <utility>

namespace bareasio::redis::detail {

// One command on its way: its bytes, then its reply or why it failed.
struct pending_command {
    std::string encoded;
    bool wants_reply = true;
    reply result;
    std::string failure; // set when it failed without a reply
    event done;          // set once result or failure is
};

class client_link final : public keeper {
public:
    explicit client_link(std::string what = "client") : keeper(std::move(what)) {}

    asio::awaitable<void> connect(asio::any_io_executor ex, std::string url, client_options o) {
        reply_timeout_ = o.reply_timeout;
        co_await start(std::move(ex), endpoint::parse(url),
                       {o.connect_timeout, o.reconnect_delay, o.max_reconnect_delay});
    }

    // From any thread: queued on the strand, or failed at once when down.
    std::shared_ptr<pending_command> submit(std::string encoded, bool wants_reply) {
        auto op = std::make_shared<pending_command>();
        op->encoded = std::move(encoded);
        op->wants_reply = wants_reply;
        const bool queued = connected() && post([self = shared(), op] { self->enqueue(op); });
        if (!queued) fail(*op, "not connected to Redis at " + where().address());
        return op;
    }

private:
    std::shared_ptr<client_link> shared() {
        return std::static_pointer_cast<client_link>(shared_from_this());
    }

    static void fail(pending_command& op, std::string why) {
        op.failure = std::move(why);
        op.done.set();
    }

    // On the strand.
    void enqueue(std::shared_ptr<pending_command> op) {
        if (!connected()) return fail(*op, "not connected to Redis at " + where().address());
        queued_.push_back(std::move(op));
        if (wake_) wake_->cancel();
    }

    asio::awaitable<void> opened(connection& c) override {
        // A refusal (NOAUTH: a password is needed) is Redis's answer to
        // PING: said by connect(), not by the first command.
        co_await c.command("PING");
        if (!wake_) wake_.emplace(*io_strand());
        if (!watchdog_) watchdog_.emplace(*io_strand());
    }

    // Writes what is queued in one go and reads the replies, in order;
    // when idle, PINGs within reply_timeout. Throws when the connection fails.
    asio::awaitable<void> serve(connection& c) override {
        while (!stopping()) {
            if (queued_.empty()) {
                wake_->expires_after(ping_interval);
                std::error_code ec;
                co_await wake_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
                if (stopping()) co_return;
                if (queued_.empty()) queued_.push_back(ping());
            }
            in_flight_.swap(queued_);
            for (const auto& op : in_flight_)
                c.queue_encoded(op->encoded);
            arm();
            co_await c.flush();
            while (!in_flight_.empty()) {
                auto op = std::move(in_flight_.front());
                in_flight_.pop_front();
                op->result = co_await c.read();
                op->done.set();
            }
            disarm();
        }
    }

    void lost(const std::string& why) override {
        const std::string failure =
            "the connection to Redis at " + where().address() + " was lost (" + why + ")";
        std::size_t unanswered = 0; // sent without waiting (PUBLISH): nobody else will know
        for (auto* list : {&in_flight_, &queued_}) {
            for (const auto& op : *list) {
                unanswered += op->wants_reply ? 0 : 1;
                fail(*op, failure);
            }
            list->clear();
        }
        if (unanswered > 0)
            log(std::to_string(unanswered) +
                " command(s) sent without waiting for a reply may not have reached Redis");
        if (wake_) wake_->cancel();
    }

    void interrupt() override {
        if (wake_) wake_->cancel();
    }
    // The timers go with the connection: the client may outlive the loop.
    void drop_timers() noexcept override {
        wake_.reset();
        watchdog_.reset();
    }

    static std::shared_ptr<pending_command> ping() {
        auto op = std::make_shared<pending_command>();
        connection::encode(op->encoded, {"PING"});
        op->wants_reply = false;
        return op;
    }

    // Past reply_timeout without the replies, the connection is closed,
    // so the read under way fails (and lost() fails what waited).
    void arm() {
        const auto generation = ++watchdog_generation_;
        watchdog_->expires_after(reply_timeout_);
        watchdog_->async_wait([self = shared(), generation](std::error_code ec) {
            if (!ec && generation == self->watchdog_generation_) self->break_connection();
        });
    }
    void disarm() {
        ++watchdog_generation_;
        watchdog_->cancel();
    }

    static constexpr std::chrono::seconds ping_interval{1};
    std::chrono::milliseconds reply_timeout_{2000};
    std::deque<std::shared_ptr<pending_command>> queued_, in_flight_;
    std::optional<asio::steady_timer> wake_, watchdog_;
    std::uint64_t watchdog_generation_ = 0;
};

std::shared_ptr<client_link> make_client_link() {
    return std::make_shared<client_link>();
}

asio::awaitable<reply> run_command(std::shared_ptr<client_link> link, std::string encoded) {
    auto op = link->submit(std::move(encoded), true);
    co_await op->done.wait();
    if (!op->failure.empty()) throw error(op->failure);
    if (op->result.is_error()) throw error(std::string(op->result.text()));
    co_return std::move(op->result);
}

bool send_command(client_link& link, std::string encoded) {
    return link.submit(std::move(encoded), false)->failure.empty();
}

} // namespace bareasio::redis::detail

namespace bareasio::redis {

asio::awaitable<void> client::connect(asio::any_io_executor ex, std::string url,
                                      client_options options) {
    return link_->connect(std::move(ex), std::move(url), options);
}

asio::awaitable<void> client::close() {
    return link_->stop();
}

bool client::connected() const noexcept {
    return link_->connected();
}

std::uint64_t client::reconnects() const noexcept {
    return link_->reconnects();
}

client::~client() {
    if (link_) link_->stop_soon();
}

} // namespace bareasio::redis
