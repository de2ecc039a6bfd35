// testing::client::websocket_connect and test_websocket: WebSockets tested
// in-process, inside the application's lifespan, on the real protocol
// engine (as Starlette's TestClient.websocket_connect does).
#include <bareasio/testing/test_websocket.hpp>

#include <bareasio/bareasio.hpp>
#include <bareasio/http/json.hpp>
#include <bareasio/testing.hpp>

#include "../support/doctest.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <string>
#include <vector>

using namespace bareasio;
using asio::awaitable;

namespace {

struct seen {
    std::vector<std::string> messages;
    std::uint16_t close_code = 0;
    bool ended = false;
};

application echo_app(seen& s) {
    application app;
    app.ws_router.add("/echo", [&s](websocket& ws) -> awaitable<void> {
        co_await ws.accept();
        for (;;) {
            auto m = co_await ws.receive();
            if (!m) {
                s.close_code = m.close_code();
                break;
            }
            s.messages.emplace_back(m.data());
            co_await ws.send(m);
        }
        s.ended = true;
    });
    return app;
}

} // namespace

TEST_CASE("test_websocket: text, binary, JSON, a ping and the close handshake with a code") {
    seen s;
    auto app = echo_app(s);
    testing::run(app, [](testing::client& c) -> awaitable<void> {
        auto ws = co_await c.websocket_connect("/echo");
        ws.send_text("héllo");
        CHECK(co_await ws.receive_text() == "héllo");
        ws.send_binary(std::string("\x00\xff", 2));
        CHECK(co_await ws.receive_binary() == std::string("\x00\xff", 2));
        const nlohmann::json n = {{"n", 1}};
        ws.send_json(n);
        const nlohmann::json back = co_await ws.receive_json();
        CHECK(back == n);
        ws.send_text(std::string(70'000, 'x')); // a 64-bit length
        CHECK((co_await ws.receive_text()).size() == 70'000);
        co_await ws.ping("are you there");
        CHECK(co_await ws.close(4000, "done") == 4000); // answered with the same code
        CHECK(ws.closed());
    });
    CHECK(s.messages.size() == 4);
    CHECK(s.close_code == 4000);
    CHECK(s.ended);
}

TEST_CASE("test_websocket: the server's close, a subprotocol, headers, and receive() on the wrong "
          "kind") {
    application app;
    app.ws_router.add("/chat/{room}", [](websocket& ws) -> awaitable<void> {
        header_list extra;
        extra.add("x-room", ws.req().matches().get<std::string>("room"));
        co_await ws.accept("v1", std::move(extra));
        co_await ws.send(std::string(ws.req().headers().get("cookie").value_or("none")));
        co_await ws.close(4001, "room closed");
        while (co_await ws.receive()) {
        }
    });
    testing::run(app, [](testing::client& c) -> awaitable<void> {
        // (GCC 12 cannot compile a braced list among a co_await's arguments)
        const std::vector<std::string> offered{"v2", "v1"};
        auto ws = co_await c.websocket_connect("/chat/lobby", {{"cookie", "session=abc"}}, offered);
        CHECK(ws.subprotocol() == "v1");
        CHECK(ws.headers().get("x-room") == "lobby");
        CHECK_THROWS_WITH_AS(co_await ws.receive_binary(),
                             "test_websocket: expected a binary message, got text",
                             std::runtime_error);
        const auto m = co_await ws.receive();
        CHECK_FALSE(m);
        CHECK(m.code == 4001);
        CHECK(m.data == "room closed");
        CHECK(ws.closed());
    });
}

TEST_CASE("test_websocket: a refused handshake throws websocket_denied with the response") {
    application app;
    app.ws_router.add("/private", [](websocket& ws) -> awaitable<void> {
        ws.reject(401, "log in first");
        co_return;
    });
    app.ws_router.add("/silent", [](websocket&) -> awaitable<void> { co_return; });
    app.ws_router.add("/site", [](websocket& ws) -> awaitable<void> { co_await ws.accept(); });
    app.ws_router.options.origins.same_origin = true;
    testing::run(app, [](testing::client& c) -> awaitable<void> {
        try {
            co_await c.websocket_connect("/private");
            FAIL("accepted");
        } catch (const testing::websocket_denied& e) {
            CHECK(e.response.status == 401);
            CHECK(e.response.body == "log in first\n");
        }
        try {
            co_await c.websocket_connect("/silent");
            FAIL("accepted");
        } catch (const testing::websocket_denied& e) {
            CHECK(e.response.status == 403);
        }
        try {
            co_await c.websocket_connect("/site", {{"origin", "https://evil.example"}});
            FAIL("accepted");
        } catch (const testing::websocket_denied& e) {
            CHECK(e.response.status == 403);
        }
        auto ws = co_await c.websocket_connect("/site", {{"origin", "http://testserver"}});
        CHECK_FALSE(ws.closed());
    });
}

TEST_CASE("test_websocket: a service pushes through a sender and closes it; the lifespan runs") {
    struct state {
        websocket_sender member;
        event joined;
    };
    application app{std::in_place_type<state>};
    app.lifespan.on_startup([](lifespan_context& ctx) -> awaitable<void> {
        ctx.services.spawn("poller", [&st = ctx.info<state>()](stop_token) -> awaitable<void> {
            co_await st.joined.wait();
            co_await st.member.send("tick");
            st.member.close(4002, "poll over");
        });
        co_return;
    });
    app.ws_router.add("/poll", [](websocket& ws) -> awaitable<void> {
        auto& st = ws.req().info<state>();
        co_await ws.accept();
        st.member = ws.sender();
        st.joined.set();
        while (co_await ws.receive()) {
        }
    });
    testing::run(app, [](testing::client& c) -> awaitable<void> {
        auto ws = co_await c.websocket_connect("/poll");
        CHECK(co_await ws.receive_text() == "tick");
        const auto end = co_await ws.receive();
        CHECK(end.code == 4002);
        CHECK(end.data == "poll over");
    });
}

TEST_CASE("test_websocket: left open, the handler ends; stop() says 1001 to what is still open") {
    seen s;
    auto app = echo_app(s);
    testing::run(app, [](testing::client& c) -> awaitable<void> {
        auto ws = co_await c.websocket_connect("/echo");
        ws.send_text("one");
        CHECK(co_await ws.receive_text() == "one");
    }); // ws goes with the body: the client left without a close
    CHECK(s.ended);
    CHECK(s.close_code == 1006);

    seen t;
    auto app2 = echo_app(t);
    asio::io_context io;
    std::uint16_t told = 0;
    asio::co_spawn(
        io,
        [&]() -> awaitable<void> {
            testing::client c(app2, io.get_executor());
            co_await c.start();
            auto ws = co_await c.websocket_connect("/echo");
            CHECK(co_await c.stop()); // as SIGTERM: 1001, then the client leaves
            told = (co_await ws.receive()).code;
        },
        asio::detached);
    io.run();
    CHECK(told == 1001);
    CHECK(t.ended);
}

TEST_CASE("testing client: post_json sends JSON, a response's json() reads it") {
    application app;
    app.http_router.add({"POST"}, "/notes", [](request& req) -> awaitable<response> {
        nlohmann::json note = co_await json_reader(req, require_json);
        note["id"] = 7;
        co_return response{201, {}, json_writer(note)};
    });
    testing::run(app, [](testing::client& c) -> awaitable<void> {
        const nlohmann::json note = {{"title", "milk"}};
        auto r = co_await c.post_json("/notes", note);
        CHECK(r.status == 201);
        CHECK(r.json() == nlohmann::json{{"title", "milk"}, {"id", 7}});
    });
}
