// A chat room per path: every message a member of ws://HOST/chat/{room}
// sends reaches every member of that room, whichever event loop serves
// them; with --redis, whichever instance serves them: every instance
// pointed at that Redis shares its rooms.
//     ./websocket_chat [--port 9015] [--threads 0] [--redis redis://127.0.0.1:6379]
//                      [--tls-cert FILE --tls-key FILE]
// With a certificate the rooms are at wss://HOST/chat/{room}.
#include <bareasio/bareasio.hpp>
#include <bareasio/redis/broadcaster.hpp> // links hiredis: rooms across instances
#include <bareasio/tls/serve.hpp>         // links OpenSSL: HTTPS with --tls-cert/--tls-key

#include <asio/experimental/awaitable_operators.hpp>

#include <string>

using namespace bareasio;
using namespace asio::experimental::awaitable_operators;

struct state {
    // The rooms: within this process until connected to Redis.
    redis::broadcaster rooms;
};

// What the member says goes to the room (a chat is text).
awaitable<void> speak(websocket& ws, redis::broadcaster& rooms, const std::string& room) {
    while (auto message = co_await ws.receive())
        if (message.is_text()) rooms.publish(room, std::string(message.text()));
}

// What the room says goes to the member, its payload shared with every
// other member. A member that stops reading misses messages (its
// subscription drops them once 1 MiB waits); the room goes on.
awaitable<void> listen(websocket& ws, redis::subscription& room) {
    while (auto message = co_await room.next())
        if (!co_await ws.send(shared_message(message->payload()))) co_return;
}

awaitable<void> chat(websocket& ws) {
    auto& rooms = ws.req().info<state>().rooms;
    const std::string room = "chat:" + ws.req().matches().get<std::string>("room");
    co_await ws.accept();
    auto subscription = rooms.subscribe(room);
    co_await (speak(ws, rooms, room) || listen(ws, subscription));
}

int main(int argc, char** argv) {
    std::string redis_url; // empty: the rooms stay in this process
    auto config =
        config_from_args(argc, argv, {.port = 9015},
                         {cli_option("--redis", redis_url, "URL",
                                     "share the rooms through Redis (redis://host:port)")});
    application app{std::in_place_type<state>};
    app.ws_router.add("/chat/{room}", chat);
    // A page on another site may not open a socket with the user's cookies.
    app.ws_router.options.origins.same_origin = true;
    if (!redis_url.empty())
        app.lifespan.add(
            "redis",
            [&](lifespan_context& ctx) {
                return ctx.info<state>().rooms.connect(ctx.executor, redis_url);
            },
            [](lifespan_context& ctx) { return ctx.info<state>().rooms.close(); });
    return tls::serve(app, config);
}
