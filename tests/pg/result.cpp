// pg::row and pg::result against a real server: each type read from the
// columns it may come from, NULL as std::optional, columns by position and
// by name, and a clear error for a mismatch, a NULL or a value too large.
#include <bareasio/pg/result.hpp>

#include "../support/doctest.hpp"
#include "pg_test.hpp"

#include <optional>
#include <string>

using namespace bareasio;
using test::cluster;
using test::loop;
using test::quick;
using namespace std::chrono_literals;

TEST_CASE("pg: typed values, NULLs, names, and a clear error on a mismatch") {
    loop l;
    pg::pool db;
    l.run([&]() -> asio::awaitable<void> {
        co_await db.connect(l.io.get_executor(), cluster().url(), quick);
        const auto row = co_await db.query_one(
            "SELECT 42::int4 AS n, 9000000000::int8 AS big, 2.5::float8 AS x, true AS yes, "
            "'héllo'::text AS word, NULL::text AS nothing, 7::int2 AS small");
        CHECK(row.get<int>(0) == 42);
        CHECK(row.get<int>("n") == 42);
        CHECK(row.get<long long>("big") == 9000000000LL);
        CHECK(row.get<double>("x") == 2.5);
        CHECK(row.get<bool>("yes"));
        CHECK(row.get<std::string>("word") == "héllo");
        CHECK(row.get<std::optional<std::string>>("nothing") == std::nullopt);
        CHECK(row.get<std::optional<int>>("n") == 42);
        CHECK(row.get<std::string>("n") == "42"); // any column reads as text
        CHECK(row.get<short>("small") == 7);
        CHECK_THROWS_WITH_AS(row.get<int>("word"),
                             doctest::Contains("cannot be read as an integer"), pg::error);
        CHECK_THROWS_WITH_AS(row.get<std::string>("nothing"), doctest::Contains("is NULL"),
                             pg::error);
        CHECK_THROWS_WITH_AS(row.get<int>("big"), doctest::Contains("does not fit"), pg::error);
        CHECK_THROWS_WITH_AS(row.get<int>("missing"), doctest::Contains("no column named missing"),
                             pg::error);
        co_await db.close();
    });
}
