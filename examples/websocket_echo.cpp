// A WebSocket echo server: ws://127.0.0.1:9013/echo sends back every text
// and binary message unchanged, up to 16 MiB (the default limit), with
// permessage-deflate when the client offers it. It is what the conformance
// client, the real clients and the benchmarks drive.
//     ./websocket_echo [--port 9013] [--threads N]    (--help for all flags)
// With --tls-cert FILE --tls-key FILE it is wss://127.0.0.1:9013/echo.
#include <bareasio/bareasio.hpp>
#include <bareasio/tls/serve.hpp>         // links OpenSSL
#include <bareasio/websocket/deflate.hpp> // links zlib

using namespace bareasio;

awaitable<void> echo(websocket& ws) {
    co_await ws.accept();
    while (auto message = co_await ws.receive())
        co_await ws.send(message); // text stays text, binary stays binary
}

int main(int argc, char** argv) {
    application app;
    app.ws_router.add("/echo", echo);
    app.ws_router.options.compression = permessage_deflate();
    // A page on another site may not open a socket with the user's cookies.
    app.ws_router.options.origins.same_origin = true;
    return tls::serve(app, config_from_args(argc, argv, {.port = 9013}));
}
