// pg::transaction against a real server: committed when the body returns,
// rolled back when it throws; its queries on one connection alone, the
// pool's other queries elsewhere or after it; a failed query aborts it.
#include <bareasio/pg/pool.hpp>
#include <bareasio/pg/transaction.hpp>

#include "../support/doctest.hpp"
#include "pg_test.hpp"

#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace bareasio;
using test::cluster;
using test::loop;
using test::quick;
using namespace std::chrono_literals;

namespace {

asio::awaitable<void> fresh_table(pg::pool& db) {
    co_await db.execute("DROP TABLE IF EXISTS account");
    co_await db.execute("CREATE TABLE account (id int PRIMARY KEY, n int NOT NULL)");
    co_await db.execute("INSERT INTO account VALUES (1, 100), (2, 0)");
}

asio::awaitable<int> balance(pg::pool& db, int id) {
    co_return (co_await db.query_one("SELECT n FROM account WHERE id = $1", id)).get<int>(0);
}

} // namespace

TEST_CASE("transaction: committed when the body returns, with its value") {
    loop l;
    pg::pool db;
    l.run([&]() -> asio::awaitable<void> {
        co_await db.connect(l.io.get_executor(), cluster().url(), quick);
        co_await fresh_table(db);
        const int moved = co_await db.transaction([](pg::transaction& tx) -> asio::awaitable<int> {
            co_await tx.execute("UPDATE account SET n = n - $1 WHERE id = 1", 30);
            co_await tx.execute("UPDATE account SET n = n + $1 WHERE id = 2", 30);
            co_return 30;
        });
        CHECK(moved == 30);
        CHECK(co_await balance(db, 1) == 70);
        CHECK(co_await balance(db, 2) == 30);
        co_await db.close();
    });
}

TEST_CASE("transaction: rolled back when the body throws; the exception goes on") {
    loop l;
    pg::pool db;
    l.run([&]() -> asio::awaitable<void> {
        co_await db.connect(l.io.get_executor(), cluster().url(), quick);
        co_await fresh_table(db);
        bool thrown = false;
        try {
            co_await db.transaction([](pg::transaction& tx) -> asio::awaitable<void> {
                co_await tx.execute("UPDATE account SET n = 0 WHERE id = 1");
                throw std::runtime_error("changed my mind");
            });
        } catch (const std::runtime_error& e) {
            thrown = std::string(e.what()) == "changed my mind";
        }
        CHECK(thrown);
        CHECK(co_await balance(db, 1) == 100);
        co_await db.close();
    });
}

TEST_CASE("transaction: a failed query aborts it; nothing of it stays") {
    loop l;
    pg::pool db;
    l.run([&]() -> asio::awaitable<void> {
        co_await db.connect(l.io.get_executor(), cluster().url(), quick);
        co_await fresh_table(db);
        std::string state;
        try {
            co_await db.transaction([](pg::transaction& tx) -> asio::awaitable<void> {
                co_await tx.execute("UPDATE account SET n = 1 WHERE id = 1");
                co_await tx.execute("INSERT INTO account VALUES (2, 5)"); // a duplicate key
            });
        } catch (const pg::error& e) {
            state = e.sqlstate();
        }
        CHECK(state == "23505");
        CHECK(co_await balance(db, 1) == 100);
        co_await db.close();
    });
}

TEST_CASE("transaction: with one connection, other queries wait for it and run outside it") {
    loop l;
    pg::pool db;
    l.run([&]() -> asio::awaitable<void> {
        co_await db.connect(l.io.get_executor(), cluster().url(),
                            {.connections = 1, .connect_timeout = 3000ms});
        co_await fresh_table(db);
        std::optional<pg::pending> outside;
        try {
            co_await db.transaction([&](pg::transaction& tx) -> asio::awaitable<void> {
                co_await tx.execute("DELETE FROM account");
                // Sent while the transaction holds the only connection: it
                // must not run inside it (it would see no rows).
                outside.emplace(db.send("SELECT count(*) FROM account"));
                co_await tx.query("SELECT pg_sleep(0.1)");
                throw std::runtime_error("roll back");
            });
        } catch (const std::runtime_error&) {
        }
        REQUIRE(outside);
        CHECK((co_await outside->one()).get<int>(0) == 2);
        co_await db.close();
    });
}

TEST_CASE("transaction: two at once on a pool of two; a third waits for one to end") {
    loop l;
    pg::pool db;
    l.run([&]() -> asio::awaitable<void> {
        co_await db.connect(l.io.get_executor(), cluster().url(), quick);
        co_await fresh_table(db);
    });
    const auto add_one = [&]() -> asio::awaitable<void> {
        co_await db.transaction([](pg::transaction& tx) -> asio::awaitable<void> {
            const int n = (co_await tx.query_one("SELECT n FROM account WHERE id = 2 FOR UPDATE"))
                              .get<int>(0);
            co_await tx.query("SELECT pg_sleep(0.05)");
            co_await tx.execute("UPDATE account SET n = $1 WHERE id = 2", n + 1);
        });
    };
    std::vector<std::future<void>> all;
    for (int i = 0; i < 6; ++i)
        all.push_back(asio::co_spawn(l.io, add_one(), asio::use_future));
    for (auto& f : all)
        f.get();
    l.run([&]() -> asio::awaitable<void> {
        CHECK(co_await balance(db, 2) == 6); // FOR UPDATE: each saw the one before
        co_await db.close();
    });
}
