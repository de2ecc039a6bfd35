// connection_stream: the deadline of the operation in progress, and the
// reads and writes the connection makes, on the in-memory stream.
#include <bareasio/server/connection_stream.hpp>

#include <bareasio/testing/stream.hpp>

#include "../support/doctest.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <optional>

using namespace bareasio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

struct fixture {
    asio::io_context ioc;
    testing::stream client{ioc.get_executor()};
    connection_stream<testing::stream> stream{make_server_end()};
    buffer_pool pool{64};
    read_buffer in{pool};
    output_queue out;

    testing::stream make_server_end() {
        testing::stream server_end(ioc.get_executor());
        server_end.connect(client);
        server_end.buffer_limit(1);
        return server_end;
    }
    void poll() {
        ioc.restart();
        ioc.poll();
    }
};

} // namespace

TEST_CASE("connection_stream: a read past its deadline ends with errc::timeout, a cancelled one "
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

TEST_CASE("connection_stream: a flush past its deadline fails with errc::timeout and gives the "
          "deadline of the operation in progress back") {
    fixture f;
    f.stream.expires_never(); // a handler runs: no deadline
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
    CHECK(f.stream.expiry() != clock_type::time_point::max()); // the write's deadline
    f.stream.expire();
    f.poll();
    REQUIRE(failure);
    try {
        std::rethrow_exception(failure);
    } catch (const write_error& e) {
        CHECK(e.code() == errc::timeout);
    }
    CHECK(f.stream.expiry() == clock_type::time_point::max());
    CHECK(f.out.empty());
    CHECK(f.client.received() == "H");
    CHECK(meter.bytes() == 24); // the wait is accounted for the minimum rate
}
