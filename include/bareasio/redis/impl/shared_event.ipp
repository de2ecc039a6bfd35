// The shared event's connection to Redis: a command connection and a
// subscriber, run on one strand by one background task that reconnects.
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/async/wait_for.hpp>
#include <bareasio/detail/log.hpp>
#include <bareasio/redis/connection.hpp>
#include <bareasio/redis/shared_event.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/this_coro.hpp>

#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

namespace bareasio::redis::detail {

// Both scripts take KEYS[1] = the key, ARGV[1] = "1" or "0", ARGV[2] = an
// epoch to use if the hash does not exist, and return "epoch version state".
// The write: count the version up, store the state, publish.
inline constexpr std::string_view write_script = R"lua(
local e = redis.call('HGET', KEYS[1], 'epoch')
if not e then e = ARGV[2]; redis.call('HSET', KEYS[1], 'epoch', e) end
local v = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'state', ARGV[1])
local m = e .. ' ' .. v .. ' ' .. ARGV[1]
redis.call('PUBLISH', KEYS[1], m)
return m
)lua";

// The read on (re)connect: the stored state, or if there is none (a new
// key, or Redis restarted empty), this process's state as a new epoch.
inline constexpr std::string_view sync_script = R"lua(
local h = redis.call('HMGET', KEYS[1], 'epoch', 'version', 'state')
if h[1] and h[2] and h[3] then return h[1] .. ' ' .. h[2] .. ' ' .. h[3] end
redis.call('HSET', KEYS[1], 'epoch', ARGV[2], 'version', 1, 'state', ARGV[1])
local m = ARGV[2] .. ' 1 ' .. ARGV[1]
redis.call('PUBLISH', KEYS[1], m)
return m
)lua";

// One published or returned state: "epoch version state".
struct shared_state {
    std::string epoch;
    long long version = 0;
    bool set = false;

    static std::optional<shared_state> parse(std::string_view text) {
        auto first = text.find(' ');
        auto second = text.rfind(' ');
        if (first == std::string_view::npos || first == second) return std::nullopt;
        shared_state s{std::string(text.substr(0, first))};
        auto digits = text.substr(first + 1, second - first - 1);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), s.version);
        auto flag = text.substr(second + 1);
        if (ec != std::errc() || end != digits.data() + digits.size() ||
            (flag != "1" && flag != "0"))
            return std::nullopt;
        s.set = flag == "1";
        return s;
    }
};

inline std::string new_epoch() {
    std::random_device rd;
    const auto value = (std::uint64_t(rd()) << 32) | rd();
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
    return text;
}

inline const char* flag(bool set) {
    return set ? "1" : "0";
}
inline const char* word(bool set) {
    return set ? "set" : "clear";
}

class shared_event_link : public std::enable_shared_from_this<shared_event_link> {
    using strand_type = asio::strand<asio::any_io_executor>;
    using clock = std::chrono::steady_clock;

public:
    explicit shared_event_link(std::string key) : key_(std::move(key)) {}

    event mirror;

    const std::string& key() const noexcept { return key_; }
    bool connected() const noexcept { return connected_.load(std::memory_order_acquire); }
    std::uint64_t reconnects() const noexcept { return reconnects_.load(); }

    // set() and clear(): the mirror at once; Redis through the strand.
    void change(bool set) {
        set ? mirror.set() : mirror.clear();
        if (!started_.load(std::memory_order_acquire)) return;
        asio::post(*strand_, [self = shared_from_this(), set] { self->local_change(set); });
    }

    static asio::awaitable<void> connect(std::shared_ptr<shared_event_link> self,
                                         asio::any_io_executor ex, std::string url,
                                         shared_event_options options) {
        if (self->started_.load()) throw std::logic_error("shared_event: connect() twice");
        self->where_ = endpoint::parse(url);
        self->options_ = options;
        self->strand_.emplace(asio::make_strand(ex));
        std::exception_ptr failure;
        try {
            co_await asio::co_spawn(*self->strand_, first_connect(self), asio::use_awaitable);
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) {
            self->strand_.reset(); // nothing of the context may outlive it
            std::rethrow_exception(failure);
        }
    }

    static asio::awaitable<void> close(std::shared_ptr<shared_event_link> self) {
        if (!self->started_.exchange(false)) co_return;
        co_await asio::co_spawn(*self->strand_, stop(self), asio::use_awaitable);
        co_await self->ended_.wait();
        // The task released its I/O objects; the strand goes too, so the
        // event may outlive its io_context (as the application's state does).
        self->strand_.reset();
    }

    // From the destructor of the last shared_event handle: stop, don't wait.
    void request_stop() {
        if (!started_.exchange(false)) return;
        asio::co_spawn(*strand_, stop(shared_from_this()), asio::detached);
    }

private:
    static asio::awaitable<void> stop(std::shared_ptr<shared_event_link> self) {
        self->stopping_ = true;
        self->wake_->cancel();
        if (self->sleeper_) self->sleeper_->cancel();
        self->close_connections();
        co_return;
    }

    void log(const std::string& text) const {
        bareasio::detail::log_line("redis " + where_.address() + " " + key_ + ": " + text);
    }

    void close_connections() noexcept {
        if (commands_) commands_->close();
        if (subscriber_) subscriber_->close();
    }

    // connect(): keep trying until the connect timeout, then start the task.
    static asio::awaitable<void> first_connect(std::shared_ptr<shared_event_link> self) {
        const auto deadline = clock::now() + self->options_.connect_timeout;
        auto delay = self->options_.reconnect_delay;
        for (;;) {
            std::string failure;
            try {
                co_await self->open(deadline - clock::now());
                break;
            } catch (const std::exception& e) {
                failure = e.what();
            }
            self->close_connections();
            if (clock::now() + delay >= deadline) {
                self->release_io();
                throw std::runtime_error("cannot reach Redis at " + self->where_.address() +
                                         " within " + seconds(self->options_.connect_timeout) +
                                         ": " + failure);
            }
            co_await self->sleep(delay);
            delay = std::min(delay * 2, self->options_.max_reconnect_delay);
        }
        self->stopping_ = false;
        self->ended_.clear();
        self->started_.store(true, std::memory_order_release);
        self->log("connected; the event is " + std::string(word(self->mirror.is_set())) +
                  " (epoch " + self->epoch_ + ", version " + std::to_string(self->version_) + ")");
        asio::co_spawn(*self->strand_, run(self), [self](std::exception_ptr) {
            self->connected_.store(false);
            self->ended_.set();
        });
    }

    static std::string seconds(std::chrono::milliseconds d) {
        char text[32];
        std::snprintf(text, sizeof text, "%.1f s", double(d.count()) / 1000);
        return text;
    }

    // Waits `delay`, or less if close() cancels it.
    asio::awaitable<void> sleep(std::chrono::milliseconds delay) {
        if (!sleeper_) sleeper_.emplace(*strand_);
        sleeper_->expires_after(delay);
        std::error_code ec;
        co_await sleeper_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }

    // The background task: serve while connected, reconnect when not.
    static asio::awaitable<void> run(std::shared_ptr<shared_event_link> self) {
        while (!self->stopping_) {
            std::string failure = co_await self->serve();
            if (self->stopping_) break;
            self->connected_.store(false, std::memory_order_release);
            self->close_connections();
            self->log("connection lost (" + failure + "); serving the local state, reconnecting");
            co_await self->reconnect();
        }
        self->release_io();
    }

    // On the strand: the sockets and timers go before their io_context can.
    void release_io() noexcept {
        close_connections();
        commands_.reset();
        subscriber_.reset();
        wake_.reset();
        sleeper_.reset();
    }

    asio::awaitable<void> reconnect() {
        const auto lost = clock::now();
        auto delay = options_.reconnect_delay;
        while (!stopping_) {
            co_await sleep(delay);
            if (stopping_) co_return;
            try {
                co_await open(options_.connect_timeout);
                ++reconnects_;
                auto ms =
                    std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - lost);
                log("reconnected after " + seconds(ms) + "; the event is " + word(mirror.is_set()) +
                    " (epoch " + epoch_ + ", version " + std::to_string(version_) + ")");
                co_return;
            } catch (const std::exception&) {
                close_connections();
            }
            delay = std::min(delay * 2, options_.max_reconnect_delay);
        }
    }

    // Connects both connections, subscribes, then reads (or, with a change
    // made while offline, writes) the state.
    asio::awaitable<void> open(clock::duration budget) {
        using namespace asio::experimental::awaitable_operators;
        auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(budget);
        if (timeout <= std::chrono::milliseconds(0)) timeout = std::chrono::milliseconds(1);
        commands_.emplace(*strand_);
        subscriber_.emplace(*strand_);
        fresh_epoch_ = new_epoch(); // one per connection: reading the entropy costs
        wake_.emplace(*strand_);
        co_await (commands_->connect(where_, timeout) && subscriber_->connect(where_, timeout));
        co_await bareasio::wait_for(sync(), timeout);
        connected_.store(true, std::memory_order_release);
    }

    asio::awaitable<void> sync() {
        subscriber_->queue("SUBSCRIBE", key_);
        co_await subscriber_->flush();
        auto confirmed = co_await subscriber_->read();
        if (confirmed.size() != 3 || confirmed[0].text() != "subscribe")
            throw error("unexpected reply to SUBSCRIBE");
        write_sha_ =
            std::string((co_await commands_->command("SCRIPT", "LOAD", write_script)).text());
        sync_sha_ =
            std::string((co_await commands_->command("SCRIPT", "LOAD", sync_script)).text());
        if (replay_) { // the writer sends it first thing, once connected
            log(std::string("writing the change made while Redis was unreachable: ") +
                word(last_local_));
            queued_.assign(1, last_local_);
            co_return;
        }
        auto r = co_await commands_->command("EVALSHA", sync_sha_, "1", key_, flag(mirror.is_set()),
                                             fresh_epoch_);
        apply(r.text());
    }

    // Runs the subscriber and the writer until either fails; returns why.
    // Each closes both connections when it fails, so the other ends too.
    asio::awaitable<std::string> serve() {
        using namespace asio::experimental::awaitable_operators;
        failure_.clear();
        try {
            co_await (listen() || write());
        } catch (const std::exception& e) {
            if (failure_.empty()) failure_ = e.what();
        }
        co_return failure_;
    }

    // The first failure of listen() or write() names the cause.
    void break_connections(const std::string& why) {
        if (failure_.empty()) failure_ = why;
        close_connections();
        wake_->cancel();
    }

    asio::awaitable<void> listen() {
        for (;;) {
            auto r = co_await next_message();
            if (r.size() == 3 && r[0].text() == "message") apply(r[2].text());
        }
    }

    asio::awaitable<reply> next_message() {
        try {
            co_return co_await subscriber_->read();
        } catch (const std::system_error& e) {
            break_connections("subscriber: " + e.code().message() +
                              " (Redis stopped, or closed a subscriber that fell behind its "
                              "client-output-buffer-limit)");
            throw;
        }
    }

    asio::awaitable<void> write() {
        try {
            co_await write_loop();
        } catch (const std::exception& e) {
            break_connections(std::string("commands: ") + e.what());
            throw;
        }
    }

    asio::awaitable<void> write_loop() {
        for (;;) {
            if (queued_.empty()) {
                wake_->expires_after(options_.ping_interval);
                std::error_code ec;
                co_await wake_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
                if (stopping_) co_return;
                if (!commands_->is_open()) throw std::runtime_error("connection closed");
                if (queued_.empty()) {
                    co_await bareasio::wait_for(commands_->command("PING"), options_.reply_timeout);
                    continue;
                }
            }
            co_await write_queued();
        }
    }

    // Sends every queued change in one write, then reads their replies.
    asio::awaitable<void> write_queued() {
        const std::size_t count = queued_.size();
        for (bool set : queued_)
            commands_->queue("EVALSHA", write_sha_, "1", key_, flag(set), fresh_epoch_);
        queued_.clear();
        replay_ = true; // until the replies arrive
        co_await commands_->flush();
        for (std::size_t i = 0; i < count; ++i) {
            auto r = co_await bareasio::wait_for(commands_->read(), options_.reply_timeout);
            if (r.is_error()) throw error("script: " + std::string(r.text()));
            apply(r.text());
        }
        if (queued_.empty()) replay_ = false;
    }

    // On the strand: a set() or clear() of this process.
    void local_change(bool set) {
        last_local_ = set;
        if (connected()) {
            queued_.push_back(set);
            wake_->cancel();
            return;
        }
        // Offline, only the last change matters; one still connecting is
        // written once the connection is up.
        if (!replay_)
            log(std::string("changed while Redis is unreachable (") + word(set) +
                "); it will be written on reconnect");
        replay_ = true;
        queued_.assign(1, set);
    }

    // A state from Redis: taken if it is newer than what the mirror saw.
    void apply(std::string_view text) {
        auto s = shared_state::parse(text);
        if (!s) {
            log("ignored a malformed state: " + std::string(text));
            return;
        }
        if (s->epoch == epoch_ && s->version <= version_) return;
        if (!epoch_.empty() && s->epoch != epoch_)
            log("new epoch " + s->epoch + " (was " + epoch_ +
                "; Redis restarted empty or the key was deleted); the event is " + word(s->set));
        epoch_ = s->epoch;
        version_ = s->version;
        s->set ? mirror.set() : mirror.clear();
    }

    const std::string key_;
    endpoint where_;
    shared_event_options options_;
    std::optional<strand_type> strand_;
    std::atomic<bool> started_{false};
    std::atomic<bool> connected_{false};
    std::atomic<std::uint64_t> reconnects_{0};
    event ended_;

    // On the strand only:
    std::optional<connection> commands_;
    std::optional<connection> subscriber_;
    std::optional<asio::steady_timer> wake_;
    std::optional<asio::steady_timer> sleeper_;
    bool stopping_ = false;
    std::string failure_; // why the connections were lost
    std::string write_sha_, sync_sha_;
    std::string epoch_;
    std::string fresh_epoch_; // the epoch this connection creates, if the hash is gone
    long long version_ = 0;
    std::deque<bool> queued_;
    bool last_local_ = false;
    bool replay_ = false; // a local change Redis may not have: write last_local_
};

BAREASIO_DECL std::shared_ptr<shared_event_link> make_shared_event_link(std::string key) {
    return std::make_shared<shared_event_link>(std::move(key));
}

BAREASIO_DECL event& mirror_of(shared_event_link& link) noexcept {
    return link.mirror;
}

} // namespace bareasio::redis::detail

namespace bareasio::redis {

BAREASIO_DECL asio::awaitable<void> shared_event::connect(asio::any_io_executor ex, std::string url,
                                                          shared_event_options options) {
    return detail::shared_event_link::connect(link_, std::move(ex), std::move(url), options);
}

BAREASIO_DECL asio::awaitable<void> shared_event::close() {
    return detail::shared_event_link::close(link_);
}

BAREASIO_DECL bool shared_event::connected() const noexcept {
    return link_->connected();
}

BAREASIO_DECL std::uint64_t shared_event::reconnects() const noexcept {
    return link_->reconnects();
}

BAREASIO_DECL const std::string& shared_event::key() const noexcept {
    return link_->key();
}

BAREASIO_DECL void shared_event::set() {
    link_->change(true);
}

BAREASIO_DECL void shared_event::clear() {
    link_->change(false);
}

BAREASIO_DECL shared_event::~shared_event() {
    if (link_) link_->request_stop();
}

} // namespace bareasio::redis
