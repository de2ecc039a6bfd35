// The seed's event page, live: GET /events is a server-sent event stream
// that pushes the event's state ("set" or "clear") at once and again every
// time the button changes it; the page updates without reloading.
// Every open stream waits on the same notifier; a browser that goes away is
// noticed and its stream's wait cancelled, and on SIGTERM every stream ends
// at once (req.stopping()) so the server stops without waiting for them.
//     ./server_sent_events [--port 9011]   then open http://127.0.0.1:9011
#include <bareasio/bareasio.hpp>
#include <bareasio/tls/serve.hpp> // links OpenSSL: HTTPS with --tls-cert/--tls-key

#include <optional>

using namespace bareasio;
using namespace std::chrono_literals;

struct state {
    event toggled;
    notifier changed; // notified on every toggle
};

constexpr std::string_view page = R"html(<html>
<body>
<p>The event is <b id="state">...</b></p>
<button onclick="fetch('/change_event', {method: 'POST', body: next})">Toggle</button>
<script>
let next = 'True';
new EventSource('/events').onmessage = (e) => {
  document.getElementById('state').textContent = e.data;
  next = e.data === 'set' ? 'False' : 'True';
};
</script>
</body>
</html>
)html";

awaitable<response> get_index(request&) {
    co_return response{200, {{"content-type", "text/html"}}, text_writer(std::string(page))};
}

awaitable<response> get_events(request& req) {
    auto& st = req.info<state>();
    auto stream = [&st, stop = req.stopping()](body_sink& out) -> awaitable<void> {
        for (;;) {
            auto change = st.changed.next(); // taken before reading the state
            co_await out.write(st.toggled.is_set() ? "data: set\n\n" : "data: clear\n\n");
            std::optional<bool> changed = co_await until_stopped(change.wait_for(15s), stop);
            if (!changed) co_return; // the server is draining: end the stream now, cleanly
            if (!*changed) co_await out.write(": still here\n\n"); // keeps proxies from timing out
        }
    };
    co_return response{200,
                       {{"cache-control", "no-cache"}},
                       body_writer::from_stream(stream, "text/event-stream")};
}

awaitable<response> change_event(request& req) {
    auto& st = req.info<state>();
    std::string body = co_await text_reader(req);
    if (body == "True")
        st.toggled.set();
    else
        st.toggled.clear();
    st.changed.notify();
    co_return 204;
}

int main(int argc, char** argv) {
    application app{std::in_place_type<state>};
    app.http_router.add({"GET"}, "/", get_index);
    app.http_router.add({"GET"}, "/events", get_events);
    app.http_router.add({"POST"}, "/change_event", change_event);
    return tls::serve(app, config_from_args(argc, argv, {.port = 9011}));
}
