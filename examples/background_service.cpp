// The seed's background service: started by a startup handler, stopped and
// joined by a shutdown handler, so it lives exactly as long as the server.
// It prints "Service started", then "Service did something" every second
// (--every MS, an option of its own next to the shared flags);
// on SIGINT/SIGTERM "Stopping service" and "Service stopped", and the
// process exits 0. GET / shows how many times it has ticked.
//     ./background_service [--port 9010] [--every MS]
#include <bareasio/bareasio.hpp>
#include <bareasio/tls/serve.hpp> // links OpenSSL: HTTPS with --tls-cert/--tls-key

#include <atomic>
#include <cstdio>

using namespace bareasio;
using namespace std::chrono_literals;

struct state {
    std::chrono::milliseconds every{1000};
    std::atomic<long> ticks{0};
    task_handle service;
};

// SomeService.startup(): one loop, woken by the stop token or every period.
awaitable<void> some_service(stop_token stop, state& st) {
    std::puts("Service started");
    for (;;) {
        // Await into a local (docs/design/compilers.md): GCC 12 miscompiles a
        // coroutine function with no local variable that awaits in a condition.
        const bool stopping = co_await stop.wait_for(st.every);
        if (stopping) break;
        ++st.ticks;
        std::puts("Service did something");
    }
    std::puts("Service stopped");
}

awaitable<void> start_service(lifespan_context& ctx) {
    auto& st = ctx.info<state>();
    st.service = ctx.services.spawn("some service",
                                    [&st](stop_token stop) { return some_service(stop, st); });
    co_return;
}

awaitable<void> stop_service(lifespan_context& ctx) {
    std::puts("Stopping service");
    auto& st = ctx.info<state>();
    st.service.request_stop();
    co_await st.service.join();
}

awaitable<response> get_index(request& req) {
    long ticks = req.info<state>().ticks.load();
    co_return response{200,
                       {{"content-type", "text/html"}},
                       text_writer("<html><body><p>The service has ticked " +
                                   std::to_string(ticks) + " time(s).</p></body></html>\n")};
}

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0); // one line at a time, even into a pipe
    unsigned every_ms = 1000;
    const server_config config = config_from_args(
        argc, argv, {.port = 9010},
        {cli_option("--every", every_ms, "MS", "milliseconds between the service's ticks")});
    application app{std::in_place_type<state>};
    app.info<state>().every = std::chrono::milliseconds(every_ms);
    app.lifespan.on_startup(start_service, "start_service");
    app.lifespan.on_shutdown(stop_service, "stop_service");
    app.http_router.add({"GET"}, "/", get_index);
    return tls::serve(app, config);
}
