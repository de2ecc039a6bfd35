// bareasio::testing::stream on its own: two ends, sizes, limits, failures,
// cancellation, shutdown and close, with Asio's own algorithms on top.
#include <bareasio/testing/stream.hpp>

#include "../support/doctest.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <optional>
#include <string>

using bareasio::testing::stream;

namespace {

struct pair_of_ends {
    asio::io_context ioc;
    stream a{ioc.get_executor()};
    stream b{ioc.get_executor()};
    pair_of_ends() { a.connect(b); }
    // Runs what is ready (the context stops whenever it runs out of work).
    void poll() {
        ioc.restart();
        ioc.poll();
    }
};

struct outcome {
    std::optional<std::error_code> ec;
    std::size_t n = 0;
    auto handler() {
        return [this](std::error_code e, std::size_t k) {
            ec = e;
            n = k;
        };
    }
};

} // namespace

TEST_CASE("stream: what one end writes the other reads; completions are posted, never inline") {
    pair_of_ends p;
    char buf[16];
    outcome read;
    p.b.async_read_some(asio::buffer(buf), read.handler());
    CHECK_FALSE(read.ec); // nothing yet
    p.a.send("hello");
    CHECK_FALSE(read.ec); // not inside send()
    p.poll();
    REQUIRE(read.ec);
    CHECK(*read.ec == std::error_code());
    CHECK(std::string(buf, read.n) == "hello");

    outcome write;
    p.b.async_write_some(asio::buffer(std::string_view("back")), write.handler());
    CHECK_FALSE(write.ec);
    p.poll();
    CHECK(write.n == 4);
    CHECK(p.a.received() == "back");
}

TEST_CASE("stream: read_size and write_size bound each operation") {
    pair_of_ends p;
    p.b.read_size(3);
    p.a.write_size(2);
    std::error_code ec;
    CHECK(p.a.write_some(asio::buffer(std::string_view("abcdef")), ec) == 2);
    CHECK_FALSE(ec);
    p.a.send("cdef");
    char buf[16];
    CHECK(p.b.read_some(asio::buffer(buf), ec) == 3);
    CHECK(std::string(buf, 3) == "abc");
    std::string all(6, '\0');
    asio::error_code read_ec;
    CHECK(asio::read(p.b, asio::buffer(all.data(), 3), read_ec) == 3); // Asio's loop on top
    CHECK(all.substr(0, 3) == "def");
}

TEST_CASE("stream: synchronous operations never block; would_block, then eof after shutdown") {
    pair_of_ends p;
    std::error_code ec;
    p.b.non_blocking(true, ec);
    CHECK(p.b.non_blocking());
    char buf[4];
    CHECK(p.b.read_some(asio::buffer(buf), ec) == 0);
    CHECK(ec == asio::error::would_block);
    p.a.send("x");
    p.a.shutdown(asio::socket_base::shutdown_send, ec);
    CHECK_FALSE(p.b.peer_closed()); // "x" is there to read first
    CHECK(p.b.read_some(asio::buffer(buf), ec) == 1);
    CHECK(p.b.peer_closed());
    CHECK(p.b.read_some(asio::buffer(buf), ec) == 0);
    CHECK(ec == asio::error::eof);
    CHECK(p.b.peer_closed());
    CHECK(p.a.write_some(asio::buffer(std::string_view("y")), ec) == 0);
    CHECK(ec == asio::error::broken_pipe); // its own sending side is shut
}

TEST_CASE("stream: buffer_limit holds writes back until the reader takes bytes") {
    pair_of_ends p;
    p.a.buffer_limit(4);
    std::error_code ec;
    CHECK(p.a.write_some(asio::buffer(std::string_view("abcdef")), ec) == 4);
    CHECK(p.a.write_some(asio::buffer(std::string_view("ef")), ec) == 0);
    CHECK(ec == asio::error::would_block);

    std::string sent(10, 'z');
    outcome write;
    asio::async_write(p.a, asio::buffer(sent), write.handler());
    p.poll();
    CHECK_FALSE(write.ec); // the limit is reached: it waits
    CHECK(p.b.received() == "abcd");
    p.poll();
    CHECK(p.b.received() == "zzzz");
    p.poll();
    CHECK(p.b.received() == "zzzz");
    p.poll();
    CHECK(p.b.discard() == 2);
    p.poll();
    REQUIRE(write.ec);
    CHECK(*write.ec == std::error_code());
    CHECK(write.n == 10);
}

TEST_CASE("stream: fail_after makes the n-th operation and every later one fail") {
    pair_of_ends p;
    p.b.fail_after(2, asio::error::connection_reset);
    p.a.send("abcdef");
    char buf[1];
    std::error_code ec;
    CHECK(p.b.read_some(asio::buffer(buf), ec) == 1); // 0
    CHECK_FALSE(ec);
    CHECK(p.b.read_some(asio::buffer(buf), ec) == 1); // 1
    CHECK_FALSE(ec);
    outcome read; // 2: fails
    p.b.async_read_some(asio::buffer(buf), read.handler());
    p.poll();
    CHECK(read.ec == asio::error::connection_reset);
    CHECK(p.b.write_some(asio::buffer(std::string_view("x")), ec) == 0); // 3: fails too
    CHECK(ec == asio::error::connection_reset);
}

TEST_CASE("stream: cancel() and per-operation cancellation complete with operation_aborted") {
    pair_of_ends p;
    char buf[4];
    outcome read;
    p.b.async_read_some(asio::buffer(buf), read.handler());
    p.b.cancel();
    p.poll();
    CHECK(read.ec == asio::error::operation_aborted);

    asio::cancellation_signal signal;
    outcome again;
    p.b.async_read_some(asio::buffer(buf),
                        asio::bind_cancellation_slot(signal.slot(), again.handler()));
    p.poll();
    CHECK_FALSE(again.ec);
    signal.emit(asio::cancellation_type::terminal);
    p.poll();
    CHECK(again.ec == asio::error::operation_aborted);

    outcome later; // the stale slot handler cannot touch a later operation
    p.b.async_read_some(asio::buffer(buf), later.handler());
    signal.emit(asio::cancellation_type::terminal);
    p.a.send("ok");
    p.poll();
    CHECK(later.ec == std::error_code());
    CHECK(later.n == 2);
}

TEST_CASE("stream: close ends both ways; a pending read of the peer sees eof, its writes fail") {
    pair_of_ends p;
    char buf[4];
    outcome peer_read, own_read;
    p.b.async_read_some(asio::buffer(buf), peer_read.handler());
    p.a.async_read_some(asio::buffer(buf), own_read.handler());
    p.a.close();
    p.poll();
    CHECK(own_read.ec == asio::error::operation_aborted);
    CHECK(peer_read.ec == asio::error::eof);
    CHECK_FALSE(p.a.is_open());
    std::error_code ec;
    CHECK(p.b.write_some(asio::buffer(std::string_view("x")), ec) == 0);
    CHECK(ec == asio::error::broken_pipe);
    CHECK(p.a.read_some(asio::buffer(buf), ec) == 0);
    CHECK(ec == asio::error::bad_descriptor);
}

TEST_CASE("stream: one read and one write at a time; a second is refused with in_progress") {
    pair_of_ends p;
    char buf[4];
    outcome first, second;
    p.b.async_read_some(asio::buffer(buf), first.handler());
    p.b.async_read_some(asio::buffer(buf), second.handler());
    p.poll();
    CHECK(second.ec == asio::error::in_progress);
    CHECK_FALSE(first.ec);
    p.a.send("z");
    p.poll();
    CHECK(first.n == 1);
}

TEST_CASE("stream: a pending operation keeps its io_context running, as a socket's does") {
    pair_of_ends p;
    char buf[4];
    outcome read;
    p.b.async_read_some(asio::buffer(buf), read.handler());
    CHECK(p.ioc.run_for(std::chrono::milliseconds(1)) == 0); // still waiting, not stopped
    CHECK_FALSE(p.ioc.stopped());
    p.a.send("go");
    p.ioc.run();
    CHECK(read.n == 2);
}

TEST_CASE("stream: the remote endpoint is 127.0.0.1 unless set") {
    pair_of_ends p;
    CHECK(p.a.remote_endpoint().address().to_string() == "127.0.0.1");
    p.a.remote_endpoint({asio::ip::make_address("10.0.0.9"), 4711});
    std::error_code ec;
    CHECK(p.a.remote_endpoint(ec).port() == 4711);
    CHECK_FALSE(ec);
}
