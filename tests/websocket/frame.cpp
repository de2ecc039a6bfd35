// The frame header as a client sends it, parsed and checked (RFC 6455
// §5.2), at every length form and split; the server's headers; unmasking
// at any offset.
#include <bareasio/websocket/frame.hpp>

#include "../support/doctest.hpp"

#include <string>

using namespace bareasio;
using namespace std::string_literals;

TEST_CASE("parse: RFC 6455 §5.7's masked 'Hello', and the header incomplete at every byte") {
    const std::string bytes = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"s;
    frame_header h;
    for (std::size_t n = 0; n < 6; ++n)
        CHECK(parse_frame_header(std::string_view(bytes).substr(0, n), h, false).status ==
              frame_status::incomplete);
    const auto got = parse_frame_header(bytes, h, false);
    REQUIRE(got.status == frame_status::complete);
    CHECK(got.size == 6);
    CHECK(h.fin);
    CHECK(h.op == opcode::text);
    CHECK(h.length == 5);
    std::string payload = bytes.substr(6);
    unmask(payload.data(), payload.size(), h.mask, 0);
    CHECK(payload == "Hello");
}

TEST_CASE("parse: 16-bit and 64-bit lengths") {
    frame_header h;
    const std::string len16 = "\x82\xfe\x01\x00"s + "MASK";
    auto got = parse_frame_header(len16, h, false);
    CHECK(got.status == frame_status::complete);
    CHECK(got.size == 8);
    CHECK(h.length == 256);
    const std::string len64 = "\x82\xff\x00\x00\x00\x00\x00\x01\x00\x00"s + "MASK";
    got = parse_frame_header(len64, h, false);
    CHECK(got.status == frame_status::complete);
    CHECK(got.size == 14);
    CHECK(h.length == 65536);
    CHECK(parse_frame_header(len64.substr(0, 13), h, false).status == frame_status::incomplete);
    const std::string top_bit = "\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00"s + "MASK";
    CHECK(parse_frame_header(top_bit, h, false).status == frame_status::invalid);
}

TEST_CASE("parse: what RFC 6455 forbids a client") {
    frame_header h;
    const auto status = [&h](std::string bytes, bool rsv1 = false) {
        return parse_frame_header(bytes, h, rsv1).status;
    };
    CHECK(status("\x81\x05Hello"s) == frame_status::invalid);       // unmasked
    CHECK(status("\xc1\x80MASK"s) == frame_status::invalid);        // RSV1 without an extension
    CHECK(status("\xc1\x80MASK"s, true) == frame_status::complete); // RSV1 with one
    CHECK(status("\xa1\x80MASK"s, true) == frame_status::invalid);  // RSV2
    CHECK(status("\x91\x80MASK"s, true) == frame_status::invalid);  // RSV3
    CHECK(status("\x83\x80MASK"s) == frame_status::invalid);        // opcode 3
    CHECK(status("\x8b\x80MASK"s) == frame_status::invalid);        // opcode 11
    CHECK(status("\x09\x80MASK"s) == frame_status::invalid);        // fragmented ping
    CHECK(status("\x89\xfe\x00\x7e"s + "MASK") == frame_status::invalid); // 126-byte ping
    CHECK(status("\xc9\x80MASK"s, true) == frame_status::invalid);        // compressed ping
    CHECK(status("\x89\xfd"s + "MASK") == frame_status::complete);        // 125-byte ping
}

TEST_CASE("write: the server's headers, unmasked, at each length form") {
    char out[10];
    CHECK(std::string(out, write_frame_header(out, opcode::text, true, 5)) == "\x81\x05"s);
    CHECK(std::string(out, write_frame_header(out, opcode::binary, false, 126)) ==
          "\x02\x7e\x00\x7e"s);
    CHECK(std::string(out, write_frame_header(out, opcode::binary, true, 65536, true)) ==
          "\xc2\x7f\x00\x00\x00\x00\x00\x01\x00\x00"s);
}

TEST_CASE("unmask: any offset and length gives the byte-by-byte result") {
    const std::array<unsigned char, 4> mask{0x01, 0x02, 0x04, 0x80};
    std::string plain;
    for (int i = 0; i < 37; ++i)
        plain += static_cast<char>('a' + i % 26);
    for (std::size_t offset = 0; offset < 5; ++offset) {
        std::string masked = plain;
        for (std::size_t i = 0; i < masked.size(); ++i)
            masked[i] = static_cast<char>(masked[i] ^ mask[(offset + i) % 4]);
        unmask(masked.data(), masked.size(), mask, offset);
        CHECK(masked == plain);
    }
}

TEST_CASE("close codes: those a close frame may carry") {
    for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                     3999, 4000, 4999})
        CHECK(valid_close_code(static_cast<std::uint16_t>(code)));
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535})
        CHECK_FALSE(valid_close_code(static_cast<std::uint16_t>(code)));
}
