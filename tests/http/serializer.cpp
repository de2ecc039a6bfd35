// serializer: status line, headers and body framing of a response.
#include <bareasio/http/serializer.hpp>

#include <bareasio/http/writers.hpp>

#include "../support/doctest.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace bareasio;

TEST_CASE("serializer: fixed body with Content-Length, Date and a default type") {
    std::string out;
    response res{200, {{"x-a", "1"}}, text_writer("hi")};
    auto framing = write_head(out, res, "Sat, 21 Nov 2026 10:00:00 GMT", {});
    CHECK(framing == body_framing::length);
    CHECK(out == "HTTP/1.1 200 OK\r\nx-a: 1\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 "Date: Sat, 21 Nov 2026 10:00:00 GMT\r\nContent-Length: 2\r\n\r\n");
}

TEST_CASE("serializer: 204 has no body headers; HTTP/1.0 and close are explicit") {
    std::string out;
    CHECK(write_head(out, response(204), "D", {}) == body_framing::none);
    CHECK(out == "HTTP/1.1 204 No Content\r\nDate: D\r\n\r\n");
    out.clear();
    write_head(out, response(200), "D", {.version = 10, .keep_alive = true});
    CHECK(out.find("Connection: keep-alive\r\n") != std::string::npos);
    CHECK(out.find("Content-Length: 0\r\n") != std::string::npos);
    out.clear();
    write_head(out, response(404), "D", {.version = 11, .keep_alive = false});
    CHECK(out.find("Connection: close\r\n") != std::string::npos);
}

TEST_CASE("serializer: streams are chunked for HTTP/1.1 and close-delimited for 1.0") {
    auto body = stream_writer([](body_sink&) -> asio::awaitable<void> { co_return; });
    std::string out;
    CHECK(write_head(out, response(200, {}, body), "D", {.version = 11}) == body_framing::chunked);
    CHECK(out.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
    out.clear();
    CHECK(write_head(out, response(200, {}, body), "D", {.version = 10}) ==
          body_framing::until_close);
    CHECK(out.find("Connection: close\r\n") != std::string::npos);
    out.clear();
    write_chunk(out, "wiki");
    write_chunk(out, "");
    write_last_chunk(out);
    CHECK(out == "4\r\nwiki\r\n0\r\n\r\n");
}

TEST_CASE("serializer: handler values for managed headers are replaced; CRLF is refused") {
    std::string out;
    response res{200, {{"Content-Length", "999"}, {"Connection", "upgrade"}}, text_writer("abc")};
    write_head(out, res, "D", {});
    CHECK(out.find("999") == std::string::npos);
    CHECK(out.find("Content-Length: 3\r\n") != std::string::npos);
    out = "kept";
    response evil{200, {{"x", "a\r\nSet-Cookie: stolen"}}};
    CHECK_THROWS_AS(write_head(out, evil, "D", {}), std::invalid_argument);
    CHECK(out == "kept");
}
