// The server the HTTP/2 tests drive (tests/conformance/h2_conformance.py,
// tests/e2e/test_h2.py): h2::serve with routes that show what a stream's
// handler saw and did. --body-timeout-ms, --write-timeout-ms and
// --header-timeout-ms set those limits of server_config, --min-rate both
// minimum data rates (with a grace of one second).
//   any  /                reads the whole body, then answers "root" (h2spec's path)
//   GET  /hello           "hello" (HEAD too)
//   POST /echo            the body back (text_reader: 413 past max_body_bytes)
//   POST /count?ms=N      reads the body piece by piece, N ms between pieces,
//                         and answers its length (flow control)
//   GET  /info            the request as the handler saw it, as JSON
//   GET  /big?bytes=N     N bytes, buffered
//   GET  /stream?n=N      N chunks from a streaming writer
//   GET  /slow?ms=N       answers after N ms (ends early when the server stops)
//   GET  /cancelled       how many /slow handlers were cancelled
//   GET  /fail            a handler that throws (500)
//   GET  /status?code=N   a response of status N; with &bad=1 a header with a line break
#include <bareasio/bareasio.hpp>
#include <bareasio/h2/serve.hpp>
#include <bareasio/http/json.hpp>

#include <asio/steady_timer.hpp>

#include <atomic>
#include <charconv>
#include <memory>

using namespace bareasio;
using namespace std::chrono_literals;

namespace {

struct state {
    std::shared_ptr<std::atomic<int>> cancelled = std::make_shared<std::atomic<int>>(0);
};

std::size_t number(const request& req, std::string_view name, std::size_t fallback) {
    const auto v = req.query().get(name);
    if (!v) return fallback;
    std::size_t n = fallback;
    std::from_chars(v->data(), v->data() + v->size(), n);
    return n;
}

awaitable<response> hello(request&) {
    co_return response{200, {}, text_writer("hello")};
}

awaitable<response> root(request& req) {
    co_await text_reader(req);
    co_return response{200, {}, text_writer("root")};
}

awaitable<response> echo(request& req) {
    co_return response{200, {}, text_writer(co_await text_reader(req))};
}

awaitable<response> count(request& req) {
    const auto pause = std::chrono::milliseconds(number(req, "ms", 0));
    asio::steady_timer timer(co_await asio::this_coro::executor);
    std::size_t total = 0;
    for (;;) {
        const auto piece = co_await req.body().read_some();
        if (piece.empty()) break;
        total += piece.size();
        if (pause.count() > 0) {
            timer.expires_after(pause);
            co_await timer.async_wait(asio::use_awaitable);
        }
    }
    co_return response{200, {}, text_writer(std::to_string(total))};
}

awaitable<response> info(request& req) {
    nlohmann::json j{
        {"version", req.version()},
        {"method", std::string(req.method())},
        {"path", std::string(req.path())},
        {"query", std::string(req.raw_query())},
        {"host", std::string(req.headers().get_or("host", ""))},
        {"cookie", std::string(req.headers().get_or("cookie", ""))},
        {"x-test", std::string(req.headers().get_or("x-test", ""))},
        {"scheme", std::string(req.scheme())},
        {"client", std::string(req.client_address())},
    };
    co_return response{200, {{"X-Mixed-Case", "kept"}}, json_writer(j)};
}

awaitable<response> big(request& req) {
    co_return response{200, {}, text_writer(std::string(number(req, "bytes", 100000), 'b'))};
}

awaitable<response> stream(request& req) {
    const auto n = number(req, "n", 10);
    co_return response{200, {}, stream_writer([n](body_sink& out) -> awaitable<void> {
                           for (std::size_t i = 0; i < n; ++i)
                               co_await out.write("chunk " + std::to_string(i) + "\n");
                       })};
}

awaitable<response> slow(request& req) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(std::chrono::milliseconds(number(req, "ms", 1000)));
    try {
        co_await until_stopped(timer.async_wait(asio::use_awaitable), req.stopping());
    } catch (const std::system_error&) {
        ++*req.info<state>().cancelled;
        throw;
    }
    co_return response{200, {}, text_writer("slept")};
}

awaitable<response> cancelled(request& req) {
    co_return response{200, {}, text_writer(std::to_string(req.info<state>().cancelled->load()))};
}

awaitable<response> status(request& req) {
    response res(static_cast<int>(number(req, "code", 200)));
    if (req.query().get("bad")) res.headers.add("x-bad", "a\r\nb");
    co_return res;
}

awaitable<response> fail(request&) {
    throw std::runtime_error("on purpose");
    co_return response{200};
}

} // namespace

int main(int argc, char** argv) {
    application app{state{}};
    app.http_router.add({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"}, "/", root);
    app.http_router.add({"GET", "HEAD"}, "/hello", hello);
    app.http_router.add({"POST"}, "/echo", echo);
    app.http_router.add({"POST"}, "/count", count);
    app.http_router.add({"GET"}, "/info", info);
    app.http_router.add({"GET"}, "/big", big);
    app.http_router.add({"GET"}, "/stream", stream);
    app.http_router.add({"GET"}, "/slow", slow);
    app.http_router.add({"GET"}, "/cancelled", cancelled);
    app.http_router.add({"GET"}, "/fail", fail);
    app.http_router.add({"GET"}, "/status", status);
    long body_timeout_ms = 10'000, write_timeout_ms = 10'000, header_timeout_ms = 10'000;
    double min_rate = 240; // bytes per second, both ways, after a grace of a second
    auto config = config_from_args(
        argc, argv, {.port = 9020},
        {cli_option("--body-timeout-ms", body_timeout_ms, "MS", "server_config::body_timeout"),
         cli_option("--write-timeout-ms", write_timeout_ms, "MS", "server_config::write_timeout"),
         cli_option("--header-timeout-ms", header_timeout_ms, "MS",
                    "server_config::header_timeout"),
         cli_option("--min-rate", min_rate, "BYTES_PER_SECOND",
                    "both minimum data rates, after a grace of one second")});
    config.body_timeout = std::chrono::milliseconds(body_timeout_ms);
    config.write_timeout = std::chrono::milliseconds(write_timeout_ms);
    config.header_timeout = std::chrono::milliseconds(header_timeout_ms);
    config.min_request_body_rate = {.bytes_per_second = min_rate, .grace = std::chrono::seconds(1)};
    config.min_response_rate = config.min_request_body_rate;
    return h2::serve(app, config);
}
