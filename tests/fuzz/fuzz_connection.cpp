// libFuzzer target: arbitrary bytes, split at arbitrary points, through one
// connection's parse -> route -> handler -> serialise path over an
// in-memory stream. The first bytes of the input choose where the rest is
// split, so the fuzzer explores both the requests and how they arrive.
// A WebSocket route (/ws, echo, permessage-deflate) puts the frame parser,
// UTF-8 validation, inflation and the close handshake in reach too.
// Build and run: ./dev.sh fuzz [seconds] (clang, -fsanitize=fuzzer,address,undefined).
#include <bareasio/bareasio.hpp>
#include <bareasio/http/json.hpp>
#include <bareasio/websocket/deflate.hpp>

#include "../support/memory_server.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace bareasio;
using asio::awaitable;

application& fuzz_app() {
    static application app;
    static bool routed = [] {
        app.http_router.add({"GET"}, "/", [](request&) -> awaitable<response> {
            co_return response{200, {}, text_writer("hello")};
        });
        app.http_router.add({"POST", "PUT"}, "/echo", [](request& req) -> awaitable<response> {
            std::string body = co_await text_reader(req);
            co_return response{200, {}, text_writer(std::move(body))};
        });
        app.http_router.add({"POST"}, "/json", [](request& req) -> awaitable<response> {
            auto value = co_await json_reader(req);
            co_return response{200, {}, json_writer(value)};
        });
        app.http_router.add({"GET"}, "/items/{id:int}", [](request& req) -> awaitable<response> {
            co_return response{200, {}, text_writer(std::to_string(req.matches().get<int>("id")))};
        });
        app.http_router.add({"GET"}, "/stream", [](request& req) -> awaitable<response> {
            std::string q(req.raw_query());
            co_return response{200,
                               {},
                               body_writer::from_stream(
                                   [q](body_sink& out) -> awaitable<void> {
                                       co_await out.write("a");
                                       co_await out.write(q);
                                   },
                                   "text/plain")};
        });
        app.ws_router.options.max_message_bytes = 4096;
        app.ws_router.options.send_queue_bytes = 256;
        app.ws_router.options.compression = permessage_deflate({.min_size = 8});
        app.ws_router.add("/ws", [](websocket& ws) -> awaitable<void> {
            co_await ws.accept();
            while (auto m = co_await ws.receive())
                co_await ws.send(m);
        });
        app.http_router.add({"GET"}, "/error", [](request&) -> awaitable<response> {
            throw http_error(418, "teapot");
            co_return 200;
        });
        return true;
    }();
    (void)routed;
    return app;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Two control bytes, then the client's bytes. The low six bits of each
    // are the two alternating piece sizes; byte 0's top bits choose sweeps
    // (the client watch, the deadlines), byte 1's the server end's stream
    // limits (short reads and writes, a full client buffer).
    const unsigned control_a = size > 0 ? data[0] : 0, control_b = size > 1 ? data[1] : 0;
    const std::size_t split_a = control_a % 64 + 1, split_b = control_b % 64 + 1;
    const unsigned sweeps = control_a >> 6, limits = control_b >> 6;
    const std::string_view input(reinterpret_cast<const char*>(data) +
                                     std::min<std::size_t>(size, 2),
                                 size - std::min<std::size_t>(size, 2));

    static const server_config config{.max_header_bytes = 1024,
                                      .max_header_count = 16,
                                      .max_url_bytes = 256,
                                      .max_body_bytes = 4096,
                                      .read_buffer_bytes = 512};
    // Every request's line goes through the access log's escaping too.
    static const auto access = std::make_shared<access_log>("/dev/null");
    test::memory_server server(fuzz_app(), config);
    server.loop().access = access;
    auto client = server.connect([&](testing::stream& s) {
        if (limits & 1) {
            s.read_size(split_a);
            s.write_size(split_b);
        }
        if (limits & 2) s.buffer_limit(split_b * 8);
    });
    for (std::size_t at = 0, i = 0; at < input.size(); ++i) {
        const auto n = std::min(i % 2 ? split_b : split_a, input.size() - at);
        client.send(input.substr(at, n));
        at += n;
        server.poll();
        client.discard();
        if (sweeps & 1) server.sweep(); // a handler running this long gets watched
    }
    if (sweeps & 2) server.sweep(std::chrono::hours(1)); // every deadline passes
    std::error_code ignored;
    client.shutdown(asio::socket_base::shutdown_send, ignored);
    for (int round = 0; round < 64 && server.connections() > 0; ++round) {
        server.poll();
        client.discard();
    }
    return 0;
}
