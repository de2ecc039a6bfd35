// compression: gzip/deflate by Accept-Encoding, streaming, with static files.
#include <bareasio/batteries/compression.hpp>

#include <bareasio/bareasio.hpp>
#include <bareasio/batteries/static_files.hpp>
#include <bareasio/testing.hpp>

#include "../support/doctest.hpp"
#include "../support/static_site.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>

using namespace bareasio;
using namespace std::chrono_literals;
using test::site;
using test::static_app;
using test::write_file;

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
