// outbox: frames out, on bytes alone (no socket): the exact frames queued,
// what is counted against the bound, the pong kept while backed up, the
// close frame, shared payloads and batches.
#include <bareasio/websocket/detail/outbox.hpp>

#include "../support/doctest.hpp"
#include "websocket_frames.hpp"

#include <memory>
#include <string>

using namespace bareasio;
using namespace std::string_literals;
using namespace test::ws;
using bareasio::detail::outbox;
using bareasio::detail::send_queue;

namespace {

// Every byte of a batch, shared payloads included, in order.
std::string bytes_of(const send_queue& q) {
    std::string all;
    for (std::size_t i = 0; i < q.pieces(); ++i)
        all += q.piece(i);
    return all;
}

// Takes the whole outbox as one batch, as the session's writer does.
std::string drain(outbox& box) {
    std::string all = bytes_of(box.take());
    box.written();
    return all;
}

} // namespace

TEST_CASE("outbox: messages and control frames are queued as unmasked frames, in order") {
    outbox box(1024);
    CHECK_FALSE(box.has_output());
    box.message(opcode::text, "Hello", nullptr);
    box.frame(opcode::ping, "");
    box.message(opcode::binary, "\x01\x02"s, nullptr);
    CHECK(box.has_output());
    CHECK(box.size() == 7 + 2 + 4);
    CHECK(drain(box) ==
          server_frame(0x81, "Hello") + server_frame(0x89, "") + server_frame(0x82, "\x01\x02"s));
    CHECK_FALSE(box.has_output());
    CHECK(box.size() == 0);
}

TEST_CASE("outbox: a batch being written counts against the bound until written()") {
    outbox box(10);
    box.message(opcode::text, "12345678", nullptr); // 10 bytes framed
    CHECK_FALSE(box.over_bound());
    CHECK(box.full(1));
    const send_queue& batch = box.take();
    CHECK(batch.size() == 10);
    CHECK_FALSE(box.has_output());
    CHECK(box.size() == 10); // in flight
    CHECK(box.full(1));
    box.message(opcode::text, "x", nullptr);
    CHECK(box.over_bound());
    box.written();
    CHECK(box.size() == 3);
    CHECK_FALSE(box.over_bound());
    // One larger than the whole bound may go when nothing else is held.
    box.discard();
    CHECK_FALSE(box.full(100));
}

TEST_CASE("outbox: every ping is answered, but only the latest while backed up") {
    outbox box(1024);
    std::string ping = "a";
    box.pong(ping, false);
    ping = "b";
    box.pong(ping, false); // not backed up: "a" is sealed first
    CHECK(box.size() == 3 + 3);
    CHECK(drain(box) == server_frame(0x8A, "a") + server_frame(0x8A, "b"));

    for (const char* p : {"1", "2", "3"}) {
        ping = p;
        box.pong(ping, true); // a write waits for the client
    }
    CHECK(box.size() == 3);
    CHECK(drain(box) == server_frame(0x8A, "3"));
}

TEST_CASE("outbox: the pong goes before a close frame; a close carries code and reason") {
    outbox box(1024);
    std::string ping = "p";
    box.pong(ping, true);
    box.close(close_code::going_away, "bye");
    CHECK(drain(box) == server_frame(0x8A, "p") + server_frame(0x88, "\x03\xe9"s + "bye"));

    box.close(0, "ignored without a code");
    CHECK(drain(box) == server_frame(0x88, ""));

    box.close(close_code::normal, std::string(200, 'r')); // a reason is cut to 123 bytes
    CHECK(drain(box) == server_frame(0x88, "\x03\xe8"s + std::string(123, 'r')));
}

TEST_CASE("outbox: a large shared payload is referenced, not copied; a small one is copied") {
    outbox box(1 << 20);
    const auto large = std::make_shared<const std::string>(outbox::shared_at_least, 'L');
    const auto small = std::make_shared<const std::string>("tiny");
    box.message(opcode::binary, *large, &large);
    box.message(opcode::text, *small, &small);
    const send_queue& batch = box.take();
    CHECK(batch.has_shared());
    CHECK(batch.pieces() == 3);
    CHECK(batch.piece(1).data() == large->data()); // the same bytes
    CHECK(bytes_of(batch) == server_frame(0x82, *large) + server_frame(0x81, "tiny"));
    box.written();
}

TEST_CASE("outbox: unwritten() seals the pong and gives the queue to write directly") {
    outbox box(1024);
    box.raw("HTTP/1.1 101 Switching Protocols\r\n\r\n");
    std::string ping = "x";
    box.pong(ping, false);
    send_queue& q = box.unwritten();
    CHECK(bytes_of(q) == "HTTP/1.1 101 Switching Protocols\r\n\r\n" + server_frame(0x8A, "x"));
    q.consume(q.bytes().size() - 2); // the socket took all but the last two bytes
    CHECK(bytes_of(box.take()) == server_frame(0x8A, "x").substr(1));
    box.written();
    box.release();
    CHECK(box.size() == 0);
    CHECK_FALSE(box.has_output());
}
