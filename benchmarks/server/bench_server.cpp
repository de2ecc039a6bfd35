// The server the load benchmarks drive: TechEmpower's plaintext and JSON
// routes, the seed's routes, and two streaming routes for the memory runs.
//     GET  /plaintext          "Hello, World!" (text/plain)
//     GET  /json               {"message":"Hello, World!"}, built per request
//     GET  /                   the seed's page after its 100 ms wait on the event
//     POST /change_event       True/False sets/clears the event
//     POST /upload             streams the body, answers its length
//     GET  /download?bytes=N   streams N bytes in 64 KiB chunks
//     ./bench_server [--port 8080] [--threads N]
#include <bareasio/bareasio.hpp>
#include <bareasio/http/json.hpp>
#if defined(BENCH_TLS) // bench_tls_server: the same with --tls-cert/--tls-key
#include <bareasio/tls/serve.hpp>
#elif defined(BENCH_H2) // bench_h2_server: the same with HTTP/2 (h2::serve)
#include <bareasio/h2/serve.hpp>
#endif

#include <algorithm>
#include <cstdint>
#include <string>

using namespace bareasio;
using namespace std::chrono_literals;

struct state {
    event toggled;
};

int main(int argc, char** argv) {
    application app{std::in_place_type<state>};
    app.http_router.add({"GET"}, "/plaintext", [](request&) -> awaitable<response> {
        co_return response{200, {}, text_writer("Hello, World!")};
    });
    app.http_router.add({"GET"}, "/json", [](request&) -> awaitable<response> {
        co_return response{200, {}, json_writer({{"message", "Hello, World!"}})};
    });
    app.http_router.add({"GET"}, "/", [](request& req) -> awaitable<response> {
        auto& st = req.info<state>();
        co_await st.toggled.wait_for(100ms);
        co_return response{
            200,
            {{"content-type", "text/html"}},
            text_writer(st.toggled.is_set() ? "<button>Clear</button>" : "<button>Set</button>")};
    });
    app.http_router.add({"POST"}, "/change_event", [](request& req) -> awaitable<response> {
        std::string body = co_await text_reader(req);
        auto& st = req.info<state>();
        if (body == "True")
            st.toggled.set();
        else
            st.toggled.clear();
        co_return 204;
    });
    app.http_router.add({"POST"}, "/upload", [](request& req) -> awaitable<response> {
        std::uint64_t total = 0;
        for (;;) { // streaming: no limit, nothing kept
            std::string_view piece = co_await req.body().read_some();
            if (piece.empty()) break;
            total += piece.size();
        }
        co_return response{200, {}, text_writer(std::to_string(total))};
    });
    app.http_router.add({"GET"}, "/download", [](request& req) -> awaitable<response> {
        const auto bytes = req.query().get("bytes").value_or("0");
        const std::uint64_t n = std::stoull(std::string(bytes));
        co_return response{200,
                           {},
                           body_writer::from_stream(
                               [n](body_sink& out) -> awaitable<void> {
                                   const std::string chunk(64 * 1024, 'x');
                                   for (std::uint64_t sent = 0; sent < n;) {
                                       const auto size = static_cast<std::size_t>(
                                           std::min<std::uint64_t>(chunk.size(), n - sent));
                                       co_await out.write(std::string_view(chunk).substr(0, size));
                                       sent += size;
                                   }
                               },
                               "application/octet-stream", n)};
    });
#if defined(BENCH_TLS)
    return tls::serve(app, config_from_args(argc, argv, {.port = 8080}));
#elif defined(BENCH_H2)
    return h2::serve(app, config_from_args(argc, argv, {.port = 8080}));
#else
    return serve(app, config_from_args(argc, argv, {.port = 8080}));
#endif
}
