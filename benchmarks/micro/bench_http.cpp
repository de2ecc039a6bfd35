// Micro-benchmarks of the HTTP layer: route matching over 50 routes,
// parsing a request through the llhttp adapter, serialising a response,
// and a whole plaintext request through a real connection (parse, route,
// handler, serialise, write) over an in-memory stream, with the
// allocations each costs (operator new and aligned_alloc, counted).
#include "alloc_counter.hpp"

#include <bareasio/bareasio.hpp>

#include <bareasio/testing/stream.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

using namespace bareasio;

namespace {

void report_allocations(benchmark::State& state, long before, double ops) {
    state.counters["allocs/op"] =
        static_cast<double>(bench::allocations.load() - before) / (ops > 0 ? ops : 1);
}

router fifty_routes() {
    router r;
    auto h = [](request&) -> asio::awaitable<response> { co_return 200; };
    for (int i = 0; i < 25; ++i) {
        r.add({"GET"}, "/api/v1/resource" + std::to_string(i) + "/list", h);
        r.add({"GET", "PUT"}, "/api/v1/resource" + std::to_string(i) + "/{id:int}", h);
    }
    return r;
}

void BM_route_literal(benchmark::State& state) {
    const router r = fifty_routes();
    route_matches matches;
    long before = bench::allocations.load();
    for (auto _ : state)
        benchmark::DoNotOptimize(r.match("GET", "/api/v1/resource17/list", matches));
    report_allocations(state, before, static_cast<double>(state.iterations()));
}
BENCHMARK(BM_route_literal);

void BM_route_parameter(benchmark::State& state) {
    const router r = fifty_routes();
    route_matches matches;
    r.match("PUT", "/api/v1/resource23/12345", matches); // warm the matches' storage
    long before = bench::allocations.load();
    for (auto _ : state)
        benchmark::DoNotOptimize(r.match("PUT", "/api/v1/resource23/12345", matches));
    report_allocations(state, before, static_cast<double>(state.iterations()));
}
BENCHMARK(BM_route_parameter);

constexpr std::string_view typical_request =
    "GET /api/v1/resource3/list?page=2 HTTP/1.1\r\nHost: example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: text/html,application/json\r\n"
    "Accept-Encoding: gzip, deflate\r\nAccept-Language: en-GB,en;q=0.9\r\n"
    "Connection: keep-alive\r\n\r\n";

void BM_parse_request(benchmark::State& state) {
    request_head head;
    request_parser parser(head);
    long before = 0;
    bool warm = false;
    for (auto _ : state) {
        auto step = parser.parse(typical_request);
        benchmark::DoNotOptimize(step);
        step = parser.parse(typical_request.substr(step.consumed)); // message complete
        if (!warm) {
            warm = true;
            before = bench::allocations.load();
        }
    }
    report_allocations(state, before, static_cast<double>(state.iterations() - 1));
}
BENCHMARK(BM_parse_request);

void BM_serialize_response(benchmark::State& state) {
    std::string out;
    const response res{200, {{"content-type", "text/plain"}}, text_writer("Hello, World!")};
    const head_options options{11, true, false};
    long before = 0;
    bool warm = false;
    for (auto _ : state) {
        out.clear();
        write_head(out, res, "Sat, 21 Nov 2026 18:00:00 GMT", options);
        out.append(res.body.data());
        benchmark::DoNotOptimize(out.data());
        if (!warm) {
            warm = true;
            before = bench::allocations.load();
        }
    }
    report_allocations(state, before, static_cast<double>(state.iterations() - 1));
}
BENCHMARK(BM_serialize_response);

// Plaintext requests one after another on one keep-alive connection, the
// way a client that waits for each response sends them.
void BM_plaintext_connection(benchmark::State& state) {
    application app;
    app.http_router.add({"GET"}, "/plaintext", [](request&) -> asio::awaitable<response> {
        co_return response{200, {}, text_writer("Hello, World!")};
    });
    const http_handler handler = app.handler();
    const server_config config;
    const std::string req = "GET /plaintext HTTP/1.1\r\nHost: bench\r\n\r\n";
    constexpr int warm = 1000;
    const int n = static_cast<int>(state.range(0));
    long allocs = 0;
    for (auto _ : state) {
        state.PauseTiming();
        asio::io_context ioc(1);
        loop_context loop(config, handler, app.info_handle());
        testing::stream server_end(ioc.get_executor()), client(ioc.get_executor());
        server_end.connect(client);
        auto conn = std::make_unique<connection<testing::stream>>(std::move(server_end), loop);
        asio::co_spawn(ioc, conn->run(), asio::detached);
        std::size_t answered = 0;
        // The client runs on the loop too, as a socket's completions do
        // (Asio recycles memory only for code the loop runs).
        auto client_requests = [&](int count) -> asio::awaitable<void> {
            char response[4096];
            for (int i = 0; i < count; ++i) {
                client.send(req);
                const std::size_t got =
                    co_await client.async_read_some(asio::buffer(response), asio::use_awaitable);
                answered += got;
            }
        };
        asio::co_spawn(ioc, client_requests(warm), asio::detached); // warm caches and buffers
        ioc.poll();
        asio::co_spawn(ioc, client_requests(n), asio::detached);
        state.ResumeTiming();
        const long before = bench::allocations.load();
        ioc.poll();
        allocs += bench::allocations.load() - before;
        state.PauseTiming();
        if (answered == 0) state.SkipWithError("no response");
        client.close();
        ioc.poll();
        conn.reset();
        state.ResumeTiming();
    }
    state.counters["allocs/request"] = static_cast<double>(allocs) / static_cast<double>(n) /
                                       static_cast<double>(state.iterations());
    state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_plaintext_connection)->Arg(20000)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
