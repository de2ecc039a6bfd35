// pg::listener against a real server: NOTIFY reaches every listener of its
// channel (made before or after connect(), any channel name); a listening
// connection that is lost LISTENs again and says a gap; close() ends it.
#include <bareasio/async/wait_for.hpp>
#include <bareasio/pg/listener.hpp>
#include <bareasio/pg/pool.hpp>

#include "../support/doctest.hpp"
#include "pg_test.hpp"

#include <optional>
#include <string>

using namespace bareasio;
using namespace std::chrono_literals;
using test::cluster;
using test::loop;
using test::quick;

namespace {

asio::awaitable<std::optional<pg::notification>> next_within(pg::listener& l,
                                                             std::chrono::milliseconds d) {
    auto got = co_await wait_for(l.next(), d, ignore_timeout);
    co_return got ? *got : std::nullopt;
}

} // namespace

TEST_CASE("listener: NOTIFY reaches every listener of its channel, any channel name") {
    loop l;
    pg::pool db;
    auto early = db.listen("notes"); // before connect()
    l.run([&]() -> asio::awaitable<void> {
        co_await db.connect(l.io.get_executor(), cluster().url(), quick);
        auto late = db.listen("notes");
        auto odd = db.listen("odd \"name\"");
        // LISTEN runs on the listening connection: wait until it took effect.
        std::optional<pg::notification> got;
        for (int i = 0; i < 100 && !got; ++i) {
            co_await db.query("SELECT pg_notify($1, $2)", "notes", "ping " + std::to_string(i));
            got = co_await next_within(late, 50ms);
        }
        REQUIRE(got);
        co_await db.query("SELECT pg_notify($1, $2)", "odd \"name\"", "quoted");
        co_await db.query("SELECT pg_notify($1, $2)", "notes", "id 7");
        std::optional<pg::notification> last;
        for (int i = 0; i < 200; ++i) { // early also saw the pings
            last = co_await next_within(early, 2000ms);
            if (!last || last->payload == "id 7") break;
        }
        REQUIRE(last);
        CHECK(last->channel == "notes");
        CHECK(last->payload == "id 7");
        CHECK_FALSE(last->after_gap);
        const auto quoted = co_await next_within(odd, 2000ms);
        REQUIRE(quoted);
        CHECK(quoted->channel == "odd \"name\"");
        CHECK(quoted->payload == "quoted");
        co_await db.close();
        CHECK_FALSE(co_await early.next()); // ended with the pool
    });
}

TEST_CASE("listener: the listening connection lost: it LISTENs again, and says a gap") {
    loop l;
    pg::pool db, admin;
    auto changes = db.listen("changes");
    l.run([&]() -> asio::awaitable<void> {
        co_await db.connect(l.io.get_executor(), cluster().url(), quick);
        co_await admin.connect(l.io.get_executor(), cluster().url(), {.connections = 1});
        std::optional<pg::notification> got;
        for (int i = 0; i < 100 && !got; ++i) {
            co_await admin.query("SELECT pg_notify('changes', 'before')");
            got = co_await next_within(changes, 50ms);
        }
        REQUIRE(got);
        co_await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()");
        std::optional<pg::notification> after;
        for (int i = 0; i < 200 && !(after && after->payload == "after"); ++i) {
            co_await admin.query("SELECT pg_notify('changes', 'after')");
            after = co_await next_within(changes, 50ms);
        }
        REQUIRE(after);
        CHECK(after->payload == "after");
        CHECK(after->after_gap);
        co_await db.close();
        co_await admin.close();
    });
}
