// The testing umbrella: the in-process test client (testing/client.hpp:
// run an application without sockets, with its lifespan, like Starlette's
// TestClient; WebSockets through testing/test_websocket.hpp) and the
// in-memory stream (testing/stream.hpp) for tests of a connection's bytes.
//     #include <bareasio/testing.hpp>
//     bareasio::testing::run(app, [](bareasio::testing::client& c) -> asio::awaitable<void> {
//         CHECK((co_await c.get("/")).status == 200);
//     });
// It includes nlohmann_json; <bareasio/bareasio.hpp> does not include it.
// Thread safety: see each header.
#pragma once

#include <bareasio/testing/client.hpp>
#include <bareasio/testing/stream.hpp>
