// A chat room per path: every message a member of ws://HOST/chat/{room}
// sends reaches every member of that room, whichever event loop serves them.
//     ./websocket_chat [--port 9015] [--threads 0] [--tls-cert FILE --tls-key FILE]
// With a certificate the rooms are at wss://HOST/chat/{room}.
#include <bareasio/bareasio.hpp>
#include <bareasio/tls/serve.hpp> // links OpenSSL: HTTPS with --tls-cert/--tls-key

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

using namespace bareasio;

struct rooms {
    std::mutex lock; // the members are shared by every event loop
    std::map<std::string, std::set<websocket_sender>> members;

    std::vector<websocket_sender> of(const std::string& room) {
        std::lock_guard hold(lock);
        const auto& set = members[room];
        return {set.begin(), set.end()};
    }
};

// In the room from its construction to its destruction, however the handler ends.
struct membership {
    rooms& all;
    std::string room;
    websocket_sender me;
    membership(rooms& a, std::string r, websocket_sender s) : all(a), room(std::move(r)), me(s) {
        std::lock_guard hold(all.lock);
        all.members[room].insert(me);
    }
    ~membership() {
        std::lock_guard hold(all.lock);
        all.members[room].erase(me);
    }
};

awaitable<void> chat(websocket& ws) {
    auto& all = ws.req().info<rooms>();
    co_await ws.accept();
    membership member(all, ws.req().matches().get<std::string>("room"), ws.sender());
    while (auto message = co_await ws.receive()) {
        if (!message.is_text()) continue; // a chat is text
        // Copied once, shared by every member's queue. Queued for each
        // without waiting: one that stopped reading misses messages (its
        // queue is full); the room goes on.
        const shared_message m(message);
        for (const auto& other : all.of(member.room))
            other.try_send(m);
    }
}

int main(int argc, char** argv) {
    application app{std::in_place_type<rooms>};
    app.ws_router.add("/chat/{room}", chat);
    // A page on another site may not open a socket with the user's cookies.
    app.ws_router.options.origins.same_origin = true;
    return tls::serve(app, config_from_args(argc, argv, {.port = 9015}));
}
