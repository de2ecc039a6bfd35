// The batteries, in-process through testing::run (the router and the
// middleware chain exactly as the server calls them): CORS, static files,
// compression. What they do on the wire is tested with curl in
// test_batteries.py.
#include <bareasio/bareasio.hpp>
#include <bareasio/compression.hpp>
#include <bareasio/cors.hpp>
#include <bareasio/static_files.hpp>
#include <bareasio/testing.hpp>

#include "support/doctest.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <filesystem>

#include <fstream>
#include <string>
#include <sys/stat.h>

using namespace bareasio;
using namespace std::chrono_literals;

namespace {

application& hello_app(application& app) {
    app.http_router.add({"GET", "POST", "DELETE"}, "/api", [](request&) -> awaitable<response> {
        co_return response{200, {{"x-total", "3"}}, text_writer("data")};
    });
    return app;
}

} // namespace

TEST_CASE("cors: an allowed origin's preflight is answered before routing; the actual request is "
          "marked") {
    application app;
    app.middlewares.push_back(cors({.allow_origins = {"https://app.example"},
                                    .allow_methods = {"GET", "POST"},
                                    .allow_headers = {"X-Token"},
                                    .expose_headers = {"X-Total"},
                                    .allow_credentials = true,
                                    .max_age = 120s}));
    testing::run(hello_app(app), [](testing::client& c) -> awaitable<void> {
        header_list asks{{"Origin", "https://app.example"},
                         {"Access-Control-Request-Method", "POST"},
                         {"Access-Control-Request-Headers", "x-token, Content-Type"}};
        auto pre = co_await c.request("OPTIONS", "/api", asks);
        CHECK(pre.status == 204);
        CHECK(pre.header("access-control-allow-origin") ==
              std::optional<std::string_view>("https://app.example"));
        CHECK(pre.header("access-control-allow-methods") ==
              std::optional<std::string_view>("GET, POST"));
        // Echoed as asked, the safelisted Content-Type included: a JSON POST's
        // preflight asks for it and fails in the browser unless it is granted.
        CHECK(pre.header("access-control-allow-headers") ==
              std::optional<std::string_view>("x-token, Content-Type"));
        CHECK(pre.header("access-control-allow-credentials") ==
              std::optional<std::string_view>("true"));
        CHECK(pre.header("access-control-max-age") == std::optional<std::string_view>("120"));
        CHECK(pre.header("vary") == std::optional<std::string_view>("Origin"));

        header_list h1{{"Origin", "https://app.example"}, {"Cookie", "s=1"}};
        auto res = co_await c.get("/api", h1);
        CHECK(res.status == 200);
        CHECK(res.body == "data");
        CHECK(res.header("access-control-allow-origin") ==
              std::optional<std::string_view>("https://app.example"));
        CHECK(res.header("access-control-allow-credentials") ==
              std::optional<std::string_view>("true"));
        CHECK(res.header("access-control-expose-headers") ==
              std::optional<std::string_view>("X-Total"));

        // Same-origin and non-browser requests carry no Origin: no grant, but
        // Vary: Origin, so a shared cache does not hand this copy to a CORS request.
        auto plain = co_await c.get("/api");
        CHECK(plain.body == "data");
        CHECK_FALSE(plain.header("access-control-allow-origin"));
        CHECK(plain.header("vary") == std::optional<std::string_view>("Origin"));
    });
}

TEST_CASE("cors: a disallowed origin, method or header is refused with 400 naming it; the actual "
          "request gets no grant") {
    application app;
    app.middlewares.push_back(
        cors({.allow_origins = {"https://app.example"}, .allow_methods = {"GET"}}));
    testing::run(hello_app(app), [](testing::client& c) -> awaitable<void> {
        header_list h2{{"Origin", "https://evil.example"},
                       {"Access-Control-Request-Method", "GET"}};
        auto other = co_await c.request("OPTIONS", "/api", h2);
        CHECK(other.status == 400);
        CHECK(other.body == "Disallowed CORS origin");
        CHECK_FALSE(other.header("access-control-allow-origin"));

        header_list h3{{"Origin", "https://app.example"},
                       {"Access-Control-Request-Method", "DELETE"},
                       {"Access-Control-Request-Headers", "X-Secret"}};
        auto method = co_await c.request("OPTIONS", "/api", h3);
        CHECK(method.status == 400);
        CHECK(method.body == "Disallowed CORS method, headers");

        // Safelisted headers need no permission.
        header_list h4{{"Origin", "https://app.example"},
                       {"Access-Control-Request-Method", "GET"},
                       {"Access-Control-Request-Headers", "content-type,accept"}};
        auto safe = co_await c.request("OPTIONS", "/api", h4);
        CHECK(safe.status == 204);

        // The handler still runs (CORS is enforced by the browser), but the
        // response grants nothing and says it varies by Origin.
        header_list h5{{"Origin", "https://evil.example"}};
        auto res = co_await c.get("/api", h5);
        CHECK(res.status == 200);
        CHECK_FALSE(res.header("access-control-allow-origin"));
        CHECK(res.header("vary") == std::optional<std::string_view>("Origin"));

        // A plain OPTIONS (no Access-Control-Request-Method) is not a preflight.
        header_list h6{{"Origin", "https://app.example"}};
        auto options = co_await c.request("OPTIONS", "/api", h6);
        CHECK(options.status == 405);
    });
}

TEST_CASE("cors: '*' allows any origin, method and header; with credentials the origin is echoed, "
          "never '*'") {
    application open_app;
    open_app.middlewares.push_back(
        cors({.allow_origins = {"*"}, .allow_methods = {"*"}, .allow_headers = {"*"}}));
    testing::run(hello_app(open_app), [](testing::client& c) -> awaitable<void> {
        header_list h7{{"Origin", "https://any.example"},
                       {"Access-Control-Request-Method", "DELETE"},
                       {"Access-Control-Request-Headers", "X-Anything"}};
        auto pre = co_await c.request("OPTIONS", "/api", h7);
        CHECK(pre.status == 204);
        CHECK(pre.header("access-control-allow-origin") == std::optional<std::string_view>("*"));
        CHECK(pre.header("access-control-allow-methods") ==
              std::optional<std::string_view>("DELETE"));
        CHECK(pre.header("access-control-allow-headers") ==
              std::optional<std::string_view>("X-Anything"));
        CHECK_FALSE(pre.header("vary"));
        header_list h8{{"Origin", "https://any.example"}};
        auto res = co_await c.get("/api", h8);
        CHECK(res.header("access-control-allow-origin") == std::optional<std::string_view>("*"));
    });

    CHECK_THROWS_AS(cors({.allow_origins = {"*"}, .allow_credentials = true}),
                    std::invalid_argument);

    application cred_app;
    cred_app.middlewares.push_back(
        cors({.allow_origins = {"https://any.example"}, .allow_credentials = true}));
    cred_app.http_router.add({"GET"}, "/varies", [](request&) -> awaitable<response> {
        co_return response{200, {{"vary", "Cookie"}, {"vary", "Authorization"}}, text_writer("v")};
    });
    testing::run(hello_app(cred_app), [](testing::client& c) -> awaitable<void> {
        header_list from_any{{"Origin", "https://any.example"}};
        auto res = co_await c.get("/api", from_any);
        CHECK(res.header("access-control-allow-origin") ==
              std::optional<std::string_view>("https://any.example"));
        CHECK(res.header("access-control-allow-credentials") ==
              std::optional<std::string_view>("true"));
        // Every Vary field the handler set survives; Origin is added once.
        auto varies = co_await c.get("/varies", from_any);
        const auto vary = varies.headers.get_all("vary");
        REQUIRE(vary.size() == 3);
        CHECK(vary[0] == "Cookie");
        CHECK(vary[1] == "Authorization");
        CHECK(vary[2] == "Origin");
    });
}

namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& p, const std::string& content) {
    std::ofstream(p, std::ios::binary) << content;
}

// root/ holds the served files; root/../secret.txt lies outside it.
struct site {
    fs::path base, root;
    std::string big;
    site() {
        char tmpl[] = "/tmp/bareasio-static-XXXXXX";
        base = ::mkdtemp(tmpl);
        root = base / "root";
        fs::create_directories(root / "sub");
        write_file(root / "index.html", "<h1>home</h1>");
        write_file(root / "a.txt", "hello world");
        write_file(root / "sub" / "index.html", "<h1>sub</h1>");
        write_file(root / ".env", "SECRET=1");
        write_file(root / "data.unknownext", "x");
        write_file(root / "empty.txt", "");
        for (int i = 0; i < 200'000; ++i)
            big.push_back(static_cast<char>('a' + (i * 7) % 26));
        write_file(root / "big.bin", big);
        write_file(base / "secret.txt", "outside the root");
        fs::create_symlink(base / "secret.txt", root / "escape.txt");
        fs::create_symlink(base, root / "escape-dir");
        fs::create_symlink(root / "a.txt", root / "alias.txt");
        REQUIRE(::mkfifo((root / "pipe").c_str(), 0600) == 0);
    }
    ~site() { fs::remove_all(base); }
};

application& static_app(application& app, const site& s) {
    auto files = static_files(s.root);
    app.http_router.add({"GET"}, "/static/{path:path}", files);
    app.http_router.add({"GET"}, "/static/", files);
    return app;
}

} // namespace

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

namespace {

// Inflates gzip or zlib data (zlib tells them apart by their headers).
std::string inflate_all(std::string_view packed) {
    z_stream z{};
    REQUIRE(inflateInit2(&z, 15 + 32) == Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
    z.avail_in = static_cast<uInt>(packed.size());
    std::string out;
    int rc = Z_OK;
    while (rc == Z_OK) {
        char piece[4096];
        z.next_out = reinterpret_cast<Bytef*>(piece);
        z.avail_out = sizeof piece;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(piece, sizeof piece - z.avail_out);
        if (rc == Z_BUF_ERROR && z.avail_in == 0) break;
    }
    inflateEnd(&z);
    CHECK(rc == Z_STREAM_END);
    return out;
}

std::string repeated(std::string_view text, int times) {
    std::string out;
    for (int i = 0; i < times; ++i)
        out.append(text);
    return out;
}

application& compressible_app(application& app) {
    app.http_router.add({"GET"}, "/text", [](request&) -> awaitable<response> {
        co_return response{
            200, {{"etag", "\"v1\""}}, text_writer(repeated("hello compression ", 100))};
    });
    app.http_router.add({"GET"}, "/small", [](request&) -> awaitable<response> {
        co_return response{200, {}, text_writer("tiny")};
    });
    app.http_router.add({"GET"}, "/png", [](request&) -> awaitable<response> {
        co_return response{200, {{"content-type", "image/png"}}, text_writer(repeated("x", 5000))};
    });
    app.http_router.add({"GET"}, "/encoded", [](request&) -> awaitable<response> {
        co_return response{200, {{"content-encoding", "br"}}, text_writer(repeated("x", 5000))};
    });
    app.http_router.add({"GET"}, "/no-transform", [](request&) -> awaitable<response> {
        co_return response{
            200, {{"cache-control", "no-transform"}}, text_writer(repeated("x", 5000))};
    });
    app.http_router.add({"GET"}, "/stream", [](request&) -> awaitable<response> {
        co_return response{200,
                           {},
                           stream_writer(
                               [](body_sink& out) -> awaitable<void> {
                                   for (int i = 0; i < 50; ++i)
                                       co_await out.write("data: event " + std::to_string(i) +
                                                          "\n\n");
                               },
                               "text/event-stream")};
    });
    return app;
}

} // namespace

TEST_CASE("compression: Accept-Encoding with q-values picks the coding") {
    CHECK(choose_coding("") == content_coding::identity);
    CHECK(choose_coding("gzip") == content_coding::gzip);
    CHECK(choose_coding("deflate") == content_coding::deflate);
    CHECK(choose_coding("gzip, deflate, br") == content_coding::gzip);
    CHECK(choose_coding("deflate, gzip;q=0.5") == content_coding::deflate);
    CHECK(choose_coding("gzip;q=0, deflate;q=0.1") == content_coding::deflate);
    CHECK(choose_coding("gzip;q=0") == content_coding::identity);
    CHECK(choose_coding("*") == content_coding::gzip);
    CHECK(choose_coding("*;q=0") == content_coding::identity);
    CHECK(choose_coding("*, gzip;q=0") == content_coding::deflate);
    CHECK(choose_coding("identity") == content_coding::identity);
    CHECK(choose_coding(" GZIP ; q=1.0 ") == content_coding::gzip);
}

TEST_CASE("compression: gzip and deflate round-trip; Vary always, weak ETag when compressed") {
    application app;
    app.middlewares.push_back(compression());
    testing::run(compressible_app(app), [](testing::client& c) -> awaitable<void> {
        const std::string text = repeated("hello compression ", 100);
        header_list gzip{{"Accept-Encoding", "gzip, deflate"}};
        auto g = co_await c.get("/text", gzip);
        CHECK(g.header("content-encoding") == std::optional<std::string_view>("gzip"));
        CHECK(g.header("vary") == std::optional<std::string_view>("Accept-Encoding"));
        CHECK(g.header("etag") == std::optional<std::string_view>("W/\"v1\""));
        CHECK(g.body.size() < text.size() / 4);
        CHECK(static_cast<unsigned char>(g.body[0]) == 0x1f); // gzip magic
        CHECK(inflate_all(g.body) == text);

        header_list deflate{{"Accept-Encoding", "deflate"}};
        auto d = co_await c.get("/text", deflate);
        CHECK(d.header("content-encoding") == std::optional<std::string_view>("deflate"));
        CHECK(static_cast<unsigned char>(d.body[0]) == 0x78); // zlib header
        CHECK(inflate_all(d.body) == text);

        auto plain = co_await c.get("/text");
        CHECK_FALSE(plain.header("content-encoding"));
        CHECK(plain.header("vary") == std::optional<std::string_view>("Accept-Encoding"));
        CHECK(plain.header("etag") == std::optional<std::string_view>("\"v1\""));
        CHECK(plain.body == text);
    });
}

TEST_CASE(
    "compression: small bodies, other types, encoded and no-transform responses go as they are") {
    application app;
    app.middlewares.push_back(compression());
    testing::run(compressible_app(app), [](testing::client& c) -> awaitable<void> {
        header_list gzip{{"Accept-Encoding", "gzip"}};
        auto small = co_await c.get("/small", gzip);
        CHECK(small.body == "tiny");
        CHECK_FALSE(small.header("content-encoding"));
        auto png = co_await c.get("/png", gzip);
        CHECK_FALSE(png.header("content-encoding"));
        CHECK_FALSE(png.header("vary"));
        auto encoded = co_await c.get("/encoded", gzip);
        CHECK(encoded.header("content-encoding") == std::optional<std::string_view>("br"));
        CHECK(encoded.body == repeated("x", 5000));
        auto kept = co_await c.get("/no-transform", gzip);
        CHECK_FALSE(kept.header("content-encoding"));
    });
}

TEST_CASE("compression: a streaming body is compressed on the fly, each write flushed") {
    application app;
    app.middlewares.push_back(compression());
    testing::run(compressible_app(app), [](testing::client& c) -> awaitable<void> {
        header_list gzip{{"Accept-Encoding", "gzip"}};
        auto s = co_await c.get("/stream", gzip);
        CHECK(s.header("content-encoding") == std::optional<std::string_view>("gzip"));
        std::string expected;
        for (int i = 0; i < 50; ++i)
            expected += "data: event " + std::to_string(i) + "\n\n";
        CHECK(inflate_all(s.body) == expected);
    });

    // Each write leaves as a complete flushed block: what the client has
    // after the first write inflates to the first event.
    asio::io_context ioc;
    struct collect final : body_sink {
        std::vector<std::string> writes;
        awaitable<void> write(std::string_view chunk) override {
            writes.emplace_back(chunk);
            co_return;
        }
    } out;
    asio::co_spawn(ioc,
                   detail::compress_stream(
                       [](body_sink& sink) -> awaitable<void> {
                           co_await sink.write("first event");
                           co_await sink.write("second event");
                       },
                       content_coding::deflate, 6, out),
                   asio::detached);
    ioc.run();
    REQUIRE(out.writes.size() == 3);
    z_stream z{};
    REQUIRE(inflateInit(&z) == Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(out.writes[0].data());
    z.avail_in = static_cast<uInt>(out.writes[0].size());
    char first[64];
    z.next_out = reinterpret_cast<Bytef*>(first);
    z.avail_out = sizeof first;
    inflate(&z, Z_SYNC_FLUSH);
    CHECK(std::string_view(first, sizeof first - z.avail_out) == "first event");
    inflateEnd(&z);
}

TEST_CASE("compression over static files: text compressed with a weak ETag that still revalidates; "
          "ranges untouched") {
    site s;
    write_file(s.root / "page.html", repeated("<p>static text</p>", 200));
    application app;
    app.middlewares.push_back(compression());
    testing::run(static_app(app, s), [](testing::client& c) -> awaitable<void> {
        header_list gzip{{"Accept-Encoding", "gzip"}};
        auto page = co_await c.get("/static/page.html", gzip);
        CHECK(page.header("content-encoding") == std::optional<std::string_view>("gzip"));
        CHECK(inflate_all(page.body) == repeated("<p>static text</p>", 200));
        const std::string etag(*page.header("etag"));
        CHECK(etag.starts_with("W/\""));
        CHECK_FALSE(page.header("accept-ranges")); // ranges of gzip bytes are not offered
        header_list again{{"Accept-Encoding", "gzip"}, {"If-None-Match", etag}};
        auto revalidated = co_await c.get("/static/page.html", again);
        CHECK(revalidated.status == 304);
        CHECK(revalidated.header("etag") ==
              std::optional<std::string_view>(etag)); // as the 200 had it
        CHECK(revalidated.header("vary") == std::optional<std::string_view>("Accept-Encoding"));
        header_list range{{"Accept-Encoding", "gzip"}, {"Range", "bytes=0-2"}};
        auto part = co_await c.get("/static/page.html", range);
        CHECK(part.status == 206);
        CHECK(part.body == "<p>");
        CHECK_FALSE(part.header("content-encoding"));
    });
}
