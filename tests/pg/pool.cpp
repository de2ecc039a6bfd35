// pg::pool against a throw-away PostgreSQL cluster the test starts (Debian's
// postgresql-15): parameters that look like SQL, queries sent together,
// queries pipelined from coroutines on two loops, a failing query failing
// alone, a statement timeout, a backend terminated and the server restarted,
// a query whose coroutine timed out cancelled on the server, and startup
// that cannot reach or is refused by the database.
#include <bareasio/async/wait_for.hpp>
#include <bareasio/pg/pool.hpp>

#include "../support/doctest.hpp"
#include "../support/eventually.hpp"
#include "pg_test.hpp"

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace bareasio;
using namespace std::chrono_literals;
using test::cluster;
using test::loop;
using test::quick;

TEST_CASE("pg: parameters are bound, never SQL; execute() counts; many rows") {
    loop l;
    pg::pool db;
    l.run([&]() -> asio::awaitable<void> {
        co_await db.connect(l.io.get_executor(), cluster().url(), quick);
        co_await db.execute("DROP TABLE IF EXISTS notes");
        co_await db.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)");
        const std::string sneaky = "x'); DROP TABLE notes; --";
        CHECK(co_await db.execute("INSERT INTO notes VALUES ($1, $2)", 1, sneaky) == 1);
        CHECK(co_await db.execute("INSERT INTO notes VALUES ($1, $2)", 2, std::optional<int>{}) ==
              1);
        const auto back = co_await db.query_one("SELECT body FROM notes WHERE id = $1", 1);
        CHECK(back.get<std::string>(0) == sneaky);
        const auto all = co_await db.query("SELECT id, body FROM notes ORDER BY id");
        REQUIRE(all.size() == 2);
        std::vector<int> ids;
        for (const pg::row r : all)
            ids.push_back(r.get<int>("id"));
        CHECK(ids == std::vector<int>{1, 2});
        CHECK(all[1].is_null(1));
        CHECK(co_await db.execute("UPDATE notes SET body = $1", "same") == 2);
        CHECK_THROWS_WITH_AS(co_await db.query_one("SELECT id FROM notes"),
                             "the query returned 2 rows, not one", pg::error);
        co_await db.close();
    });
}

TEST_CASE("pg: queries from coroutines on two loops share the connections, pipelined; a failing "
          "one fails alone") {
    loop a, b;
    pg::pool db;
    a.run([&]() -> asio::awaitable<void> {
        co_await db.connect(a.io.get_executor(), cluster().url(), quick);
    });
    const auto many = [&](loop& on, int base) -> asio::awaitable<int> {
        int good = 0;
        for (int i = 0; i < 200; ++i) {
            const bool own_thread = on.thread.get_id() == std::this_thread::get_id();
            if (i % 50 == 7) {
                try {
                    co_await db.query("SELECT 1/0");
                } catch (const pg::error& e) {
                    good += e.sqlstate() == "22012" && own_thread; // division_by_zero
                }
                continue;
            }
            const auto r = co_await db.query_one("SELECT $1::int + 1", base + i);
            good += r.get<int>(0) == base + i + 1 && own_thread;
        }
        co_return good;
    };
    std::vector<std::future<int>> results;
    for (int k = 0; k < 4; ++k) {
        results.push_back(asio::co_spawn(a.io, many(a, k * 1000), asio::use_future));
        results.push_back(asio::co_spawn(b.io, many(b, 10'000 + k * 1000), asio::use_future));
    }
    for (auto& f : results)
        CHECK(f.get() == 200); // each answered, on its own loop; each division by zero alone
    a.run([&]() -> asio::awaitable<void> { co_await db.close(); });
}

TEST_CASE("pg: many queries sent before any is awaited: each answered with its own rows, one "
          "failing among them fails alone, answers already in taken as they are") {
    loop l;
    pg::pool db;
    l.run([&]() -> asio::awaitable<void> {
        co_await db.connect(l.io.get_executor(), cluster().url(), quick);
        std::vector<pg::pending> sent;
        for (int i = 0; i < 300; ++i)
            sent.push_back(i == 150 ? db.send("SELECT 1/$1::int", 0)
                                    : db.send("SELECT $1::int * 2", i));
        // The last awaited first: the earlier ones are answered by then, and taken at once.
        int good = (co_await sent.back().one()).get<int>(0) == 299 * 2;
        for (int i = 0; i < 299; ++i) {
            try {
                const auto r = co_await sent[static_cast<std::size_t>(i)].one();
                good += i != 150 && r.get<int>(0) == i * 2;
            } catch (const pg::error& e) {
                good += i == 150 && e.sqlstate() == "22012";
            }
        }
        CHECK(good == 300);
        co_await db.close();
    });
}

TEST_CASE("pg: a statement timeout cancels on the server; the connection stays usable") {
    loop l;
    pg::pool db;
    auto options = quick;
    options.statement_timeout = 200ms;
    l.run([&]() -> asio::awaitable<void> {
        co_await db.connect(l.io.get_executor(), cluster().url(), options);
        try {
            co_await db.query("SELECT pg_sleep(5)");
            FAIL("not cancelled");
        } catch (const pg::error& e) {
            CHECK(e.sqlstate() == pg::query_canceled);
        }
        CHECK((co_await db.query_one("SELECT 1")).get<int>(0) == 1);
        co_await db.close();
    });
}

TEST_CASE("pg: a terminated backend fails its query, naming why; the pool reconnects") {
    loop l;
    pg::pool db, admin;
    l.run([&]() -> asio::awaitable<void> {
        co_await db.connect(l.io.get_executor(), cluster().url(),
                            {.connections = 1, .reconnect_delay = 50ms});
        co_await admin.connect(l.io.get_executor(), cluster().url(), {.connections = 1});
        const int pid = (co_await db.query_one("SELECT pg_backend_pid()")).get<int>(0);
        co_await admin.query("SELECT pg_terminate_backend($1)", pid);
    });
    // The pool sees the loss (its socket reads end of file) and reconnects.
    bool answered = false;
    for (int i = 0; i < 200 && !answered; ++i) {
        answered = l.run([&]() -> asio::awaitable<bool> {
            try {
                co_return (co_await db.query_one("SELECT 1")).get<int>(0) == 1;
            } catch (const std::exception&) {
                co_return false;
            }
        });
        if (!answered) std::this_thread::sleep_for(10ms);
    }
    CHECK(answered);
    l.run([&]() -> asio::awaitable<void> {
        co_await db.close();
        co_await admin.close();
    });
}

TEST_CASE("pg: the server stopped: queries fail at once with 503's unavailable; back after") {
    loop l;
    pg::pool db;
    l.run([&]() -> asio::awaitable<void> {
        co_await db.connect(l.io.get_executor(), cluster().url(), quick);
    });
    cluster().stop();
    CHECK(test::eventually([&] { return db.connected() == 0; }));
    l.run([&]() -> asio::awaitable<void> {
        try {
            co_await db.query("SELECT 1");
            FAIL("answered with the server stopped");
        } catch (const pg::unavailable& e) {
            CHECK(e.status() == 503);
            CHECK(std::string(e.what()).find("no connection to PostgreSQL at 127.0.0.1:") !=
                  std::string::npos);
        }
    });
    cluster().start();
    CHECK(test::eventually([&] { return db.connected() == 2; }));
    l.run([&]() -> asio::awaitable<void> {
        CHECK((co_await db.query_one("SELECT 2")).get<int>(0) == 2);
        co_await db.close();
    });
}

TEST_CASE("pg: connect() names the host and port past its timeout, and says a refusal at once") {
    loop l;
    l.run([&]() -> asio::awaitable<void> {
        pg::pool nowhere;
        CHECK_THROWS_WITH_AS(
            co_await nowhere.connect(l.io.get_executor(), "postgresql://u:p@127.0.0.1:1/db",
                                     {.connections = 1, .connect_timeout = 300ms}),
            doctest::Contains("cannot reach PostgreSQL at 127.0.0.1:1 within 300 ms"),
            std::runtime_error);
        pg::pool wrong;
        const std::string url =
            "postgresql://bareasio:wrong@127.0.0.1:" + std::to_string(cluster().port()) +
            "/postgres";
        CHECK_THROWS_WITH_AS(co_await wrong.connect(l.io.get_executor(), url, quick),
                             doctest::Contains("password authentication failed"),
                             std::runtime_error);
    });
}

namespace {

// Statements like `text` running on the server now.
asio::awaitable<long long> running(pg::pool& admin, const std::string& text) {
    const auto row = co_await admin.query_one(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = $1", text);
    co_return row.get<long long>(0);
}

} // namespace

TEST_CASE("pg: a query given up by its coroutine (wait_for) is cancelled on the server") {
    loop l;
    pg::pool db, admin;
    const std::string slow = "SELECT pg_sleep(30)";
    l.run([&]() -> asio::awaitable<void> {
        co_await db.connect(l.io.get_executor(), cluster().url(), {.connections = 1});
        co_await admin.connect(l.io.get_executor(), cluster().url(), {.connections = 1});
        CHECK_THROWS_AS(co_await wait_for(db.query(slow), 300ms), timeout_error);
    });
    CHECK(test::eventually([&] {
        return l.run(
            [&]() -> asio::awaitable<bool> { co_return co_await running(admin, slow) == 0; });
    }));
    l.run([&]() -> asio::awaitable<void> {
        // The same connection serves the next query (one connection).
        CHECK((co_await db.query_one("SELECT 3")).get<int>(0) == 3);
        co_await db.close();
        co_await admin.close();
    });
}

TEST_CASE("pg: a query given up behind another in the pipeline; the ones around it answered") {
    loop l;
    pg::pool db;
    l.run([&]() -> asio::awaitable<void> {
        co_await db.connect(l.io.get_executor(), cluster().url(), {.connections = 1});
        // The middle one is given up while the first still runs: it is
        // cancelled when its turn comes if it still runs then, and a
        // cancellation that reaches the third instead has it sent again.
        auto first = db.send("SELECT pg_sleep(0.3), 1");
        auto second = db.send("SELECT pg_sleep(0.3), 2");
        auto third = db.send("SELECT 3");
        CHECK_THROWS_AS(co_await wait_for(second.get(), 100ms), timeout_error);
        CHECK((co_await first.one()).get<int>(1) == 1);
        CHECK((co_await third.one()).get<int>(0) == 3);
        co_await db.close();
    });
}

TEST_CASE("pg: a query given up before it was sent is never run") {
    loop l;
    pg::pool db;
    l.run([&]() -> asio::awaitable<void> {
        co_await db.connect(l.io.get_executor(), cluster().url(), {.connections = 1});
        co_await db.execute("DROP TABLE IF EXISTS marks");
        co_await db.execute("CREATE TABLE marks (n int)");
        co_await db.transaction([&](pg::transaction& tx) -> asio::awaitable<void> {
            // The only connection is held: the insert waits in the pool.
            auto insert = db.send("INSERT INTO marks VALUES (1)");
            CHECK_THROWS_AS(co_await wait_for(insert.get(), 100ms), timeout_error);
            co_await tx.query("SELECT 1");
        });
        CHECK((co_await db.query_one("SELECT count(*) FROM marks")).get<int>(0) == 0);
        co_await db.close();
    });
}
