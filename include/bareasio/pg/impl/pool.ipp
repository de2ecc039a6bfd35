// pg::pool: its connections (connection_link.ipp), the choice of one for
// each query, the transactions that hold one alone, and the queries that
// wait while every connection holds a transaction.
// Compiled once, into libbareasio_pg (src/pg.cpp); no header includes it.
#pragma once

#include <bareasio/pg/impl/connection_link.ipp>
#include <bareasio/pg/pool.hpp>
#include <bareasio/pg/transaction.hpp>

#include <algorithm>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace bareasio::pg::detail {

class pool_link : public std::enable_shared_from_this<pool_link> {
public:
    asio::awaitable<void> connect(asio::any_io_executor ex, std::string url, pool_options o);
    asio::awaitable<void> close();
    void stop_soon() {
        for (const auto& c : all_links())
            c->request_stop();
    }

    // A listener of `channel`; the listening connection LISTENs on it.
    std::shared_ptr<listen_queue> listen(const std::string& channel);

    // Sends `q` on the least busy connection no transaction holds; keeps it
    // while every connection up holds one.
    void dispatch(std::shared_ptr<pending_query> q);
    // A connection up that no transaction holds, now held; null if none.
    std::shared_ptr<connection_link> try_reserve();
    // A transaction ended: its connection takes queries again.
    void release(connection_link& link);
    // From any thread: the query's coroutine went away.
    void abandon(const std::shared_ptr<pending_query>& q) {
        for (const auto& c : links())
            c->abandon(q);
    }

    std::size_t connected() const noexcept {
        std::lock_guard lock(mutex_);
        return std::count_if(connections_.begin(), connections_.end(),
                             [](const auto& c) { return c->ready(); });
    }
    std::string unavailable_text() const {
        std::lock_guard lock(mutex_);
        return shared_ ? shared_->unavailable_text() : "the PostgreSQL pool is not connected";
    }
    std::shared_ptr<pool_shared> shared() const {
        std::lock_guard lock(mutex_);
        return shared_;
    }

private:
    std::vector<std::shared_ptr<connection_link>> links() const {
        std::lock_guard lock(mutex_);
        return connections_;
    }
    // The query connections and the listening one.
    std::vector<std::shared_ptr<connection_link>> all_links() const {
        std::lock_guard lock(mutex_);
        auto out = connections_;
        if (listening_link_) out.push_back(listening_link_);
        return out;
    }
    std::shared_ptr<connection_link> pick_locked() const;
    std::shared_ptr<connection_link> start_listening_locked();
    void fail_waiting();

    const std::shared_ptr<listen_registry> listening_ = std::make_shared<listen_registry>();
    mutable std::mutex mutex_; // guards all below
    std::shared_ptr<pool_shared> shared_;
    std::optional<asio::any_io_executor> executor_;
    std::vector<std::shared_ptr<connection_link>> connections_;
    std::shared_ptr<connection_link> listening_link_;    // made by the first listen()
    std::deque<std::shared_ptr<pending_query>> waiting_; // every connection held
};

inline void fail_unavailable(pending_query& q, std::string why) {
    q.unavailable = true;
    q.fail(std::move(why));
    q.done.set();
}

// The least busy connection that is up and held by no transaction.
inline std::shared_ptr<connection_link> pool_link::pick_locked() const {
    std::shared_ptr<connection_link> best;
    for (const auto& c : connections_)
        if (c->ready() && !c->reserved() && (!best || c->load() < best->load())) best = c;
    return best;
}

inline void pool_link::dispatch(std::shared_ptr<pending_query> q) {
    if (q->abandoned.load()) return fail_unavailable(*q, "abandoned before it was sent");
    std::shared_ptr<connection_link> c;
    {
        std::lock_guard lock(mutex_);
        c = pick_locked();
        const bool any_up = std::any_of(connections_.begin(), connections_.end(),
                                        [](const auto& l) { return l->ready(); });
        if (!c && any_up) {
            waiting_.push_back(std::move(q));
            return;
        }
    }
    if (!c || !c->submit(q)) fail_unavailable(*q, unavailable_text());
}

inline std::shared_ptr<connection_link> pool_link::try_reserve() {
    std::lock_guard lock(mutex_);
    for (;;) {
        auto c = pick_locked();
        if (!c || c->try_reserve()) return c;
    }
}

inline void pool_link::release(connection_link& link) {
    std::deque<std::shared_ptr<pending_query>> waiting;
    std::shared_ptr<pool_shared> shared;
    {
        std::lock_guard lock(mutex_);
        link.unreserve();
        waiting.swap(waiting_);
        shared = shared_;
    }
    for (auto& q : waiting)
        dispatch(std::move(q));
    if (shared) shared->changed.set(); // a transaction waiting for a connection
}

// Made when a channel is first listened on (or at connect() if one was):
// returns it when it was made now (to be started outside the lock).
inline std::shared_ptr<connection_link> pool_link::start_listening_locked() {
    if (listening_link_ || !shared_ || !executor_) return nullptr;
    listening_link_ = std::make_shared<connection_link>(*executor_, shared_, 0);
    return listening_link_;
}

inline std::shared_ptr<listen_queue> pool_link::listen(const std::string& channel) {
    bool first = false;
    auto q = listening_->add(channel, first);
    if (!first) return q;
    std::shared_ptr<connection_link> made, running;
    {
        std::lock_guard lock(mutex_);
        made = start_listening_locked();
        if (!made) running = listening_link_;
    }
    if (made) made->start(); // it LISTENs on every channel once connected
    if (running) {
        auto statement = std::make_shared<pending_query>();
        statement->sql = listen_statement(channel);
        running->submit(std::move(statement)); // if it is down, it LISTENs when back
    }
    return q;
}

inline void pool_link::fail_waiting() {
    std::deque<std::shared_ptr<pending_query>> waiting;
    {
        std::lock_guard lock(mutex_);
        waiting.swap(waiting_);
    }
    for (auto& q : waiting)
        fail_unavailable(*q, "the PostgreSQL pool was closed");
}

inline asio::awaitable<void> pool_link::connect(asio::any_io_executor ex, std::string url,
                                                pool_options o) {
    auto shared = std::make_shared<pool_shared>();
    shared->info = conninfo::parse(url);
    shared->options = o;
    shared->listening = listening_;
    std::vector<std::shared_ptr<connection_link>> made;
    for (std::size_t i = 0; i < std::max<std::size_t>(o.connections, 1); ++i)
        made.push_back(std::make_shared<connection_link>(ex, shared, i + 1));
    {
        std::lock_guard lock(mutex_);
        if (!connections_.empty()) throw std::logic_error("pg::pool: connect() while connected");
        shared_ = shared;
        executor_ = ex;
        connections_ = made;
        if (!listening_->empty())
            if (auto l = start_listening_locked()) made.push_back(l);
    }
    for (const auto& c : made)
        c->start();
    const auto deadline = std::chrono::steady_clock::now() + o.connect_timeout;
    std::string failure;
    for (;;) {
        shared->changed.clear();
        failure = shared->failure();
        if (connected() != 0 || is_refusal(failure) || std::chrono::steady_clock::now() >= deadline)
            break;
        co_await shared->changed.wait_until(deadline);
    }
    if (connected() != 0) co_return;
    const std::string where = shared->info.address();
    co_await close();
    if (failure.empty()) failure = "no answer";
    if (is_refusal(failure))
        throw std::runtime_error("PostgreSQL at " + where + " refused the connection: " + failure);
    throw std::runtime_error("cannot reach PostgreSQL at " + where + " within " +
                             std::to_string(o.connect_timeout.count()) + " ms: " + failure);
}

inline asio::awaitable<void> pool_link::close() {
    const auto closing = all_links();
    for (const auto& c : closing)
        c->request_stop();
    for (const auto& c : closing)
        co_await c->ended().wait();
    {
        std::lock_guard lock(mutex_);
        connections_.clear();
        listening_link_.reset();
        shared_.reset();
        executor_.reset();
    }
    fail_waiting();
    listening_->end_all();
}

// ---- what the headers declare -------------------------------------------------------

void end_listening(listen_queue& q) noexcept {
    {
        std::lock_guard lock(q.mutex);
        q.ended = true;
        q.queue.clear();
        q.bytes = 0;
    }
    q.ready.set();
}

asio::awaitable<std::optional<notification>> next_notification(std::shared_ptr<listen_queue> q) {
    for (;;) {
        std::optional<notification> got;
        bool ended = false;
        {
            std::lock_guard lock(q->mutex);
            if (!q->queue.empty()) {
                got.emplace(std::move(q->queue.front()));
                q->queue.pop_front();
                q->bytes -= got->payload.size();
            } else if (!q->ended) {
                q->ready.clear(); // under the lock: a push after this sets it
            }
            ended = q->ended;
        }
        if (got || ended) co_return got;
        co_await q->ready.wait();
    }
}

std::shared_ptr<pool_link> make_pool_link() {
    return std::make_shared<pool_link>();
}

std::shared_ptr<pending_query> send_query(const std::shared_ptr<pool_link>& link, std::string sql,
                                          params values) {
    auto q = std::make_shared<pending_query>();
    q->sql = std::move(sql);
    q->values = std::move(values);
    q->from = link;
    link->dispatch(q);
    return q;
}

std::shared_ptr<pending_query> send_in(const std::shared_ptr<pool_link>& pool,
                                       const std::shared_ptr<connection_link>& link,
                                       std::uint64_t session, std::string sql, params values) {
    auto q = std::make_shared<pending_query>();
    q->sql = std::move(sql);
    q->values = std::move(values);
    q->session = session;
    q->from = pool;
    if (!link->submit(q)) {
        q->fail("the transaction's connection to PostgreSQL was closed");
        q->done.set();
    }
    return q;
}

void end_transaction(pool_link& pool, const std::shared_ptr<connection_link>& link,
                     std::uint64_t session, bool roll_back) {
    // The ROLLBACK goes ahead of whatever the released connection takes next.
    if (roll_back) send_in(pool.shared_from_this(), link, session, "ROLLBACK", {});
    pool.release(*link);
}

asio::awaitable<transaction> begin(std::shared_ptr<pool_link> link) {
    for (;;) {
        const auto shared = link->shared();
        if (!shared) throw unavailable(link->unavailable_text());
        shared->changed.clear();
        if (auto held = link->try_reserve()) {
            transaction tx(link, held, held->session());
            co_await tx.execute("BEGIN");
            co_return tx;
        }
        if (link->connected() == 0) throw unavailable(link->unavailable_text());
        co_await shared->changed.wait();
    }
}

// Waits for `q`'s answer; a coroutine cancelled meanwhile gives it up.
asio::awaitable<void> settled(const std::shared_ptr<pending_query>& q) {
    std::exception_ptr stopped;
    try {
        co_await q->done.wait();
    } catch (...) {
        stopped = std::current_exception();
    }
    if (stopped) { // cancelled: the query goes too
        q->abandoned.store(true);
        if (const auto pool = q->from.lock()) pool->abandon(q);
        std::rethrow_exception(stopped);
    }
}

// The answer of a settled query, or its failure thrown.
result take_answer(pending_query& q) {
    if (q.unavailable) throw unavailable(q.failure);
    if (!q.failure.empty()) throw error(q.failure, q.sqlstate);
    return std::move(q.answer);
}

// An answer already in costs no wait: the pipelined queries a request
// sent together are often all answered when it awaits the second.
asio::awaitable<result> answer_of(std::shared_ptr<pending_query> q) {
    if (!q->done.is_set()) co_await settled(q);
    co_return take_answer(*q);
}

asio::awaitable<row> one_row_of(std::shared_ptr<pending_query> q) {
    if (!q->done.is_set()) co_await settled(q);
    result r = take_answer(*q);
    if (r.size() != 1)
        throw error("the query returned " + std::to_string(r.size()) + " rows, not one");
    co_return r[0];
}

asio::awaitable<std::uint64_t> affected_by(std::shared_ptr<pending_query> q) {
    if (!q->done.is_set()) co_await settled(q);
    co_return take_answer(*q).affected_rows();
}

} // namespace bareasio::pg::detail

namespace bareasio::pg {

asio::awaitable<void> pool::connect(asio::any_io_executor ex, std::string url,
                                    pool_options options) {
    return link_->connect(std::move(ex), std::move(url), options);
}

asio::awaitable<void> pool::close() {
    return link_->close();
}

listener pool::listen(std::string channel) {
    return listener(link_->listen(channel));
}

std::size_t pool::connected() const noexcept {
    return link_->connected();
}

pool::~pool() {
    if (link_) link_->stop_soon();
}

asio::awaitable<void> transaction::commit() {
    co_await send("COMMIT").get();
    open_ = false;
    detail::end_transaction(*pool_, link_, session_, false);
}

} // namespace bareasio::pg
