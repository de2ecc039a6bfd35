// message_reader: frames in, on bytes alone (no socket, no clock): what it
// finds, how many bytes it takes, and the failures RFC 6455 names.
#include <bareasio/websocket/detail/message_reader.hpp>

#include "../support/doctest.hpp"
#include "websocket_frames.hpp"

#include <span>
#include <string>

using namespace bareasio;
using namespace std::string_literals;
using namespace test::ws;
using reader = bareasio::detail::message_reader;
using found = reader::found;

namespace {

// Parses `bytes` (kept in `buffer`, which parse() unmasks in place).
reader::outcome parse(reader& r, std::string& buffer, std::size_t& used) {
    return r.parse(std::span<char>(buffer.data(), buffer.size()), used);
}

} // namespace

TEST_CASE("message_reader: RFC 6455 §5.7's masked 'Hello', whole and a byte at a time") {
    reader r(1024);
    std::string bytes = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"s;
    std::size_t used = 0;
    auto got = parse(r, bytes, used);
    CHECK(got.what == found::message);
    CHECK(used == bytes.size());
    CHECK(r.kind() == websocket_message::kind::text);
    CHECK(r.message() == "Hello");
    CHECK_FALSE(r.partial());

    r.clear_message();
    const std::string whole = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"s;
    std::string pending;
    for (std::size_t i = 0; i < whole.size(); ++i) {
        pending += whole[i];
        got = parse(r, pending, used);
        pending.erase(0, used);
        if (i + 1 < whole.size()) CHECK(got.what == found::more);
    }
    CHECK(got.what == found::message);
    CHECK(r.message() == "Hello");
}

TEST_CASE("message_reader: a ping between fragments is found first; the message is whole after") {
    reader r(1024);
    std::string bytes =
        client_frame(0x01, "Hel") + client_frame(0x89, "p!") + client_frame(0x80, "lo");
    std::size_t used = 0;
    auto got = parse(r, bytes, used);
    CHECK(got.what == found::ping);
    CHECK(r.control() == "p!");
    CHECK(r.partial()); // inside the message
    std::string rest = bytes.substr(used);
    got = parse(r, rest, used);
    CHECK(got.what == found::message);
    CHECK(r.message() == "Hello");
}

TEST_CASE("message_reader: the failures and their close codes") {
    std::size_t used = 0;
    SUBCASE("text that is not UTF-8: 1007") {
        reader r(1024);
        std::string bytes = client_frame(0x81, "\xff");
        const auto got = parse(r, bytes, used);
        CHECK(got.what == found::failure);
        CHECK(got.code == close_code::invalid_payload);
    }
    SUBCASE("a message past the limit: 1009, before its payload is read") {
        reader r(4);
        std::string bytes = client_frame(0x82, "12345");
        const auto got = parse(r, bytes, used);
        CHECK(got.what == found::failure);
        CHECK(got.code == close_code::too_big);
        CHECK(used == 0);
    }
    SUBCASE("a continuation without a message, RSV1 without compression: 1002") {
        reader r(1024);
        std::string bytes = client_frame(0x80, "x");
        CHECK(parse(r, bytes, used).code == close_code::protocol_error);
        reader r2(1024);
        bytes = client_frame(0xC1, "x");
        CHECK(parse(r2, bytes, used).code == close_code::protocol_error);
    }
    SUBCASE("a close frame of 1 byte: 1002; with an invalid code: 1002") {
        reader r(1024);
        std::string bytes = client_frame(0x88, "x");
        CHECK(parse(r, bytes, used).code == close_code::protocol_error);
        reader r2(1024);
        bytes = client_frame(0x88, close_payload(999));
        CHECK(parse(r2, bytes, used).code == close_code::protocol_error);
    }
}

TEST_CASE("message_reader: the client's close, with and without a code") {
    std::size_t used = 0;
    reader r(1024);
    std::string bytes = client_frame(0x88, close_payload(1000, "bye"));
    auto got = parse(r, bytes, used);
    CHECK(got.what == found::close);
    CHECK(got.code == 1000);
    CHECK(got.reason == "bye");
    reader r2(1024);
    bytes = client_frame(0x88, "");
    got = parse(r2, bytes, used);
    CHECK(got.what == found::close);
    CHECK(got.code == close_code::no_status);
}
