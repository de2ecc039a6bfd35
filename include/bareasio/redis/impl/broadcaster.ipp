// redis::broadcaster's two connections and its subscribers: a pipelined
// publisher (client_link) and a subscriber kept up by keeper, on strands;
// the process's subscribers in a map under a mutex, each with a bounded
// queue. Compiled once, into libbareasio_redis (src/redis.cpp).
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/detail/log.hpp>
#include <bareasio/detail/release_memory.hpp>
#include <bareasio/redis/broadcaster.hpp>
#include <bareasio/redis/detail/keeper.hpp>
#include <bareasio/redis/impl/client.ipp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace bareasio::redis::detail {

// One subscriber's waiting messages, bounded in bytes.
struct subscription_state {
    subscription_state(std::string c, std::size_t l) : channel(std::move(c)), limit(l) {}

    // False when the message was dropped: the subscriber is behind.
    bool push(const std::shared_ptr<const std::string>& payload) {
        {
            std::lock_guard lock(mutex);
            if (ended) return true;
            if (bytes != 0 && bytes + payload->size() > limit) {
                ++dropped;
                return false;
            }
            queue.emplace_back(payload, std::exchange(dropped, 0), std::exchange(gap, false));
            bytes += payload->size();
        }
        ready.set();
        return true;
    }
    void mark_gap() {
        std::lock_guard lock(mutex);
        gap = true;
    }
    void end() {
        {
            std::lock_guard lock(mutex);
            ended = true;
            queue.clear();
            bytes = 0;
        }
        ready.set();
    }

    const std::string channel;
    const std::size_t limit;
    std::mutex mutex; // guards what follows
    std::deque<broadcast_message> queue;
    std::size_t bytes = 0;
    std::uint64_t dropped = 0; // since the last message queued
    bool gap = false;          // Redis was lost since the last message queued
    bool ended = false;
    event ready; // set when a message is queued or it ended
};

asio::awaitable<std::optional<broadcast_message>>
next_message(std::shared_ptr<subscription_state> s) {
    for (;;) {
        std::optional<broadcast_message> got;
        bool ended = false;
        {
            std::lock_guard lock(s->mutex);
            if (!s->queue.empty()) {
                got.emplace(std::move(s->queue.front()));
                s->queue.pop_front();
                s->bytes -= got->data().size();
            } else if (!s->ended) {
                s->ready.clear(); // under the lock: a push after this sets it
            }
            ended = s->ended; // read under the lock: end() runs on any thread
        }
        if (got || ended) co_return got;
        co_await s->ready.wait();
    }
}

// A message on the wire: "<16 hex digits of the sender>\n<payload>", so a
// process skips its own; anything else (another publisher) is a payload whole.
constexpr std::size_t sender_digits = 16;

inline bool framed(std::string_view data) noexcept {
    if (data.size() <= sender_digits || data[sender_digits] != '\n') return false;
    return std::all_of(data.begin(), data.begin() + sender_digits,
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

inline std::string random_sender() {
    std::random_device rd;
    const auto value = (std::uint64_t(rd()) << 32) | rd();
    char text[sender_digits + 1];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
    return text;
}

class broadcast_link final : public keeper {
public:
    explicit broadcast_link(broadcaster_options o)
        : keeper("broadcaster (subscribing)"), options_(o), sender_(random_sender()),
          publisher_(std::make_shared<client_link>("broadcaster (publishing)")) {}

    asio::awaitable<void> connect(asio::any_io_executor ex, std::string url) {
        const auto where = endpoint::parse(url);
        const keeper_options k{options_.connect_timeout, options_.reconnect_delay,
                               options_.max_reconnect_delay};
        co_await publisher_->start(ex, where, k);
        std::exception_ptr failure;
        try {
            co_await start(ex, where, k);
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) {
            co_await publisher_->stop();
            std::rethrow_exception(failure);
        }
    }
    asio::awaitable<void> close() {
        co_await stop();
        co_await publisher_->stop();
    }
    void stop_both_soon() {
        stop_soon();
        publisher_->stop_soon();
    }
    bool both_connected() const noexcept { return connected() && publisher_->connected(); }

    // From any thread: here at once, elsewhere through Redis.
    void publish(std::string_view channel, std::string payload) {
        auto shared = bareasio::detail::share_trimmed(std::move(payload));
        deliver(channel, shared);
        // Connected both ways, or the message stays here (said in the log).
        if (!connected() || !publisher_->connected() ||
            !publisher_->submit(encode_publish(channel, *shared), false)->failure.empty())
            warn("a message published while Redis is unreachable reached this process's "
                 "subscribers only (published on " +
                 bareasio::detail::printable(channel) + ")");
    }

    std::shared_ptr<subscription_state> add(std::string channel) {
        auto s = std::make_shared<subscription_state>(channel, options_.subscriber_queue_bytes);
        bool first = false;
        {
            std::lock_guard lock(local_mutex_);
            auto& subs = local_[channel];
            first = subs.empty();
            subs.push_back(s);
        }
        if (first)
            post([self = shared(), channel] { self->write_command({"SUBSCRIBE", channel}); });
        return s;
    }

    void remove(const std::shared_ptr<subscription_state>& s) {
        s->end();
        bool last = false;
        {
            std::lock_guard lock(local_mutex_);
            const auto it = local_.find(s->channel);
            if (it == local_.end()) return;
            std::erase(it->second, s);
            if (it->second.empty()) {
                local_.erase(it);
                last = true;
            }
        }
        if (last)
            post([self = shared(), channel = s->channel] {
                self->write_command({"UNSUBSCRIBE", channel});
            });
    }

private:
    std::shared_ptr<broadcast_link> shared() {
        return std::static_pointer_cast<broadcast_link>(shared_from_this());
    }

    // PUBLISH channel "<sender>\n<payload>", encoded with one copy of the payload.
    std::string encode_publish(std::string_view channel, std::string_view payload) const {
        std::string out;
        out.reserve(payload.size() + channel.size() + 64);
        const auto bulk_head = [&out](std::size_t n) {
            out += '$';
            out += std::to_string(n);
            out += "\r\n";
        };
        out += "*3\r\n$7\r\nPUBLISH\r\n";
        bulk_head(channel.size());
        out.append(channel).append("\r\n");
        bulk_head(sender_.size() + 1 + payload.size());
        out.append(sender_).append("\n").append(payload).append("\r\n");
        return out;
    }

    // To this process's subscribers of `channel`.
    void deliver(std::string_view channel, const std::shared_ptr<const std::string>& payload) {
        bool behind = false;
        {
            std::lock_guard lock(local_mutex_);
            const auto it = local_.find(channel);
            if (it == local_.end()) return;
            for (const auto& s : it->second)
                behind |= !s->push(payload);
        }
        if (behind)
            warn("a subscriber of " + bareasio::detail::printable(channel) +
                 " fell behind: messages were dropped for it (see broadcast_message::dropped)");
    }

    // ---- the subscriber connection, on the strand -----------------------------

    asio::awaitable<void> opened(connection& c) override {
        // PING first: a refusal (NOAUTH) is Redis's answer to it, said here.
        co_await c.command("PING");
        conn_ = &c;
        pong_due_ = false;
        std::vector<std::string> channels;
        {
            std::lock_guard lock(local_mutex_);
            for (const auto& [name, subs] : local_)
                channels.push_back(name);
        }
        std::vector<std::string_view> args{"SUBSCRIBE"};
        args.insert(args.end(), channels.begin(), channels.end());
        if (!channels.empty()) write_command(args);
        if (!pinger_) pinger_.emplace(*io_strand());
        asio::co_spawn(*io_strand(), ping(shared()), asio::detached);
    }

    asio::awaitable<void> serve(connection& c) override {
        for (;;) {
            const reply r = co_await c.read();
            if (r.is_error()) throw error(std::string(r.text()));
            if (r.size() == 3 && r[0].text() == "message")
                arrived(r[1].text(), r[2].text());
            else if (r.text() == "PONG" || (r.size() == 2 && r[0].text() == "pong"))
                pong_due_ = false;
        }
    }

    void arrived(std::string_view channel, std::string_view data) {
        if (framed(data)) {
            if (data.substr(0, sender_digits) == sender_) return; // ours, delivered already
            data.remove_prefix(sender_digits + 1);
        }
        deliver(channel, bareasio::detail::share_trimmed(std::string(data)));
    }

    void lost(const std::string&) override {
        conn_ = nullptr;
        if (pinger_) pinger_->cancel();
        std::lock_guard lock(local_mutex_);
        for (const auto& [name, subs] : local_)
            for (const auto& s : subs)
                s->mark_gap();
    }

    void interrupt() override {
        if (pinger_) pinger_->cancel();
    }
    // The timer goes with the connection: the broadcaster may outlive the loop.
    void drop_timers() noexcept override { pinger_.reset(); }

    // Every second: the last PING must have had its answer, then another.
    static asio::awaitable<void> ping(std::shared_ptr<broadcast_link> self) {
        for (;;) {
            self->pinger_->expires_after(std::chrono::seconds(1));
            std::error_code ec;
            co_await self->pinger_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (ec || !self->conn_ || self->stopping()) co_return;
            if (self->pong_due_) {
                self->log("no answer to PING: reconnecting");
                self->break_connection();
                co_return;
            }
            self->pong_due_ = true;
            self->write_command({"PING"});
        }
    }

    void write_command(std::initializer_list<std::string_view> args) {
        write_command(std::span<const std::string_view>(args.begin(), args.size()));
    }
    void write_command(std::span<const std::string_view> args) {
        if (!conn_) return; // opened() subscribes to every channel
        std::string encoded;
        connection::encode(encoded, args);
        conn_->queue_encoded(encoded);
        writes_due_ = true;
        if (!writing_) asio::co_spawn(*io_strand(), write(shared()), asio::detached);
    }

    static asio::awaitable<void> write(std::shared_ptr<broadcast_link> self) {
        self->writing_ = true;
        try {
            while (self->writes_due_ && self->conn_) {
                self->writes_due_ = false;
                co_await self->conn_->flush();
            }
        } catch (const std::exception&) {
            self->break_connection(); // the reader fails too, and serve() ends
        }
        self->writing_ = false;
    }

    // A warning an outsider can repeat at will: at most one line per 10 s.
    void warn(std::string text) {
        std::lock_guard lock(warn_mutex_);
        if (auto line = warnings_.pass(std::move(text)); !line.empty()) log(line);
    }

    const broadcaster_options options_;
    const std::string sender_;
    std::shared_ptr<client_link> publisher_;
    std::mutex local_mutex_;
    std::map<std::string, std::vector<std::shared_ptr<subscription_state>>, std::less<>> local_;
    std::mutex warn_mutex_;
    bareasio::detail::log_limiter warnings_;

    // On the strand only:
    connection* conn_ = nullptr; // the subscriber, while connected
    std::optional<asio::steady_timer> pinger_;
    bool pong_due_ = false;
    bool writes_due_ = false;
    bool writing_ = false;
};

std::shared_ptr<broadcast_link> make_broadcast_link(broadcaster_options options) {
    return std::make_shared<broadcast_link>(options);
}

void end_subscription(broadcast_link& link, const std::shared_ptr<subscription_state>& state) {
    link.remove(state);
}

} // namespace bareasio::redis::detail

namespace bareasio::redis {

asio::awaitable<void> broadcaster::connect(asio::any_io_executor ex, std::string url) {
    return link_->connect(std::move(ex), std::move(url));
}

asio::awaitable<void> broadcaster::close() {
    return link_->close();
}

void broadcaster::publish(std::string_view channel, std::string payload) {
    link_->publish(channel, std::move(payload));
}

subscription broadcaster::subscribe(std::string channel) {
    return subscription(link_, link_->add(std::move(channel)));
}

bool broadcaster::connected() const noexcept {
    return link_->both_connected();
}

broadcaster::~broadcaster() {
    if (link_) link_->stop_both_soon();
}

} // namespace bareasio::redis
