// pg::detail::listen_registry: the pool's listeners by channel, each with
// a bounded queue; the listening connection delivers into it, marks a gap
// when it reconnects, and asks it which channels to LISTEN on.
// Thread safety: every member from any thread (one mutex each).
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/pg/listener.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bareasio::pg::detail {

struct listen_queue {
    explicit listen_queue(std::size_t l) : limit(l) {}

    void push(std::string_view channel, std::string_view payload) {
        {
            std::lock_guard lock(mutex);
            if (ended) return;
            if (bytes != 0 && bytes + payload.size() > limit) {
                ++dropped;
                return;
            }
            queue.push_back(notification{std::string(channel), std::string(payload),
                                         std::exchange(dropped, 0), std::exchange(gap, false)});
            bytes += payload.size();
        }
        ready.set();
    }
    void mark_gap() {
        std::lock_guard lock(mutex);
        gap = true;
    }

    const std::size_t limit;
    std::mutex mutex; // guards what follows
    std::deque<notification> queue;
    std::size_t bytes = 0;
    std::uint64_t dropped = 0;
    bool gap = false;
    bool ended = false;
    event ready; // set when a notification is queued or it ended
};

class listen_registry {
public:
    static constexpr std::size_t queue_bytes = 1 << 20;

    // A listener of `channel`; `first` tells whether the channel is new.
    std::shared_ptr<listen_queue> add(const std::string& channel, bool& first) {
        auto q = std::make_shared<listen_queue>(queue_bytes);
        std::lock_guard lock(mutex_);
        auto& list = channels_[channel];
        std::erase_if(list, [](const auto& w) { return w.expired(); });
        first = list.empty();
        list.push_back(q);
        return q;
    }
    void deliver(std::string_view channel, std::string_view payload) {
        for (const auto& q : listeners(channel))
            q->push(channel, payload);
    }
    void mark_gap() {
        for (const auto& q : listeners({}))
            q->mark_gap();
    }
    void end_all() {
        for (const auto& q : listeners({}))
            end_listening(*q);
        std::lock_guard lock(mutex_);
        channels_.clear();
    }
    std::vector<std::string> channels() const {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        for (const auto& [name, list] : channels_)
            out.push_back(name);
        return out;
    }
    bool empty() const {
        std::lock_guard lock(mutex_);
        return channels_.empty();
    }

private:
    // The listeners of `channel` (every listener for an empty one).
    std::vector<std::shared_ptr<listen_queue>> listeners(std::string_view channel) const {
        std::vector<std::shared_ptr<listen_queue>> out;
        std::lock_guard lock(mutex_);
        for (const auto& [name, list] : channels_)
            if (channel.empty() || name == channel)
                for (const auto& w : list)
                    if (auto q = w.lock()) out.push_back(std::move(q));
        return out;
    }

    mutable std::mutex mutex_;
    std::map<std::string, std::vector<std::weak_ptr<listen_queue>>, std::less<>> channels_;
};

// LISTEN "channel", quoted as an identifier (any text is a channel name).
inline std::string listen_statement(std::string_view channel) {
    std::string out = "LISTEN \"";
    for (const char c : channel) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

} // namespace bareasio::pg::detail
