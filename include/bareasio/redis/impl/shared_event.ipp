// The shared event's connection to Redis: a command connection and a
// subscriber, run on one strand by one background task that reconnects.
// Compiled once, into libbareasio_redis (src/redis.cpp); no header includes it.
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/detail/log.hpp>
#include <bareasio/redis/connection.hpp>
#include <bareasio/redis/shared_event.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
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
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

namespace bareasio::redis::detail {

// Both scripts take KEYS[1] = the key, ARGV[1] = "1" or "0", ARGV[2] = an
// epoch to use if the hash does not exist, and return {"epoch version
// state", note}. They check the hash first: a key of another type is an
// error (WRONGTYPE, said plainly); a hash whose fields are not what this
// event writes (a version that is not a number, say) is rewritten as a new
// epoch with ARGV[1], and the note says what it held.
inline constexpr std::string_view check_hash = R"lua(
local t = redis.call('TYPE', KEYS[1])['ok']
if t ~= 'hash' and t ~= 'none' then
  return redis.error_reply('WRONGTYPE the key holds a ' .. t .. ', not the shared event\'s hash')
end
local h = redis.call('HMGET', KEYS[1], 'epoch', 'version', 'state')
local valid = h[1] and h[2] and h[3] and string.match(h[1], '^[%w]+$') and
  string.match(h[2], '^%d+$') and #h[2] <= 18 and (h[3] == '0' or h[3] == '1')
local note = ''
if not valid then
  if h[1] or h[2] or h[3] then
    note = 'epoch ' .. tostring(h[1]) .. ', version ' .. tostring(h[2]) .. ', state ' .. tostring(h[3])
  end
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'epoch', ARGV[2], 'version', 0, 'state', ARGV[1])
end
)lua";

// The write: count the version up, store the state, publish.
inline constexpr std::string_view write_script = R"lua(
local e = redis.call('HGET', KEYS[1], 'epoch')
local v = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'state', ARGV[1])
local m = e .. ' ' .. v .. ' ' .. ARGV[1]
redis.call('PUBLISH', KEYS[1], m)
return {m, note}
)lua";

// The read on (re)connect and every ping_interval: the stored state, or if
// there is none (a new key, or Redis restarted empty), this process's state
// as a new epoch.
inline constexpr std::string_view sync_script = R"lua(
if valid then return {h[1] .. ' ' .. h[2] .. ' ' .. h[3], ''} end
redis.call('HSET', KEYS[1], 'version', 1)
local m = ARGV[2] .. ' 1 ' .. ARGV[1]
redis.call('PUBLISH', KEYS[1], m)
return {m, note}
)lua";

// A script as Redis runs it: the check, then `body`.
inline std::string checked(std::string_view body) {
    return std::string(check_hash) + std::string(body);
}

// What Redis refuses for reasons no retry mends: credentials, permissions,
// a key that holds something else. Said at once by connect(), and retried
// only every refused_retry afterwards.
inline bool refused(std::string_view failure) noexcept {
    for (std::string_view code : {"NOAUTH", "WRONGPASS", "NOPERM", "WRONGTYPE"})
        if (failure.find(code) != std::string_view::npos) return true;
    return false;
}
inline constexpr std::chrono::seconds refused_retry{10};

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
    // set() and clear() from any thread: the mirror at once; Redis through
    // the strand, from the moment connect() starts until close() starts.
    void change(bool set) {
        set ? mirror.set() : mirror.clear();
        std::lock_guard lock(strand_mutex_);
        if (accepting_)
            asio::post(*strand_, [self = shared_from_this(), set] { self->local_change(set); });
    }

    static asio::awaitable<void> connect(std::shared_ptr<shared_event_link> self,
                                         asio::any_io_executor ex, std::string url,
                                         shared_event_options options) {
        if (self->strand()) throw std::logic_error("shared_event: connect() while connected");
        self->where_ = endpoint::parse(url);
        self->options_ = options;
        self->forget(); // what an earlier connection knew; Redis's state wins now
        auto strand = asio::make_strand(ex);
        {
            std::lock_guard lock(self->strand_mutex_);
            self->strand_.emplace(strand);
            self->accepting_ = true;
        }
        self->io_strand_.emplace(strand); // the task's own copy
        std::exception_ptr failure;
        try {
            co_await asio::co_spawn(strand, first_connect(self), asio::use_awaitable);
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) {
            self->drop_strand(); // nothing of the context may outlive it
            std::rethrow_exception(failure);
        }
    }

    // Writes what set() and clear() queued before it, then stops the task
    // and waits for it to release its sockets and timers.
    static asio::awaitable<void> close(std::shared_ptr<shared_event_link> self) {
        auto strand = self->strand();
        if (!strand) co_return;
        {
            std::lock_guard lock(self->strand_mutex_);
            self->accepting_ = false;
        }
        co_await asio::co_spawn(*strand, stop(self), asio::use_awaitable);
        co_await self->ended_.wait();
        // The strand goes too, so the event may outlive its io_context (as
        // the application's state outlives serve()'s event loops).
        self->drop_strand();
    }

    // From the destructor of the last shared_event handle: stop, don't wait.
    void request_stop() {
        auto strand = this->strand();
        if (!strand) return;
        drop_strand();
        asio::co_spawn(*strand, stop(shared_from_this()), asio::detached);
    }

private:
    std::optional<strand_type> strand() {
        std::lock_guard lock(strand_mutex_);
        return strand_;
    }

    void drop_strand() {
        std::lock_guard lock(strand_mutex_);
        accepting_ = false;
        strand_.reset();
    }

    // Before a new connect(): nothing of an earlier one carries over.
    void forget() {
        epoch_.clear();
        version_ = 0;
        queued_.clear();
        replay_ = false;
        stopping_ = false;
        ended_.clear();
    }

    // Connected, the writer sends what is queued first, then everything
    // closes; otherwise at once.
    static asio::awaitable<void> stop(std::shared_ptr<shared_event_link> self) {
        self->stopping_ = true;
        if (self->wake_) self->wake_->cancel();
        if (self->sleeper_) self->sleeper_->cancel();
        if (!self->connected()) self->close_connections();
        if (!self->running_) self->ended_.set();
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
        try {
            co_await try_until_deadline(self);
        } catch (...) { // failed or cancelled: nothing of the loop may stay
            self->release_io();
            throw;
        }
        self->running_ = true;
        self->log("connected; the event is " + std::string(word(self->mirror.is_set())) +
                  " (epoch " + self->epoch_ + ", version " + std::to_string(self->version_) + ")");
        asio::co_spawn(*self->io_strand_, run(self), [self](std::exception_ptr) {
            self->release_io();
            self->running_ = false;
            self->connected_.store(false);
            self->ended_.set();
        });
    }

    static asio::awaitable<void> try_until_deadline(std::shared_ptr<shared_event_link> self) {
        const auto deadline = clock::now() + self->options_.connect_timeout;
        auto delay = self->options_.reconnect_delay;
        for (;;) {
            if (self->stopping_) throw std::runtime_error("closed while connecting");
            std::string failure;
            try {
                co_await self->open(deadline - clock::now());
                break;
            } catch (const std::exception& e) {
                failure = self->failure_.empty() ? e.what() : self->failure_;
            }
            self->close_connections();
            if (refused(failure)) // no retry mends it: said at once
                throw std::runtime_error("Redis at " + self->where_.address() +
                                         " refused the shared event: " + failure);
            if (clock::now() + delay >= deadline) {
                throw std::runtime_error("cannot reach Redis at " + self->where_.address() +
                                         " within " + seconds(self->options_.connect_timeout) +
                                         ": " + failure);
            }
            co_await self->sleep(delay);
            delay = std::min(delay * 2, self->options_.max_reconnect_delay);
        }
    }

    static std::string seconds(std::chrono::milliseconds d) {
        char text[32];
        std::snprintf(text, sizeof text, "%.1f s", double(d.count()) / 1000);
        return text;
    }

    // Waits `delay`, or less if close() cancels it.
    asio::awaitable<void> sleep(std::chrono::milliseconds delay) {
        if (!sleeper_) sleeper_.emplace(*io_strand_);
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
            self->log(refused(failure) ? "Redis refused the shared event (" + failure +
                                             "); serving the local state, trying again every " +
                                             std::to_string(refused_retry.count()) + " s"
                                       : "connection lost (" + failure +
                                             "); serving the local state, reconnecting");
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
        watchdog_.reset();
        io_strand_.reset();
    }

    asio::awaitable<void> reconnect() {
        const auto lost = clock::now();
        std::string last_failure; // logged when it changes
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
            } catch (const std::exception& e) {
                close_connections();
                std::string why = failure_.empty() ? e.what() : failure_;
                if (why != last_failure)
                    log((refused(why) ? "still refused: " : "still unreachable: ") + why);
                // A refusal is retried slowly: it is a setting or the data
                // to mend, not a network to wait for.
                delay = refused(why) ? std::chrono::milliseconds(refused_retry)
                                     : std::min(delay * 2, options_.max_reconnect_delay);
                last_failure = std::move(why);
                continue;
            }
        }
    }

    // Connects both connections, subscribes, then reads (or, with a change
    // made while offline, writes) the state.
    asio::awaitable<void> open(clock::duration budget) {
        commands_.emplace(*io_strand_);
        subscriber_.emplace(*io_strand_);
        wake_.emplace(*io_strand_);
        watchdog_.emplace(*io_strand_);
        fresh_epoch_ = new_epoch(); // one per connection: reading the entropy costs
        subscriber_ping_.reset();
        failure_.clear();
        arm(std::max<clock::duration>(budget, std::chrono::milliseconds(1)), "connecting");
        co_await commands_->open(where_);
        co_await subscriber_->open(where_);
        co_await sync();
        disarm();
        connected_.store(true, std::memory_order_release);
    }

    // The watchdog: past the deadline, both connections are closed, so the
    // operation under way fails. (A timer instead of a parallel wait keeps
    // this code small: it is compiled into every program that uses it.)
    void arm(clock::duration timeout, const char* what) {
        const auto generation = ++watchdog_generation_;
        watchdog_->expires_after(timeout);
        watchdog_->async_wait(
            [self = shared_from_this(), generation, what, timeout](std::error_code ec) {
                if (ec || generation != self->watchdog_generation_) return;
                auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
                self->break_connections(std::string("no answer from Redis within ") + seconds(ms) +
                                        " (" + what + ")");
            });
    }

    void disarm() {
        ++watchdog_generation_;
        watchdog_->cancel();
    }

    asio::awaitable<void> sync() {
        subscriber_->queue("SUBSCRIBE", key_);
        co_await subscriber_->flush();
        auto confirmed = co_await subscriber_->read();
        // Redis's own answer when it refuses (NOAUTH: a password is needed).
        if (confirmed.is_error())
            throw error(std::string(confirmed.text()) + " (Redis's answer to SUBSCRIBE)");
        if (confirmed.size() != 3 || confirmed[0].text() != "subscribe")
            throw error("unexpected reply to SUBSCRIBE");
        write_sha_ = std::string(
            (co_await commands_->command("SCRIPT", "LOAD", checked(write_script))).text());
        sync_sha_ = std::string(
            (co_await commands_->command("SCRIPT", "LOAD", checked(sync_script))).text());
        // What Redis answers now is adopted whatever the version: a Redis
        // restarted from an older snapshot has the same epoch and a lower one.
        if (replay_) {
            log(std::string("writing the change made while Redis was unreachable: ") +
                word(last_local_));
            auto r = co_await commands_->command("EVALSHA", write_sha_, "1", key_,
                                                 flag(last_local_), fresh_epoch_);
            replay_ = false;
            queued_.clear();
            apply_reply(r, true);
            co_return;
        }
        auto r = co_await commands_->command("EVALSHA", sync_sha_, "1", key_, flag(mirror.is_set()),
                                             fresh_epoch_);
        apply_reply(r, true);
    }

    // Runs the subscriber and the writer until either fails; returns why.
    // Each closes both connections when it fails, so the other ends too.
    // The subscriber runs as a task of its own; the writer here. When
    // either fails it closes both connections, so the other ends too.
    asio::awaitable<std::string> serve() {
        listening_.clear();
        asio::co_spawn(*io_strand_, listen(shared_from_this()),
                       [self = shared_from_this()](std::exception_ptr e) {
                           if (e)
                               self->break_connections("subscriber: " +
                                                       bareasio::detail::describe(e));
                           self->listening_.set();
                       });
        co_await write();
        break_connections("stopped");
        co_await listening_.wait();
        co_return failure_;
    }

    // The first failure names the cause.
    void break_connections(const std::string& why) {
        if (failure_.empty()) failure_ = why;
        close_connections();
        wake_->cancel();
    }

    static asio::awaitable<void> listen(std::shared_ptr<shared_event_link> self) {
        for (;;) {
            auto r = co_await self->next_message();
            if (r.size() == 3 && r[0].text() == "message") self->on_publication(r[2].text());
            if (r.size() == 2 && r[0].text() == "pong") self->subscriber_ping_.reset();
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

    // Ends (without throwing) when stopped or when a connection fails.
    asio::awaitable<void> write() {
        try {
            co_await write_loop();
        } catch (const std::exception& e) {
            break_connections(std::string("commands: ") + e.what());
        }
    }

    // Writes queued changes; when idle, checks both connections. Stopping,
    // it writes what is queued before it returns.
    asio::awaitable<void> write_loop() {
        for (;;) {
            if (queued_.empty()) {
                if (stopping_) co_return;
                wake_->expires_after(options_.ping_interval);
                std::error_code ec;
                co_await wake_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
                if (!commands_->is_open()) throw std::runtime_error("connection closed");
                if (queued_.empty() && !stopping_) co_await ping();
                continue;
            }
            co_await write_queued();
        }
    }

    // PING on the command connection (answered within reply_timeout) and on
    // the subscriber (its "pong" must arrive before the next check): a
    // subscriber cut off silently (a NAT, a firewall) is found too.
    asio::awaitable<void> ping() {
        if (subscriber_ping_ &&
            clock::now() - *subscriber_ping_ > options_.ping_interval + options_.reply_timeout)
            throw std::runtime_error("the subscriber did not answer PING");
        if (!subscriber_ping_) {
            subscriber_ping_ = clock::now();
            subscriber_->queue("PING");
            co_await subscriber_->flush();
        }
        co_await verify();
    }

    // Reads the state Redis holds (the command connection's liveness check
    // too) and takes it where it differs from what the channel said: the
    // channel is anyone's to publish on, the hash is the truth. A change
    // published meanwhile, or one of ours still queued, may be newer than
    // this answer: then it waits for the next check.
    asio::awaitable<void> verify() {
        const auto seen = publications_;
        arm(options_.reply_timeout, "reading the state");
        auto r = co_await commands_->command("EVALSHA", sync_sha_, "1", key_, flag(mirror.is_set()),
                                             fresh_epoch_);
        disarm();
        if (publications_ != seen || !queued_.empty()) co_return;
        const auto s = r.size() == 2 ? shared_state::parse(r[0].text()) : std::nullopt;
        if (s && s->epoch == epoch_ && s->version == version_ && s->set == mirror.is_set())
            co_return;
        if (s)
            warn("Redis holds version " + std::to_string(s->version) + " (epoch " +
                 bareasio::detail::printable(s->epoch) + "), the channel had said version " +
                 std::to_string(version_) + ": taking Redis's state (" + word(s->set) + ")");
        apply_reply(r, true);
    }

    // A state published on the channel. Anyone who can reach Redis can
    // publish there, so only the next version of the current epoch is taken
    // as it comes; anything else (a jump ahead, another epoch, garbage) is
    // logged and the state is read from the hash instead.
    void on_publication(std::string_view text) {
        ++publications_;
        const auto s = shared_state::parse(text);
        if (!s) {
            warn("ignored a publication that is not a state: " + bareasio::detail::printable(text));
            return;
        }
        if (s->epoch == epoch_ && s->version <= version_) return; // already known
        if (s->epoch == epoch_ && s->version == version_ + 1) return apply(text);
        warn("a publication of version " + std::to_string(s->version) + " (epoch " +
             bareasio::detail::printable(s->epoch) + ") does not follow version " +
             std::to_string(version_) + " (epoch " + epoch_ +
             "): not taken; reading the state from Redis");
        if (wake_) wake_->cancel(); // the writer's next idle check reads it now
    }

    // A warning an outsider can repeat at will: at most one line per 10 s.
    void warn(std::string text) {
        if (auto line = warnings_.pass(std::move(text)); !line.empty()) log(line);
    }

    // A script's answer: {"epoch version state", note}; the note says what
    // a corrupt hash held before the script rewrote it.
    void apply_reply(const reply_view& r, bool adopt) {
        if (r.size() != 2) {
            warn("ignored a malformed answer from the event's script");
            return;
        }
        if (!r[1].text().empty())
            log("the hash held what this event never writes (" +
                bareasio::detail::printable(r[1].text()) +
                "); rewrote it as a new epoch with this process's state");
        apply(r[0].text(), adopt);
    }

    // Sends every queued change in one write, then reads their replies.
    asio::awaitable<void> write_queued() {
        const std::size_t count = queued_.size();
        for (bool set : queued_)
            commands_->queue("EVALSHA", write_sha_, "1", key_, flag(set), fresh_epoch_);
        queued_.clear();
        replay_ = true; // until the replies arrive
        arm(options_.reply_timeout, "a change");
        co_await commands_->flush();
        for (std::size_t i = 0; i < count; ++i) {
            auto r = co_await commands_->read();
            if (r.is_error()) throw error(std::string(r.text()) + " (the event's write)");
            apply_reply(r, false);
        }
        disarm();
        if (queued_.empty()) replay_ = false;
    }

    // On the strand: a set() or clear() of this process.
    void local_change(bool set) {
        last_local_ = set;
        if (connected()) {
            queued_.push_back(set);
            if (wake_) wake_->cancel();
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
    // `adopt`: Redis's answer on (re)connecting, taken whatever its version.
    void apply(std::string_view text, bool adopt = false) {
        auto s = shared_state::parse(text);
        if (!s) {
            warn("ignored a malformed state: " + bareasio::detail::printable(text));
            return;
        }
        if (!adopt && s->epoch == epoch_ && s->version <= version_) return;
        if (!epoch_.empty() && s->epoch != epoch_)
            log("new epoch " + bareasio::detail::printable(s->epoch) + " (was " + epoch_ +
                "; Redis restarted empty or the key was deleted); the event is " + word(s->set));
        epoch_ = s->epoch;
        version_ = s->version;
        s->set ? mirror.set() : mirror.clear();
    }

    const std::string key_;
    endpoint where_;
    shared_event_options options_;
    std::mutex strand_mutex_;           // guards strand_ and accepting_
    std::optional<strand_type> strand_; // for posting set() and clear()
    bool accepting_ = false;
    std::atomic<bool> connected_{false};
    std::atomic<std::uint64_t> reconnects_{0};
    event ended_;

    // On the strand only:
    std::optional<connection> commands_;
    std::optional<connection> subscriber_;
    std::optional<asio::steady_timer> wake_;
    std::optional<asio::steady_timer> sleeper_;
    std::optional<asio::steady_timer> watchdog_;
    std::uint64_t watchdog_generation_ = 0;
    std::optional<clock::time_point> subscriber_ping_; // a PING without its pong yet
    event listening_;                                  // set when the subscriber's task has ended
    std::optional<strand_type> io_strand_;             // the task's strand, until it ends
    bool stopping_ = false;
    bool running_ = false; // the background task
    std::string failure_;  // why the connections were lost
    std::string write_sha_, sync_sha_;
    std::string epoch_;
    std::string fresh_epoch_; // the epoch this connection creates, if the hash is gone
    long long version_ = 0;
    std::deque<bool> queued_;
    std::uint64_t publications_ = 0; // messages on the channel, for verify()
    bareasio::detail::log_limiter warnings_;
    bool last_local_ = false;
    bool replay_ = false; // a local change Redis may not have: write last_local_
};

std::shared_ptr<shared_event_link> make_shared_event_link(std::string key) {
    return std::make_shared<shared_event_link>(std::move(key));
}

event& mirror_of(shared_event_link& link) noexcept {
    return link.mirror;
}

} // namespace bareasio::redis::detail

namespace bareasio::redis {

asio::awaitable<void> shared_event::connect(asio::any_io_executor ex, std::string url,
                                            shared_event_options options) {
    return detail::shared_event_link::connect(link_, std::move(ex), std::move(url), options);
}

asio::awaitable<void> shared_event::close() {
    return detail::shared_event_link::close(link_);
}

bool shared_event::connected() const noexcept {
    return link_->connected();
}

std::uint64_t shared_event::reconnects() const noexcept {
    return link_->reconnects();
}

const std::string& shared_event::key() const noexcept {
    return link_->key();
}

void shared_event::set() {
    link_->change(true);
}

void shared_event::clear() {
    link_->change(false);
}

shared_event::~shared_event() {
    if (link_) link_->request_stop();
}

} // namespace bareasio::redis
