// One connection of a pg::pool: libpq in non-blocking pipeline mode on a
// strand, its socket awaited by Asio; each query prepared once per
// connection and sent with a Sync; reconnected with a back-off when lost;
// a query whose coroutine went away cancelled on the server (PQcancel,
// which blocks, on a thread of the pool's own).
// Compiled once, into libbareasio_pg (src/pg.cpp); no header includes it.
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/async/wait_for.hpp>
#include <bareasio/detail/asio_compat.hpp>
#include <bareasio/detail/log.hpp>
#include <bareasio/pg/detail/conninfo.hpp>
#include <bareasio/pg/detail/listen_registry.hpp>
#include <bareasio/pg/detail/pending_query.hpp>
#include <bareasio/pg/pool.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace bareasio::pg::detail {

// What a pool's connections share with it (and keep while they stop): the
// URL, the options, the last failure, an event set whenever a connection
// comes up, fails or is released by a transaction, and the thread that
// runs cancellations.
struct pool_shared {
    conninfo info;
    pool_options options;
    std::shared_ptr<listen_registry> listening; // the pool's, kept across connect()s
    event changed;
    asio::thread_pool canceller{1}; // PQcancel blocks: never on a loop

    void changed_with(std::string failure = {}) {
        if (!failure.empty()) {
            std::lock_guard lock(mutex);
            last_failure = std::move(failure);
        }
        changed.set();
    }
    std::string failure() const {
        std::lock_guard lock(mutex);
        return last_failure;
    }
    std::string unavailable_text() const {
        const auto why = failure();
        return "no connection to PostgreSQL at " + info.address() + " is up" +
               (why.empty() ? std::string() : " (" + why + ")");
    }

    mutable std::mutex mutex; // guards last_failure
    std::string last_failure;
};

struct cancel_deleter {
    void operator()(PGcancel* c) const noexcept { PQfreeCancel(c); }
};

class connection_link : public std::enable_shared_from_this<connection_link> {
public:
    using clock = std::chrono::steady_clock;
    using strand_type = asio::strand<asio::any_io_executor>;

    // Number 0 is the pool's listening connection: it LISTENs on every
    // channel of pool_shared::listening, again after each reconnection.
    connection_link(const asio::any_io_executor& ex, std::shared_ptr<pool_shared> pool,
                    std::size_t number)
        : strand_(asio::make_strand(ex)), pool_(std::move(pool)), number_(number) {}

    bool ready() const noexcept { return ready_.load(std::memory_order_acquire); }
    std::size_t load() const noexcept { return load_.load(std::memory_order_relaxed); }
    // Which connection this is: a new number each time it connects.
    std::uint64_t session() const noexcept { return session_.load(std::memory_order_acquire); }
    // A transaction holds it alone (see pool_link::reserve).
    bool try_reserve() noexcept {
        bool free = false;
        return reserved_.compare_exchange_strong(free, true, std::memory_order_acq_rel);
    }
    void unreserve() noexcept { reserved_.store(false, std::memory_order_release); }
    bool reserved() const noexcept { return reserved_.load(std::memory_order_acquire); }

    // From any thread: false (and nothing sent) once the connection ended.
    // Queries wait in an inbox that one posted call empties: a request's
    // queries cost one trip through the strand, not one each.
    bool submit(std::shared_ptr<pending_query> q) {
        std::lock_guard lock(mutex_);
        if (!strand_) return false;
        load_.fetch_add(1, std::memory_order_relaxed);
        inbox_.push_back(std::move(q));
        if (inbox_.size() == 1)
            asio::post(*strand_, [self = shared_from_this()] { self->send_inbox(); });
        return true;
    }
    // From any thread: its coroutine went away; cancelled if it runs here.
    void abandon(std::shared_ptr<pending_query> q) {
        post([self = shared_from_this(), q = std::move(q)] { self->cancel_if_running(*q); });
    }

    void start();
    void request_stop() {
        post([self = shared_from_this()] {
            self->stopping_ = true;
            std::error_code ignored;
            if (self->timer_) self->timer_->cancel();
            if (self->socket_) self->socket_->cancel(ignored);
        });
    }
    event& ended() noexcept { return ended_; }

private:
    template <class F>
    bool post(F&& f) {
        std::lock_guard lock(mutex_);
        if (!strand_) return false;
        asio::post(*strand_, std::forward<F>(f));
        return true;
    }

    asio::awaitable<void> run(strand_type s);
    void finish() noexcept;
    asio::awaitable<std::string> connect_once();
    asio::awaitable<std::string> poll_connect(PGconn* c);
    asio::awaitable<std::string> serve();
    asio::awaitable<void> sleep(std::chrono::milliseconds d);
    void send_inbox();
    void send(std::shared_ptr<pending_query> q);
    bool send_one(pending_query& q);
    void flush();
    void flush_soon();
    void set_cork(bool on) noexcept;
    asio::awaitable<void> flush_in_background();
    std::string take_results();
    std::string take_one(pending_query& q);
    void settle(std::shared_ptr<pending_query> q);
    void complete(pending_query& q);
    void cancel_if_running(const pending_query& q);
    void cancel_running();
    void drop_connection(const std::string& why);
    void listen_again();
    void deliver_notifications();
    void log(const std::string& text) const;

    std::mutex mutex_; // guards strand_ (reset when the connection ends) and inbox_
    std::optional<strand_type> strand_;
    std::vector<std::shared_ptr<pending_query>> inbox_; // submitted, not yet on the strand
    const std::shared_ptr<pool_shared> pool_;
    const std::size_t number_;
    std::atomic<bool> ready_{false};
    std::atomic<bool> reserved_{false};
    std::atomic<std::size_t> load_{0}; // queries submitted and not answered
    std::atomic<std::uint64_t> session_{0};
    event ended_;

    // On the strand only (the I/O objects go before their io_context can):
    std::optional<asio::posix::stream_descriptor> socket_; // libpq's: released, never closed
    std::optional<asio::steady_timer> timer_;
    PGconn* conn_ = nullptr;
    std::deque<std::shared_ptr<pending_query>> in_flight_;
    std::map<std::string, std::string, std::less<>> prepared_; // sql -> statement name
    std::uint64_t statements_ = 0;
    std::vector<const char*> values_;                     // send_one's parameters for libpq
    std::vector<std::shared_ptr<pending_query>> sending_; // the inbox, taken
    bool flushing_ = false;
    bool flush_posted_ = false;
    // libpq 15 writes each Sync to the socket at once (PQpipelineSync
    // flushes): while a batch is written the socket is corked, so its
    // queries leave in one segment when flush() uncorks it.
    enum class cork { off, on, unsupported } cork_ = cork::off;
    bool stopping_ = false;
    bool cancels_sent_ = false; // a cancellation may hit the query after its target
};

inline void connection_link::log(const std::string& text) const {
    bareasio::detail::log_line("postgresql " + pool_->info.address() + " (" +
                               (number_ == 0 ? std::string("listening connection")
                                             : "connection " + std::to_string(number_)) +
                               "): " + text);
}

inline void connection_link::start() {
    const strand_type s = *strand_;
    asio::co_spawn(s, run(s), [self = shared_from_this()](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& failure) {
                self->log(std::string("stopped by an error: ") + failure.what());
            }
        }
        self->finish();
    });
}

// On the strand, once run() ended: nothing of the loop stays.
inline void connection_link::finish() noexcept {
    drop_connection("the pool was closed");
    socket_.reset();
    timer_.reset();
    {
        std::lock_guard lock(mutex_);
        strand_.reset();
    }
    ended_.set();
    pool_->changed_with();
}

inline asio::awaitable<void> connection_link::sleep(std::chrono::milliseconds d) {
    timer_->expires_after(d);
    std::error_code ec;
    co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Connects, serves until the connection fails, reconnects with a back-off.
inline asio::awaitable<void> connection_link::run(strand_type s) {
    socket_.emplace(s);
    timer_.emplace(s);
    auto delay = pool_->options.reconnect_delay;
    std::string last_failure;
    std::optional<clock::time_point> lost_at;
    while (!stopping_) {
        std::string failure = co_await connect_once();
        if (failure.empty()) {
            if (lost_at)
                log("reconnected after " +
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       clock::now() - *lost_at)
                                       .count()) +
                    " ms");
            lost_at.reset();
            last_failure.clear();
            delay = pool_->options.reconnect_delay;
            failure = co_await serve();
            if (stopping_) break;
            if (number_ == 0) pool_->listening->mark_gap();
            lost_at = clock::now();
            log("connection lost (" + failure + "); reconnecting");
        } else if (failure != last_failure) {
            if (lost_at) log("still unreachable: " + failure);
            last_failure = failure;
        }
        pool_->changed_with(failure);
        co_await sleep(delay);
        delay = std::min(delay * 2, pool_->options.max_reconnect_delay);
    }
}

// One attempt; the failure, or empty once connected in pipeline mode.
inline asio::awaitable<std::string> connection_link::connect_once() {
    conninfo info = pool_->info;
    const auto& o = pool_->options;
    if (o.statement_timeout.count() > 0) {
        const auto existing = info.get("options");
        info.set("options", (existing.empty() ? "" : existing + " ") + "-c statement_timeout=" +
                                std::to_string(o.statement_timeout.count()));
    }
    if (info.needs_lookup()) {
        asio::ip::tcp::resolver resolver(*strand_);
        auto [ec, found] =
            co_await resolver.async_resolve(info.host, info.port, bareasio::detail::use_tuple);
        if (ec || found.empty()) co_return "cannot resolve " + info.host + ": " + ec.message();
        info.set("hostaddr", found.begin()->endpoint().address().to_string());
    }
    std::vector<const char*> keys, values;
    for (std::size_t i = 0; i < info.keys.size(); ++i) {
        keys.push_back(info.keys[i].c_str());
        values.push_back(info.values[i].c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    PGconn* c = PQconnectStartParams(keys.data(), values.data(), 0);
    if (!c) co_return "out of memory";
    std::string failure = co_await poll_connect(c);
    if (!failure.empty()) {
        if (socket_->is_open()) socket_->release();
        PQfinish(c);
        co_return failure;
    }
    conn_ = c;
    session_.fetch_add(1, std::memory_order_acq_rel);
    ready_.store(true, std::memory_order_release);
    if (number_ == 0) listen_again();
    pool_->changed_with();
    co_return std::string();
}

// PQconnectPoll until connected, within connect_timeout.
inline asio::awaitable<std::string> connection_link::poll_connect(PGconn* c) {
    if (PQstatus(c) == CONNECTION_BAD) co_return trimmed(PQerrorMessage(c));
    const auto deadline = clock::now() + pool_->options.connect_timeout;
    int fd = -1;
    for (;;) {
        const auto state = PQconnectPoll(c);
        if (state == PGRES_POLLING_OK) break;
        if (state == PGRES_POLLING_FAILED) co_return trimmed(PQerrorMessage(c));
        if (PQsocket(c) != fd) { // libpq may open another socket (another address)
            std::error_code ignored;
            if (socket_->is_open()) socket_->release();
            fd = PQsocket(c);
            socket_->assign(fd, ignored);
        }
        const auto wait = state == PGRES_POLLING_READING ? asio::posix::descriptor_base::wait_read
                                                         : asio::posix::descriptor_base::wait_write;
        if (stopping_) co_return "closed while connecting";
        if (clock::now() >= deadline) co_return "no answer within the connect timeout";
        std::string failure;
        try {
            co_await bareasio::wait_for(socket_->async_wait(wait, asio::use_awaitable),
                                        deadline - clock::now());
        } catch (const timeout_error&) {
            failure = "no answer within the connect timeout";
        } catch (const std::exception& e) {
            failure = e.what();
        }
        if (stopping_) co_return "closed while connecting";
        if (!failure.empty()) co_return failure;
    }
    if (PQsetnonblocking(c, 1) != 0 || PQenterPipelineMode(c) != 1)
        co_return "cannot enter pipeline mode: " + trimmed(PQerrorMessage(c));
    co_return std::string();
}

// Reads results until the connection fails or stops; returns why.
inline asio::awaitable<std::string> connection_link::serve() {
    for (;;) {
        std::error_code ec;
        co_await socket_->async_wait(asio::posix::descriptor_base::wait_read,
                                     asio::redirect_error(asio::use_awaitable, ec));
        if (stopping_) {
            drop_connection("the pool was closed");
            co_return "closed";
        }
        std::string failure = ec ? ec.message() : std::string();
        if (failure.empty() && PQconsumeInput(conn_) == 0) failure = trimmed(PQerrorMessage(conn_));
        if (failure.empty()) failure = take_results();
        if (failure.empty()) deliver_notifications();
        if (failure.empty() && PQstatus(conn_) == CONNECTION_BAD)
            failure = trimmed(PQerrorMessage(conn_));
        if (!failure.empty()) {
            drop_connection(failure);
            co_return failure;
        }
        flush(); // what waited for the socket to read
    }
}

// Sends what submit() left in the inbox, in order. (Its vectors are
// swapped, not freed: warm, taking the inbox allocates nothing.)
inline void connection_link::send_inbox() {
    sending_.clear(); // (empty, unless a send threw: then never handed back to the inbox)
    {
        std::lock_guard lock(mutex_);
        sending_.swap(inbox_);
    }
    for (auto& q : sending_)
        send(std::move(q));
    sending_.clear();
}

// Prepares (once per connection) and sends one query with its Sync.
inline void connection_link::send(std::shared_ptr<pending_query> q) {
    const bool elsewhere = q->session != 0 && q->session != session_.load();
    if (!conn_ || stopping_ || elsewhere) {
        q->unavailable = q->session == 0;
        q->fail(q->session == 0 ? pool_->unavailable_text()
                                : "the transaction's connection to PostgreSQL at " +
                                      pool_->info.address() + " was lost");
        return complete(*q);
    }
    if (q->abandoned.load(std::memory_order_acquire)) {
        q->fail("abandoned before it was sent");
        return complete(*q);
    }
    if (!send_one(*q)) {
        q->fail("cannot send the query: " + trimmed(PQerrorMessage(conn_)));
        complete(*q);
        std::error_code ignored;
        socket_->cancel(ignored); // serve() sees the connection is bad
        return;
    }
    in_flight_.push_back(std::move(q));
    flush_soon();
}

inline bool connection_link::send_one(pending_query& q) {
    set_cork(true);
    const int n = static_cast<int>(q.values.size());
    auto known = prepared_.find(q.sql);
    std::string name; // "bareasio_N": short enough not to allocate
    if (known == prepared_.end()) {
        name = "bareasio_" + std::to_string(++statements_);
        if (PQsendPrepare(conn_, name.c_str(), q.sql.c_str(), n, nullptr) != 1) return false;
        prepared_.emplace(q.sql, name);
        q.at = pending_query::stage::prepare_result;
    } else {
        name = known->second;
        q.at = pending_query::stage::query_result;
    }
    values_.clear(); // the connection's, reused: no allocation per query
    for (const auto& v : q.values)
        values_.push_back(v ? v->c_str() : nullptr);
    return PQsendQueryPrepared(conn_, name.c_str(), n, values_.data(), nullptr, nullptr, 0) == 1 &&
           PQpipelineSync(conn_) == 1;
}

// Sends what libpq holds; what the socket does not take now is sent when
// it is writable, by a coroutine of its own.
inline void connection_link::flush() {
    if (!conn_) return;
    set_cork(false);
    if (flushing_) return;
    if (PQflush(conn_) == 1) asio::co_spawn(*strand_, flush_in_background(), asio::detached);
}

// TCP_CORK on libpq's socket (Linux; not on a Unix socket): corked, the
// kernel keeps what libpq writes until it is uncorked.
inline void connection_link::set_cork(bool on) noexcept {
#ifdef TCP_CORK
    if (cork_ == cork::unsupported || (cork_ == cork::on) == on) return;
    const int value = on ? 1 : 0;
    const bool done =
        ::setsockopt(PQsocket(conn_), IPPROTO_TCP, TCP_CORK, &value, sizeof value) == 0;
    // A socket that cannot be corked (a Unix socket) is never tried again.
    cork_ = on ? (done ? cork::on : cork::unsupported) : cork::off;
#else
    (void)on;
#endif
}

// flush() once the queries already posted to the strand are in libpq too:
// the queries a request sends together go out in one write.
inline void connection_link::flush_soon() {
    if (flush_posted_) return;
    flush_posted_ = true;
    asio::post(*strand_, [self = shared_from_this()] {
        self->flush_posted_ = false;
        self->flush();
    });
}

inline asio::awaitable<void> connection_link::flush_in_background() {
    flushing_ = true;
    while (conn_ && !stopping_ && PQflush(conn_) == 1) {
        std::error_code ec;
        co_await socket_->async_wait(asio::posix::descriptor_base::wait_write,
                                     asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
    }
    flushing_ = false;
}

// Hands each query its results as they complete. Returns a failure that
// breaks the connection.
inline std::string connection_link::take_results() {
    while (!in_flight_.empty() && PQisBusy(conn_) == 0) {
        const bool synced = in_flight_.front()->at == pending_query::stage::sync;
        if (auto failure = take_one(*in_flight_.front()); !failure.empty()) return failure;
        if (!synced) continue; // that was the Sync: the query has all its results
        auto done = std::move(in_flight_.front());
        in_flight_.pop_front();
        settle(std::move(done));
        if (!in_flight_.empty() && in_flight_.front()->abandoned.load()) cancel_running();
    }
    return {};
}

// One result of `q`: (prepare: its result, its end), its result, its end,
// then its Sync, which leaves q.at at sync.
inline std::string connection_link::take_one(pending_query& q) {
    using stage = pending_query::stage;
    PGresult* r = PQgetResult(conn_);
    const bool ends = q.at == stage::prepare_end || q.at == stage::query_end;
    if (ends != (r == nullptr)) {
        if (r) PQclear(r);
        return "the server's results did not follow the pipeline";
    }
    if (ends) {
        q.at = q.at == stage::prepare_end ? stage::query_result : stage::sync;
        return {};
    }
    const auto status = PQresultStatus(r);
    if (q.at == stage::sync) {
        PQclear(r);
        return status == PGRES_PIPELINE_SYNC ? std::string() : "a Sync was expected";
    }
    const bool ok = status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
    if (status == PGRES_PIPELINE_ABORTED) {
        q.fail("not run: the statement before it in its pipeline failed");
    } else if (!ok) {
        const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        q.fail(trimmed(PQresultErrorMessage(r)), state ? state : "");
    }
    if (q.at == stage::prepare_result) {
        if (!ok) prepared_.erase(q.sql); // a statement that failed to prepare is not there
        PQclear(r);
        q.at = stage::prepare_end;
    } else {
        if (ok)
            q.answer = result(r);
        else
            PQclear(r);
        q.at = stage::query_end;
    }
    return {};
}

// A query has all its results: answered, or sent again when a cancellation
// meant for the query before it hit it instead (nothing of it was done:
// a cancelled statement is rolled back; a transaction's is never resent).
inline void connection_link::settle(std::shared_ptr<pending_query> q) {
    const bool hit_by_cancel = cancels_sent_ && !q->resent && q->session == 0 &&
                               !q->abandoned.load() && q->sqlstate == query_canceled &&
                               q->failure.find("user request") != std::string::npos;
    if (!hit_by_cancel) return complete(*q);
    q->resent = true;
    q->failure.clear();
    q->sqlstate.clear();
    if (!send_one(*q)) {
        q->fail("cannot send the query: " + trimmed(PQerrorMessage(conn_)));
        return complete(*q);
    }
    in_flight_.push_back(std::move(q));
    flush();
}

inline void connection_link::complete(pending_query& q) {
    load_.fetch_sub(1, std::memory_order_relaxed);
    q.done.set();
}

inline void connection_link::cancel_if_running(const pending_query& q) {
    if (!in_flight_.empty() && in_flight_.front().get() == &q) cancel_running();
}

// Asks the server to cancel what this connection runs, from the pool's
// thread (PQcancel opens a connection and waits).
inline void connection_link::cancel_running() {
    if (!conn_) return;
    std::unique_ptr<PGcancel, cancel_deleter> cancel(PQgetCancel(conn_));
    if (!cancel) return;
    cancels_sent_ = true;
    asio::post(pool_->canceller, [cancel = std::move(cancel)] {
        char why[256];
        PQcancel(cancel.get(), why, sizeof why);
    });
}

// The listening connection is (again) up: LISTEN on every channel.
inline void connection_link::listen_again() {
    for (const auto& channel : pool_->listening->channels()) {
        auto q = std::make_shared<pending_query>();
        q->sql = listen_statement(channel);
        load_.fetch_add(1, std::memory_order_relaxed);
        send(std::move(q));
    }
}

inline void connection_link::deliver_notifications() {
    while (PGnotify* n = PQnotifies(conn_)) {
        pool_->listening->deliver(n->relname, n->extra ? n->extra : "");
        PQfreemem(n);
    }
}

// The connection is gone: its queries fail, naming why.
inline void connection_link::drop_connection(const std::string& why) {
    ready_.store(false, std::memory_order_release);
    const std::string failure =
        "the connection to PostgreSQL at " + pool_->info.address() + " was lost (" + why + ")";
    for (auto& q : in_flight_) {
        q->fail(failure);
        complete(*q);
    }
    in_flight_.clear();
    prepared_.clear();
    cancels_sent_ = false;
    cork_ = cork::off;
    if (socket_ && socket_->is_open()) socket_->release();
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
}

} // namespace bareasio::pg::detail
