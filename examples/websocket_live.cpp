// The seed's event page, live over a WebSocket: a click sends "True" or
// "False" on the page's socket, the handler sets or clears the event, and
// every open page, on every event loop, shows the new state at once.
// Each socket runs two coroutines side by side (full duplex): one reads
// the clicks, one pushes the state whenever the notifier says it changed.
// When either ends (the page closed, the server draining), the other is
// cancelled, and the socket is closed cleanly.
//     ./websocket_live [--port 9014]   then open http://127.0.0.1:9014 twice
#include <bareasio/bareasio.hpp>
#include <bareasio/tls/serve.hpp> // links OpenSSL: wss:// with --tls-cert and --tls-key

#include <asio/experimental/awaitable_operators.hpp>

using namespace bareasio;
using namespace asio::experimental::awaitable_operators;

struct state {
    event toggled;
    notifier changed; // notified on every toggle, on any loop
};

constexpr std::string_view page = R"html(<html>
<body>
<p>The event is <b id="state">...</b></p>
<button id="toggle" disabled>Toggle</button>
<script>
const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/live`);
let next = 'True';
socket.onmessage = (e) => {
  document.getElementById('state').textContent = e.data;
  next = e.data === 'set' ? 'False' : 'True';
  document.getElementById('toggle').disabled = false;
};
document.getElementById('toggle').onclick = () => socket.send(next);
</script>
</body>
</html>
)html";

awaitable<response> get_index(request&) {
    co_return response{200, {{"content-type", "text/html"}}, text_writer(std::string(page))};
}

// Sets or clears the event on each click, until the page goes away.
awaitable<void> read_clicks(websocket& ws, state& st) {
    while (auto message = co_await ws.receive()) {
        if (message.text() == "True")
            st.toggled.set();
        else
            st.toggled.clear();
        st.changed.notify();
    }
}

// Sends the state now and after every change.
awaitable<void> push_state(websocket& ws, state& st) {
    for (;;) {
        auto change = st.changed.next(); // taken before reading the state
        const bool sent = co_await ws.send(st.toggled.is_set() ? "set" : "clear");
        if (!sent) co_return; // the socket is closing
        co_await change.wait();
    }
}

awaitable<void> live(websocket& ws) {
    auto& st = ws.req().info<state>();
    co_await ws.accept();
    co_await (read_clicks(ws, st) || push_state(ws, st));
}

int main(int argc, char** argv) {
    application app{std::in_place_type<state>};
    app.http_router.add({"GET"}, "/", get_index);
    app.ws_router.add("/live", live);
    // A page on another site may not open a socket with the user's cookies.
    app.ws_router.options.origins.same_origin = true;
    return tls::serve(app, config_from_args(argc, argv, {.port = 9014}));
}
