// The seed's event page: a button that sets and clears an event. GET / waits
// up to 100 ms for the event (the seed's "do something asynchronous"), then
// shows "Set" or "Clear"; the button POSTs True/False to /change_event.
// The event lives in the application's typed info and, unlike asyncio's,
// cannot belong to the wrong loop: each wait resumes on its own executor.
// With --redis, every instance pointed at that Redis shares the event: a
// click on one changes the page on all (run several behind nginx).
//     ./event_toggle [--port 9009]      then open http://127.0.0.1:9009
//     ./event_toggle --port 9009 --redis redis://127.0.0.1:6379
//     ./event_toggle --port 9010 --redis redis://127.0.0.1:6379
// With --tls-cert FILE --tls-key FILE it serves HTTPS (SIGHUP reloads them).
#include <bareasio/bareasio.hpp>
#include <bareasio/h2/serve.hpp>           // links libnghttp2 and OpenSSL
#include <bareasio/redis/shared_event.hpp> // links hiredis

using namespace bareasio;
using namespace std::chrono_literals;

struct state {
    // A local event until connected to Redis; then shared through it.
    redis::shared_event toggled{"bareasio:event_toggle"};
};

static std::string render_page(bool is_set) {
    std::string page = R"html(<html>
<body>
<button onclick="changeEvent('{state}')">{message}</button>
<script>
function changeEvent(state) {
  fetch('/change_event', { method: 'POST', body: state })
    .then(response => location.reload())
}
</script>
</body>
</html>
)html";
    auto replace = [&](std::string_view key, std::string_view value) {
        page.replace(page.find(key), key.size(), value);
    };
    replace("{state}", is_set ? "False" : "True");
    replace("{message}", is_set ? "Clear" : "Set");
    return page;
}

awaitable<response> get_index(request& req) {
    auto& st = req.info<state>();
    // Do something asynchronous: wait up to 100 ms for the event.
    co_await st.toggled.wait_for(100ms);
    co_return response{
        200, {{"content-type", "text/html"}}, text_writer(render_page(st.toggled.is_set()))};
}

awaitable<response> change_event(request& req) {
    auto& st = req.info<state>();
    if (co_await text_reader(req) == "True")
        st.toggled.set();
    else
        st.toggled.clear();
    co_return 204;
}

int main(int argc, char** argv) {
    std::string redis_url; // empty: the event stays in this process
    auto config =
        config_from_args(argc, argv, {.port = 9009},
                         {cli_option("--redis", redis_url, "URL",
                                     "share the event through Redis (redis://host:port/db)")});
    application app{state{}};
    app.http_router.add({"GET"}, "/", get_index);
    app.http_router.add({"POST"}, "/change_event", change_event);
    if (!redis_url.empty())
        app.lifespan.add(
            "redis",
            [&](lifespan_context& ctx) {
                return ctx.info<state>().toggled.connect(ctx.executor, redis_url);
            },
            [](lifespan_context& ctx) { return ctx.info<state>().toggled.close(); });
    // HTTPS with --tls-cert (h2 or HTTP/1.1 by ALPN), else plain HTTP/1.1
    // and HTTP/2 by prior knowledge, on the same port.
    return h2::serve(app, config);
}
