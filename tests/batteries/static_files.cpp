// static_files: files under a root, validators, ranges, and no way out.
#include <bareasio/batteries/static_files.hpp>

#include <bareasio/bareasio.hpp>
#include <bareasio/testing.hpp>

#include "../support/doctest.hpp"
#include "../support/static_site.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>

using namespace bareasio;
using namespace std::chrono_literals;
using test::site;
using test::static_app;
using test::write_file;

TEST_CASE("static files: content, types, validators, index files and the directory redirect") {
    site s;
    application app;
    testing::run(static_app(app, s), [](testing::client& c) -> awaitable<void> {
        auto a = co_await c.get("/static/a.txt");
        CHECK(a.status == 200);
        CHECK(a.body == "hello world");
        CHECK(a.header("content-type") ==
              std::optional<std::string_view>("text/plain; charset=utf-8"));
        CHECK(a.header("accept-ranges") == std::optional<std::string_view>("bytes"));
        REQUIRE(a.header("etag"));
        CHECK(a.header("etag")->starts_with("\""));
        REQUIRE(a.header("last-modified"));
        CHECK(parse_http_date(*a.header("last-modified")));

        auto home = co_await c.get("/static/");
        CHECK(home.body == "<h1>home</h1>");
        CHECK(home.header("content-type") ==
              std::optional<std::string_view>("text/html; charset=utf-8"));
        auto redirect = co_await c.get("/static/sub?x=1");
        CHECK(redirect.status == 301);
        CHECK(redirect.header("location") == std::optional<std::string_view>("/static/sub/?x=1"));
        auto absolute = co_await c.get("http://evil.example/static/sub");
        CHECK(absolute.status == 301);
        CHECK(absolute.header("location") == std::optional<std::string_view>("/static/sub/"));
        auto fifo = co_await c.get("/static/pipe"); // would block the loop if opened blocking
        CHECK(fifo.status == 404);
        auto sub = co_await c.get("/static/sub/");
        CHECK(sub.body == "<h1>sub</h1>");
        auto unknown = co_await c.get("/static/data.unknownext");
        CHECK(unknown.header("content-type") ==
              std::optional<std::string_view>("application/octet-stream"));
        auto empty = co_await c.get("/static/empty.txt");
        CHECK(empty.status == 200);
        CHECK(empty.body.empty());
        auto alias = co_await c.get("/static/alias.txt"); // a symlink inside the root
        CHECK(alias.body == "hello world");
        auto missing = co_await c.get("/static/nope.txt");
        CHECK(missing.status == 404);
    });
}

TEST_CASE("static files: a large file is streamed whole, in pieces") {
    site s;
    application app;
    testing::run(static_app(app, s), [&s](testing::client& c) -> awaitable<void> {
        auto big = co_await c.get("/static/big.bin");
        CHECK(big.status == 200);
        CHECK(big.body.size() == s.big.size());
        CHECK(big.body == s.big);
    });
}

TEST_CASE(
    "static files: no way out of the root (.., %2e%2e, absolute paths, NUL, symlinks, dotfiles)") {
    site s;
    application app;
    testing::run(static_app(app, s), [](testing::client& c) -> awaitable<void> {
        const char* attacks[] = {
            "/static/../secret.txt",
            "/static/%2e%2e/secret.txt",
            "/static/%2E%2E/secret.txt",
            "/static/sub/../../secret.txt",
            "/static/sub/%2e%2e/%2e%2e/secret.txt",
            "/static/..%2fsecret.txt",
            "/static/%2fetc%2fpasswd",
            "/static//etc/passwd",
            "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "/static/a.txt%00.html",
            "/static/escape.txt",
            "/static/escape-dir/secret.txt",
            "/static/.env",
            "/static/sub/../.env",
        };
        for (const char* target : attacks) {
            auto res = co_await c.get(target);
            INFO(std::string(target));
            CHECK(res.status == 404);
            CHECK(res.body.find("outside") == std::string::npos);
        }
    });
    CHECK_THROWS_AS(static_files(s.base / "no-such-dir"), std::invalid_argument);
    CHECK_THROWS_AS(static_files(s.root / "a.txt"), std::invalid_argument);
}

TEST_CASE("static files: 304 for If-None-Match and If-Modified-Since") {
    site s;
    application app;
    testing::run(static_app(app, s), [](testing::client& c) -> awaitable<void> {
        auto first = co_await c.get("/static/a.txt");
        const std::string etag(*first.header("etag"));
        const std::string modified(*first.header("last-modified"));

        header_list same{{"If-None-Match", etag}};
        auto cached = co_await c.get("/static/a.txt", same);
        CHECK(cached.status == 304);
        CHECK(cached.body.empty());
        CHECK(cached.header("etag") == std::optional<std::string_view>(etag));
        header_list weak_in_list{{"If-None-Match", "\"other\", W/" + etag}};
        CHECK((co_await c.get("/static/a.txt", weak_in_list)).status == 304);
        header_list star{{"If-None-Match", "*"}};
        CHECK((co_await c.get("/static/a.txt", star)).status == 304);
        header_list other{{"If-None-Match", "\"other\""}, {"If-Modified-Since", modified}};
        CHECK((co_await c.get("/static/a.txt", other)).status == 200); // If-None-Match wins

        header_list since{{"If-Modified-Since", modified}};
        CHECK((co_await c.get("/static/a.txt", since)).status == 304);
        header_list long_ago{{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}};
        CHECK((co_await c.get("/static/a.txt", long_ago)).status == 200);
        header_list garbage{{"If-Modified-Since", "yesterday"}};
        CHECK((co_await c.get("/static/a.txt", garbage)).status == 200);
    });
}

TEST_CASE("static files: one byte range gives 206, past the end 416; several ranges or a stale "
          "If-Range the whole file") {
    site s;
    application app;
    testing::run(static_app(app, s), [](testing::client& c) -> awaitable<void> {
        struct expect {
            const char* range;
            int status;
            const char* body;
            const char* content_range;
        };
        const expect cases[] = {
            {"bytes=0-4", 206, "hello", "bytes 0-4/11"},
            {"bytes=6-", 206, "world", "bytes 6-10/11"},
            {"bytes=-5", 206, "world", "bytes 6-10/11"},
            {"bytes=6-100", 206, "world", "bytes 6-10/11"},
            {"bytes=-100", 206, "hello world", "bytes 0-10/11"},
            {"bytes=11-", 416, "", "bytes */11"},
            {"bytes=-0", 416, "", "bytes */11"},
            {"bytes=0-1,3-4", 200, "hello world", nullptr},
            {"bytes=4-2", 200, "hello world", nullptr},
            {"bytes=x-y", 200, "hello world", nullptr},
            {"items=0-1", 200, "hello world", nullptr},
        };
        for (const auto& e : cases) {
            header_list h{{"Range", e.range}};
            auto res = co_await c.get("/static/a.txt", h);
            INFO(e.range);
            CHECK(res.status == e.status);
            CHECK(res.body == e.body);
            if (e.content_range)
                CHECK(res.header("content-range") ==
                      std::optional<std::string_view>(e.content_range));
            else
                CHECK_FALSE(res.header("content-range"));
        }
        auto first = co_await c.get("/static/a.txt");
        const std::string etag(*first.header("etag"));
        header_list fresh{{"Range", "bytes=0-4"}, {"If-Range", etag}};
        CHECK((co_await c.get("/static/a.txt", fresh)).status == 206);
        header_list stale{{"Range", "bytes=0-4"}, {"If-Range", "\"stale\""}};
        auto whole = co_await c.get("/static/a.txt", stale);
        CHECK(whole.status == 200);
        CHECK(whole.body == "hello world");
        header_list by_date{{"Range", "bytes=0-4"},
                            {"If-Range", std::string(*first.header("last-modified"))}};
        CHECK((co_await c.get("/static/a.txt", by_date)).status == 206);
        header_list empty_file{{"Range", "bytes=0-"}};
        CHECK((co_await c.get("/static/empty.txt", empty_file)).status == 416);
    });
}
