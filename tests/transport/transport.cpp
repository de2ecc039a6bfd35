// transport: its read and write deadlines, and the reads and writes a
// connection makes, on the in-memory stream with a frozen clock.
#include <bareasio/transport/transport.hpp>

#include <bareasio/testing/stream.hpp>

#include "../support/doctest.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/this_coro.hpp>

#include <chrono>
#include <optional>
#include <string>

using namespace bareasio;
using namespace std::chrono_literals;

namespace {

struct fixture {
    asio::io_context ioc;
    testing::stream client{ioc.get_executor()};
    loop_clock clock = frozen();
    transport<testing::stream> stream{make_server_end(), clock};
    buffer_pool pool{64};
    read_buffer in{pool};
    output_queue out;

    testing::stream make_server_end() {
        testing::stream server_end(ioc.get_executor());
        server_end.connect(client);
        server_end.buffer_limit(1);
        return server_end;
    }
    static loop_clock frozen() {
        loop_clock c;
        c.freeze();
        return c;
    }
    void poll() {
        ioc.restart();
        ioc.poll();
    }
};

} // namespace

TEST_CASE("transport: a read past its deadline ends with errc::timeout, a cancelled one "
          "with operation_aborted") {
    fixture f;
    std::optional<std::error_code> result;
    auto read = [&]() -> asio::awaitable<void> { result = co_await f.stream.read(f.in, f.out); };
    f.stream.expires_after(10s);
    asio::co_spawn(f.ioc, read(), asio::detached);
    f.poll();
    CHECK_FALSE(result);
    f.stream.expire(); // the sweeper found the deadline passed
    f.poll();
    CHECK(result == std::error_code(errc::timeout));

    result.reset();
    f.stream.expires_after(10s);
    asio::co_spawn(f.ioc, read(), asio::detached);
    f.poll();
    f.stream.cancel(); // a cancellation, not a timeout
    f.poll();
    CHECK(result == std::error_code(asio::error::operation_aborted));

    result.reset();
    asio::co_spawn(f.ioc, read(), asio::detached);
    f.client.send("GET");
    f.poll();
    CHECK(result == std::error_code());
    CHECK(f.in.unparsed() == "GET");
}

TEST_CASE("transport: a read deadline is found by passed(), and a later one replaces it") {
    fixture f;
    using deadline = transport<testing::stream>::deadline;
    CHECK(f.stream.passed(f.clock.now() + 1000h) == deadline::none);
    f.stream.expires_after(10s);
    CHECK(f.stream.passed(f.clock.now() + 9s) == deadline::none);
    CHECK(f.stream.passed(f.clock.now() + 10s) == deadline::read);
    f.clock.advance(5s);
    f.stream.expires_after(10s); // from the clock's new now
    CHECK(f.stream.passed(f.clock.now() + 9s) == deadline::none);
    f.stream.expire(); // spent: the sweep finds it no more
    CHECK(f.stream.passed(f.clock.now() + 1000h) == deadline::none);
}

TEST_CASE("transport: a flush past its write deadline fails with errc::timeout and closes the "
          "stream; the read deadline is left alone") {
    fixture f;
    using deadline = transport<testing::stream>::deadline;
    f.stream.expires_never(); // a handler runs: no read deadline
    f.out.append("HTTP/1.1 100 Continue\r\n\r\n");
    std::exception_ptr failure;
    bool done = false;
    rate_meter meter;
    asio::co_spawn(f.ioc, f.stream.flush(f.out, 2s, true, meter, {}), [&](std::exception_ptr e) {
        failure = e;
        done = true;
    });
    f.poll(); // one byte fits; the rest waits for the client
    CHECK_FALSE(done);
    CHECK(f.stream.write_expiry() == f.clock.now() + 2s);
    CHECK(f.stream.expiry() == loop_clock::time_point::max());
    CHECK(f.stream.passed(f.clock.now() + 1999ms) == deadline::none);
    REQUIRE(f.stream.passed(f.clock.now() + 2s) == deadline::write);
    f.stream.expire_write();
    f.poll();
    REQUIRE(failure);
    try {
        std::rethrow_exception(failure);
    } catch (const write_error& e) {
        CHECK(e.code() == errc::timeout);
    }
    CHECK(f.stream.write_expiry() == loop_clock::time_point::max());
    CHECK(f.out.empty());
    CHECK(f.client.received() == "H");
    CHECK(f.client.peer_closed()); // nothing more can reach a client that takes nothing
    CHECK(meter.bytes() == 0);     // the minimum rate counts what moved while it waited
}

TEST_CASE("transport: write_all writes 64 KiB pieces, each with its own write deadline, and a "
          "cancellation does not cut it short") {
    fixture f;
    f.stream.next_layer().buffer_limit(64 * 1024);
    const std::string bytes(150'000, 'x');
    std::optional<std::error_code> result;
    asio::cancellation_signal cancel;
    asio::co_spawn(
        f.ioc,
        [&]() -> asio::awaitable<void> {
            // As a protocol's writer does: its own cancellation waits for the write.
            co_await asio::this_coro::throw_if_cancelled(false);
            result = co_await f.stream.write_all(bytes, 3s);
        },
        asio::bind_cancellation_slot(cancel.slot(), asio::detached));
    f.poll();
    CHECK_FALSE(result);
    CHECK(f.stream.write_expiry() == f.clock.now() + 3s);
    cancel.emit(asio::cancellation_type::terminal); // not cut short
    f.clock.advance(2s);
    std::string got = f.client.received(); // the client takes the first piece
    f.poll();
    CHECK(f.stream.write_expiry() == f.clock.now() + 3s); // the next piece's
    while (!result) {
        got += f.client.received();
        f.poll();
    }
    got += f.client.received();
    CHECK(*result == std::error_code());
    CHECK(got == bytes);
    CHECK(f.stream.write_expiry() == loop_clock::time_point::max());
}
