// libFuzzer target: arbitrary bytes, split at arbitrary points, through one
// connection's parse -> route -> handler -> serialise path over an
// in-memory stream. The first bytes of the input choose where the rest is
// split, so the fuzzer explores both the requests and how they arrive.
// Build and run: ./dev.sh fuzz [seconds] (clang, -fsanitize=fuzzer,address,undefined).
#include <bareasio/bareasio.hpp>
#include <bareasio/http/json.hpp>

#include "../support/memory_stream.hpp"

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
    // Two bytes of split pattern, then the client's bytes.
    const std::size_t split_a = size > 0 ? data[0] % 64 + 1 : 1;
    const std::size_t split_b = size > 1 ? data[1] % 64 + 1 : 1;
    const std::string_view input(reinterpret_cast<const char*>(data) +
                                     std::min<std::size_t>(size, 2),
                                 size - std::min<std::size_t>(size, 2));
    std::vector<std::string> pieces;
    for (std::size_t at = 0, i = 0; at < input.size(); ++i) {
        const auto n = std::min(i % 2 ? split_b : split_a, input.size() - at);
        pieces.emplace_back(input.substr(at, n));
        at += n;
    }

    static const server_config config{.max_header_bytes = 1024,
                                      .max_header_count = 16,
                                      .max_url_bytes = 256,
                                      .max_body_bytes = 4096,
                                      .read_buffer_bytes = 512};
    auto& app = fuzz_app();
    static const http_handler handler = app.handler();
    asio::io_context ioc;
    loop_context loop(config, handler, app.info_handle());
    // Every request's line goes through the access log's escaping too.
    static const auto access = std::make_shared<access_log>("/dev/null");
    loop.access = access;
    fuzz::memory_stream stream(ioc.get_executor(), std::move(pieces));
    auto conn = std::make_unique<connection<fuzz::memory_stream>>(std::move(stream), loop);
    asio::co_spawn(ioc, conn->run(), asio::detached);
    ioc.run();
    return 0;
}
