// The server over real loopback sockets: the seed's flow, keep-alive,
// pipelining, the connection limit, trusted proxies from a real peer,
// middleware and with_timeout on the wire, the drain deadline. What needs
// no kernel is tested on the in-memory stream (connection.cpp).
#include <bareasio/server/loop_server.hpp>

#include <bareasio/bareasio.hpp>
#include <bareasio/http/json.hpp>

#include "../support/apps.hpp"
#include "../support/doctest.hpp"
#include "../support/raw_client.hpp"
#include "../support/test_server.hpp"

#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

using namespace bareasio;
using namespace std::chrono_literals;
using test::get;
using test::seed_app;
using test::seed_state;
using test::test_app;

TEST_CASE("seed flow: GET shows Set, POST True, GET shows Clear, POST False") {
    application app{std::in_place_type<seed_state>, 100ms};
    test::running_server server(seed_app(app));
    test::raw_client client(server.port());

    auto start = std::chrono::steady_clock::now();
    client.send(get("/"));
    auto page = client.read_response();
    CHECK(page.status == 200);
    CHECK(page.body.find(">Set<") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start >= 100ms); // it waited out its timeout

    client.send("POST /change_event HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nTrue");
    CHECK(client.read_response().status == 204);
    client.send(get("/"));
    CHECK(client.read_response().body.find(">Clear<") != std::string::npos);
    client.send("POST /change_event HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nFalse");
    CHECK(client.read_response().status == 204);
    client.send(get("/"));
    CHECK(client.read_response().body.find(">Set<") != std::string::npos);
}

TEST_CASE("seed flow: with the event set GET returns at once; with it clear GET waits for it") {
    // The wait is an hour: a GET that returns proves it did not wait it out.
    application app{std::in_place_type<seed_state>, std::chrono::milliseconds(1h)};
    test::running_server server(seed_app(app));
    app.info<seed_state>().toggled.set();
    test::raw_client a(server.port());
    a.send(get("/"));
    CHECK(a.read_response().body.find(">Clear<") != std::string::npos);

    app.info<seed_state>().toggled.clear();
    test::raw_client waiting(server.port());
    waiting.send(get("/")); // parks on the event
    test::raw_client setter(server.port());
    setter.send("POST /change_event HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nTrue");
    CHECK(setter.read_response().status == 204);
    CHECK(waiting.read_response().body.find(">Clear<") != std::string::npos);
}

TEST_CASE("keep-alive: several requests on one connection") {
    application app;
    test::running_server server(test_app(app));
    test::raw_client client(server.port());
    for (auto word : {"a", "bb", "ccc"}) {
        client.send(get(std::string("/echo/") + word));
        auto res = client.read_response();
        CHECK(res.status == 200);
        CHECK(res.body == word);
        CHECK_FALSE(res.header("connection"));
        CHECK(res.header("date"));
    }
}

TEST_CASE("pipelining: 16 requests in one write are answered in order") {
    application app;
    test::running_server server(test_app(app));
    test::raw_client client(server.port());
    std::string batch;
    for (int i = 0; i < 16; ++i)
        batch += get("/echo/r" + std::to_string(i));
    client.send(batch);
    for (int i = 0; i < 16; ++i) {
        auto res = client.read_response();
        CHECK(res.body == "r" + std::to_string(i));
    }
}

TEST_CASE("query parameters and JSON bodies") {
    application app;
    test::running_server server(test_app(app));
    test::raw_client client(server.port());
    client.send(get("/query?q=two%20words"));
    CHECK(client.read_response().body == "two words");
    client.send("POST /json HTTP/1.1\r\nHost: t\r\nContent-Length: 8\r\n\r\n{\"n\":41}");
    auto res = client.read_response();
    CHECK(res.header("content-type") == "application/json");
    CHECK(res.body == R"({"got":42})");
}

TEST_CASE("graceful stop: a handler still running at the drain deadline is cancelled and its "
          "connection closed") {
    std::atomic<bool> handler_cancelled{false}, handler_started{false};
    event never; // nobody sets it
    application app;
    app.http_router.add({"GET"}, "/stuck", [&](request&) -> awaitable<response> {
        handler_started = true;
        try {
            co_await never.wait();
        } catch (const std::system_error& e) {
            if (e.code() == asio::error::operation_aborted) handler_cancelled = true;
            throw;
        }
        co_return 200;
    });
    test::running_server server(app, {.drain_timeout = std::chrono::milliseconds(100)});
    test::raw_client client(server.port());
    client.send(get("/stuck"));
    while (!handler_started)
        std::this_thread::sleep_for(1ms);
    CHECK(server.stop() == 0); // returns: the drain deadline cancelled the handler
    CHECK(handler_cancelled);
    CHECK(client.read_to_end().empty()); // closed with nothing written
}

TEST_CASE("trusted proxies over a socket: client address and scheme on the request") {
    auto whoami = [](application& app) -> application& {
        app.http_router.add({"GET"}, "/whoami", [](request& req) -> awaitable<response> {
            co_return response{
                200,
                {},
                text_writer(std::string(req.scheme()) + " " + std::string(req.client_address()))};
        });
        return app;
    };
    const std::string forwarded =
        "GET /whoami HTTP/1.1\r\nHost: t\r\n"
        "Forwarded: for=6.6.6.6;proto=http\r\n" // the client's own: ignored
        "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n\r\n";
    {
        application app;
        test::running_server server(whoami(app), {.trusted_proxies = {"127.0.0.1"}});
        test::raw_client client(server.port());
        client.send(forwarded);
        CHECK(client.read_response().body == "https 203.0.113.7");
        client.send(get("/whoami")); // same connection, no headers: the peer again
        CHECK(client.read_response().body == "http 127.0.0.1");
    }
    {
        application app;
        test::running_server server(whoami(app)); // nobody trusted
        test::raw_client client(server.port());
        client.send(forwarded);
        CHECK(client.read_response().body == "http 127.0.0.1");
    }
}

TEST_CASE("connection limit: a refused client still sending its request reads the 503, not a "
          "reset") {
    application app;
    app.http_router.add({"GET"}, "/", [](request&) -> awaitable<response> {
        co_return response{200, {}, text_writer("ok")};
    });
    test::running_server server(app, {.max_connections = 1});
    test::raw_client held(server.port());
    held.send(get("/"));
    CHECK(held.read_response().status == 200);

    test::raw_client refused(server.port());
    refused.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 16384\r\n\r\n");
    for (int i = 0; i < 4; ++i) {
        // By now the server has answered; closing with these bytes unread
        // would reset the connection, and this send would fail.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        refused.send(std::string(4096, 'x'));
    }
    auto busy = refused.read_response();
    CHECK(busy.status == 503);
    CHECK(busy.header("retry-after") == "1");
    CHECK(busy.body == "too many connections; retry\n");
    CHECK(refused.closed_by_server());
}

TEST_CASE("connection limit: past max_connections a new client gets 503, the others go on") {
    application app;
    app.http_router.add({"GET"}, "/", [](request&) -> awaitable<response> {
        co_return response{200, {}, text_writer("ok")};
    });
    test::running_server server(app, {.max_connections = 2});
    auto first = std::make_unique<test::raw_client>(server.port());
    test::raw_client second(server.port());
    first->send(get("/"));
    CHECK(first->read_response().status == 200); // both are registered by now
    second.send(get("/"));
    CHECK(second.read_response().status == 200);

    test::raw_client third(server.port());
    auto refused = third.read_response();
    CHECK(refused.status == 503);
    CHECK(third.closed_by_server());

    second.send(get("/")); // existing connections are unaffected
    CHECK(second.read_response().body == "ok");

    first.reset(); // a slot frees once the server has seen it go
    std::optional<int> status;
    for (int i = 0; i < 200 && status != 200; ++i) {
        test::raw_client again(server.port());
        again.send(get("/"));
        try {
            status = again.read_response().status;
        } catch (const std::exception&) {
            status.reset(); // refused before our request was read
        }
        if (status != 200) std::this_thread::sleep_for(5ms);
    }
    CHECK(status == 200);
}

TEST_CASE("with_timeout over a socket: 504, the connection stays usable") {
    event never;
    application app;
    app.http_router.add(
        {"GET"}, "/slow",
        with_timeout(std::chrono::milliseconds(50), [&](request&) -> awaitable<response> {
            co_await never.wait();
            co_return 200;
        }));
    app.http_router.add({"GET"}, "/", [](request&) -> awaitable<response> {
        co_return response{200, {}, text_writer("ok")};
    });
    test::running_server server(app);
    test::raw_client client(server.port());
    client.send(get("/slow"));
    CHECK(client.read_response().status == 504);
    client.send(get("/"));
    CHECK(client.read_response().body == "ok");
}

TEST_CASE(
    "middleware over a socket: the request context is fresh for each request on a connection") {
    application app;
    app.middlewares.push_back([](request& req, const http_handler& next) -> awaitable<response> {
        if (req.headers().contains("x-user"))
            req.context().set("user", std::string(*req.headers().get("x-user")));
        co_return co_await next(req);
    });
    app.http_router.add({"GET"}, "/me", [](request& req) -> awaitable<response> {
        auto* user = req.context().get<std::string>("user");
        co_return response{200, {}, text_writer(user ? *user : "nobody")};
    });
    test::running_server server(app);
    test::raw_client client(server.port());
    client.send("GET /me HTTP/1.1\r\nHost: t\r\nX-User: ann\r\n\r\n");
    CHECK(client.read_response().body == "ann");
    client.send(get("/me")); // same connection, same request object underneath
    CHECK(client.read_response().body == "nobody");
}
