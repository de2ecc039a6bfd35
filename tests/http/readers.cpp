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

TEST_CASE("readers: json_reader(req, require_json) answers 415 unless the body is declared JSON") {
    CHECK(is_json_media_type("application/json"));
    CHECK(is_json_media_type("Application/JSON; charset=utf-8"));
    CHECK(is_json_media_type(" application/problem+json "));
    CHECK_FALSE(is_json_media_type(""));
    CHECK_FALSE(is_json_media_type("text/plain"));
    CHECK_FALSE(is_json_media_type("application/x-www-form-urlencoded"));
    CHECK_FALSE(is_json_media_type("application/jsonx"));
    CHECK_FALSE(is_json_media_type("application/+json"));
    CHECK_FALSE(is_json_media_type("text/json+json"));

    asio::io_context ioc;
    auto read = [&](std::optional<std::string> type) {
        int status = 0;
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                request_head head;
                if (type) head.headers.add("Content-Type", *type);
                string_body_source body(R"({"a": 1})");
                request req(std::move(head), &body);
                try {
                    auto value = co_await json_reader(req, require_json);
                    status = value["a"] == 1 ? 200 : 500;
                } catch (const http_error& e) {
                    status = e.status();
                }
            },
            asio::detached);
        ioc.restart();
        ioc.run();
        return status;
    };
    CHECK(read("application/json") == 200);
    CHECK(read("application/json; charset=utf-8") == 200);
    CHECK(read("text/plain") == 415);
    CHECK(read("application/x-www-form-urlencoded") == 415);
    CHECK(read(std::nullopt) == 415);
}
