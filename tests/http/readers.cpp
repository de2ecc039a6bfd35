// readers: text, bytes and JSON from a body stream, with the body limit.
#include <bareasio/http/readers.hpp>

// GCC 12 warns that Asio's coroutine frame is freed by a mismatched
// operator delete; the frame's class-specific new and delete are a pair.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "../support/doctest.hpp"
#include <bareasio/http/json.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace bareasio;

TEST_CASE("readers: text, bytes and JSON from a body stream, with the body limit") {
    asio::io_context ioc;
    std::string text;
    std::vector<std::byte> bytes;
    nlohmann::json value;
    int too_large = 0, bad_json = 0;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            string_body_source s1("hello world", 3);
            request r1(request_head{}, &s1);
            text = co_await text_reader(r1);

            string_body_source s2("ab");
            request r2(request_head{}, &s2);
            bytes = co_await bytes_reader(r2);

            string_body_source s3(R"({"message": "Hello, World!"})", 5);
            request r3(request_head{}, &s3);
            value = co_await json_reader(r3);

            string_body_source s4(std::string(100, 'x'), 7);
            request r4(request_head{}, &s4);
            r4.body().set_limit(50);
            try {
                co_await text_reader(r4);
            } catch (const http_error& e) {
                too_large = e.status();
            }

            string_body_source s5("{not json");
            request r5(request_head{}, &s5);
            try {
                co_await json_reader(r5);
            } catch (const http_error& e) {
                bad_json = e.status();
            }
        },
        asio::detached);
    ioc.run();
    CHECK(text == "hello world");
    CHECK(bytes.size() == 2);
    CHECK(value["message"] == "Hello, World!");
    CHECK(too_large == 413);
    CHECK(bad_json == 400);
}
