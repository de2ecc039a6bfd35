// writers: response bodies and their content types.
#include <bareasio/http/writers.hpp>

#include "../support/doctest.hpp"
#include <bareasio/http/json.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace bareasio;

TEST_CASE("writers: bodies and content types") {
    auto t = text_writer("x");
    CHECK(t.type() == body_writer::kind::buffer);
    CHECK(t.content_type() == "text/plain; charset=utf-8");
    auto j = json_writer({{"message", "Hello, World!"}});
    CHECK(j.data() == R"({"message":"Hello, World!"})");
    CHECK(j.content_type() == "application/json");
    auto s =
        stream_writer([](body_sink&) -> asio::awaitable<void> { co_return; }, "text/event-stream");
    CHECK(s.type() == body_writer::kind::stream);
    CHECK_FALSE(s.length());
}
