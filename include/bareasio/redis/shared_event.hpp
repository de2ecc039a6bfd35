// redis::shared_event: the seed's event shared by every process (on any
// machine) that names the same Redis and key. It has event's interface:
// set(), clear(), is_set(), wait(), wait_for(), wait_until(); a set() in one
// process wakes the waiters of all.
//     struct state { redis::shared_event toggled{"myapp:toggled"}; };
//     app.lifespan.add("redis",
//         [](lifespan_context& ctx) { return ctx.info<state>().toggled.connect(ctx.executor, url); },
//         [](lifespan_context& ctx) { return ctx.info<state>().toggled.close(); });
// Until connect() it is a local event, and after close() again. Call close()
// before the io_context that connect() was given is destroyed (a lifespan
// shutdown handler does it): the connections live on that context.
//
// How: Redis holds the state in a hash at the key, with a version (counted
// up by every change) and an epoch (a random id written when the hash is
// created, so a Redis that restarted empty is recognised). set() and clear()
// change it and publish the new "epoch version state" on the channel of the
// same name in one Lua script. Each process mirrors the state in a local
// event: is_set() and the waits never touch the network, and a published
// change sets or clears the mirror when it is the next version of the
// current epoch. Anyone who can reach Redis can publish on the channel, so
// anything else published (a jump ahead, another epoch, garbage) is logged
// and not taken, and the hash is read instead; each idle check (every
// ping_interval) reads the hash too and takes it where the channel misled.
// A refusal (NOAUTH, WRONGPASS, NOPERM, the key holding another type) fails
// connect() at once with Redis's answer, and later is retried every 10 s;
// a hash with fields this event never writes is rewritten as a new epoch.
//
// Guarantees:
//  - set() and clear() apply to this process at once and reach Redis in
//    the order they were called; other processes see the change when the
//    publication arrives (about a millisecond on loopback).
//  - On every (re)connect it subscribes first, then reads the state, so no
//    change can fall between the two.
//  - While Redis is unreachable, every process goes on with its mirror;
//    changes made meanwhile are applied locally and the last one is written
//    when Redis is back (logged), where the last writer in Redis's order wins.
//    A change whose acknowledgement was lost with the connection is written
//    again (at least once, never lost).
//  - Once Redis is up and changes stop, every connected process holds the
//    state of the highest version in the current epoch. If Redis restarted
//    empty, the first process to reconnect writes its state as a new epoch.
//  - On reconnecting, Redis's state is adopted whatever its version (Redis
//    restarted from an older snapshot keeps the epoch, with a lower version).
//  - A subscriber that Redis disconnects (its output-buffer limit for slow
//    subscribers, a restart), or that stops answering PING (checked every
//    ping_interval, as the command connection is), reconnects and rereads
//    the state: never a silent stall, always a log line.
//  - close() writes the changes made before it, then closes.
// What is lost: only intermediate states. A waiter on another process may
// miss a set() that a clear() undid before the publication arrived, as a
// waiter on a local event misses a set() followed by clear() before it runs.
//
// Link: libbareasio_redis and hiredis. The Redis code (impl/shared_event.ipp)
// is compiled once into that library, in the header-only mode as in the
// separate one, so no program compiles it again: meson's bareasio_redis_dep
// and bareasio_redis_separate_dep (pkg-config: bareasio-redis,
// bareasio-redis-separate) link it; without them, compile src/redis.cpp
// with the program's flags.
// Thread safety: as event: every member is safe from any thread, except that
// connect() and close() must not overlap each other.
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/redis/endpoint.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace bareasio::redis {

struct shared_event_options {
    // How long connect() keeps trying (startup fails past it).
    std::chrono::milliseconds connect_timeout{5000};
    // A command not answered within this is a lost connection.
    std::chrono::milliseconds reply_timeout{2000};
    // An idle connection is checked with PING this often.
    std::chrono::milliseconds ping_interval{1000};
    // The delay before reconnecting, doubling up to the maximum.
    std::chrono::milliseconds reconnect_delay{100};
    std::chrono::milliseconds max_reconnect_delay{500};
};

namespace detail {
class shared_event_link;
std::shared_ptr<shared_event_link> make_shared_event_link(std::string key);
event& mirror_of(shared_event_link& link) noexcept;
} // namespace detail

class shared_event {
public:
    // `key` names the event in Redis: the hash and the channel.
    explicit shared_event(std::string key)
        : link_(detail::make_shared_event_link(std::move(key))),
          mirror_(&detail::mirror_of(*link_)) {}
    shared_event(shared_event&&) noexcept = default; // a moved-from one may only be destroyed
    // Stops the background task (without waiting for it) if close() was not called.
    ~shared_event();
    shared_event& operator=(shared_event&&) = delete;
    shared_event(const shared_event&) = delete;
    shared_event& operator=(const shared_event&) = delete;

    // Connects to Redis (redis://host:port/db) and joins the shared state:
    // Redis's state wins, or this one's if Redis has none yet. Keeps trying
    // until options.connect_timeout, then throws std::runtime_error naming
    // the address. Afterwards a background task on `ex` (through a strand)
    // keeps the event in step and reconnects, until close().
    asio::awaitable<void> connect(asio::any_io_executor ex, std::string url,
                                  shared_event_options options = {});
    // Writes what set()/clear() queued, stops the background task and closes
    // the connections; waits for all of it. Afterwards a local event again.
    asio::awaitable<void> close();

    // Whether it is connected to Redis and in step with it now.
    bool connected() const noexcept;
    // How many times a lost connection was made again (each is logged).
    std::uint64_t reconnects() const noexcept;
    const std::string& key() const noexcept;

    void set();
    void clear();
    bool is_set() const noexcept { return mirror_->is_set(); }

    // As event's waits: on the local mirror, resuming on the caller's executor.
    template <class CompletionToken = asio::use_awaitable_t<>>
    auto wait(CompletionToken&& token = {}) {
        return mirror_->wait(std::forward<CompletionToken>(token));
    }
    template <class Rep, class Period, class CompletionToken = asio::use_awaitable_t<>>
    auto wait_for(std::chrono::duration<Rep, Period> timeout, CompletionToken&& token = {}) {
        return mirror_->wait_for(timeout, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = asio::use_awaitable_t<>>
    auto wait_until(std::chrono::steady_clock::time_point deadline, CompletionToken&& token = {}) {
        return mirror_->wait_until(deadline, std::forward<CompletionToken>(token));
    }

private:
    std::shared_ptr<detail::shared_event_link> link_;
    event* mirror_;
};

} // namespace bareasio::redis
