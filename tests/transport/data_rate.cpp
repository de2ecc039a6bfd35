// data_rate: minimum data rates for request bodies and responses, on the
// meter's arithmetic and on connections over the in-memory stream.
#include <bareasio/transport/data_rate.hpp>

#include "../support/apps.hpp"
#include "../support/doctest.hpp"
#include "../support/memory_server.hpp"

#include <string>

using namespace bareasio;
using namespace std::chrono_literals;
using test::get;
using test::without_dates;

TEST_CASE("rate_meter: the grace period, then the time its bytes earn at the rate") {
    const min_data_rate rate{.bytes_per_second = 100, .grace = 5s};
    rate_meter m;
    CHECK(m.allowance(rate) == 5s);
    m.record(2s, 0);
    CHECK(m.allowance(rate) == 3s); // waited 2 of the 5 s of grace
    m.record(1s, 1000);             // 1,000 bytes earn 10 s
    CHECK(m.allowance(rate) == 7s);
    CHECK(m.allowance(rate, 500) == 12s); // a write of 500 more earns 5 s more
    m.record(20s, 0);
    CHECK(m.allowance(rate) == 0s);
    m.reset();
    CHECK(m.allowance(rate) == 5s);
    CHECK(m.allowance({.bytes_per_second = 0}) == rate_meter::duration::max());
}

namespace {

std::string upload_head(std::size_t length) {
    return "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(length) +
           "\r\n\r\n";
}

} // namespace

TEST_CASE("min_request_body_rate: a trickling body is dropped after the grace period, long "
          "before body_timeout") {
    application app;
    test::memory_server server(test::test_app(app)); // defaults: 240 B/s, 5 s grace, 10 s timeout
    auto trickler = server.connect();
    trickler.send(upload_head(1000) + "a");
    server.poll();
    server.sweep(4s);
    CHECK(trickler.available() == 0); // still in its grace period
    server.sweep(6s);
    CHECK(without_dates(trickler.received()) ==
          "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\nDate: "
          "*\r\nContent-Length: 34\r\nConnection: close\r\n\r\nrequest body not received in "
          "time\n");
    CHECK(trickler.peer_closed());
}

TEST_CASE("min_request_body_rate: bytes that came earn time; the check can be turned off") {
    application app;
    test::memory_server server(test::test_app(app));
    auto steady = server.connect();
    steady.send(upload_head(5000) + std::string(2400, 'x')); // earns 10 s at 240 B/s
    server.poll();
    server.sweep(8s);
    CHECK(steady.available() == 0); // past the grace period, within what its bytes earned
    steady.send(std::string(2600, 'y'));
    server.poll();
    CHECK(without_dates(steady.received()).find("200 OK") != std::string::npos);

    application off_app;
    test::memory_server off(test::test_app(off_app),
                            {.min_request_body_rate = {.bytes_per_second = 0}});
    auto trickler = off.connect();
    trickler.send(upload_head(1000) + "a");
    off.poll();
    off.sweep(9s);
    CHECK(trickler.available() == 0); // only body_timeout (10 s) applies
    off.sweep(11s);
    CHECK(without_dates(trickler.received()).find("408") != std::string::npos);
    CHECK(trickler.peer_closed());
}

TEST_CASE("min_response_rate: a client that stops reading a stream is dropped after the grace "
          "period, long before write_timeout") {
    bool ended = false;
    application app;
    app.http_router.add({"GET"}, "/ticks", [&](request&) -> awaitable<response> {
        auto stream = [&](body_sink& out) -> awaitable<void> {
            struct on_exit {
                bool& flag;
                ~on_exit() { flag = true; }
            } guard{ended};
            for (;;)
                co_await out.write(std::string(100, 't'));
        };
        co_return response{200, {}, body_writer::from_stream(stream, "text/plain")};
    });
    test::memory_server server(app);
    auto reader = server.connect([](testing::stream& s) { s.buffer_limit(1000); });
    reader.send(get("/ticks"));
    server.poll();
    server.sweep(4s);
    CHECK_FALSE(ended);
    server.sweep(6s);
    CHECK(ended);
    CHECK(server.connections() == 0);
}
