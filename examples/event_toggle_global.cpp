// The seed's failing case, made to work: the event is created at namespace
// scope, before main() and before any io_context exists. In Python this is
// what raised "got Future attached to a different loop"; a bareasio::event
// has no loop of its own, so each wait simply resumes on the executor of
// the coroutine that waits.
//     ./event_toggle_global [--port 9009]
#include <bareasio/bareasio.hpp>
#include <bareasio/tls/serve.hpp> // links OpenSSL: HTTPS with --tls-cert/--tls-key

using namespace bareasio;
using namespace std::chrono_literals;

// !!! Create the event !!! (at import time, as the seed did)
static event toggled;

static std::string render_page(bool is_set) {
    std::string state = is_set ? "False" : "True";
    std::string message = is_set ? "Clear" : "Set";
    return "<html>\n<body>\n<button onclick=\"changeEvent('" + state + "')\">" + message +
           "</button>\n<script>\nfunction changeEvent(state) {\n"
           "  fetch('/change_event', { method: 'POST', body: state })\n"
           "    .then(response => location.reload())\n}\n</script>\n</body>\n</html>\n";
}

awaitable<response> get_index(request&) {
    // !!! Do something asynchronous !!! (this line raised in Python)
    co_await toggled.wait_for(100ms);
    co_return response{
        200, {{"content-type", "text/html"}}, text_writer(render_page(toggled.is_set()))};
}

awaitable<response> change_event(request& req) {
    // Await into a local (docs/design/compilers.md): GCC 12 miscompiles a
    // coroutine function with no local variable that awaits in a condition.
    std::string body = co_await text_reader(req);
    if (body == "True")
        toggled.set();
    else
        toggled.clear();
    co_return 204;
}

int main(int argc, char** argv) {
    application app;
    app.http_router.add({"GET"}, "/", get_index);
    app.http_router.add({"POST"}, "/change_event", change_event);
    return tls::serve(app, config_from_args(argc, argv, {.port = 9009}));
}
