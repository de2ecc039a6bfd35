// The seed's coroutine idioms, as users write them, through every path that
// runs user coroutines: a handler (in-process and on a connection), a
// service, and the testing client. co_await sits inside if, while and
// switch conditions, and braced header lists are passed to the testing
// client inside co_await expressions. This file is also built at -O3
// (test_idioms_O3), beside the suite's -O2 and the sanitizer build's -O0,
// with GCC and clang.
// GCC 12 miscompiles one shape (docs/design/compilers.md): a coroutine
// *function* that declares no local variable anywhere and awaits in a
// condition crashes at run time, at every optimisation level. Those
// functions are built with clang only; with GCC the workarounds docs/design/compilers.md
// gives (a local, an if with an initialiser) are tested instead.
#include <bareasio/bareasio.hpp>
#include <bareasio/testing.hpp>

// GCC 12 at -O3 warns about std::string's own memcpy (-Wrestrict, a known
// false positive in libstdc++ 12's operator+).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "../support/doctest.hpp"
#include "../support/memory_server.hpp"

#include <string>

using namespace bareasio;
using namespace std::chrono_literals;

namespace {

struct state {
    event toggled;
    int ticks = 0;
};

awaitable<int> parse_int(request& req) {
    const std::string body = co_await text_reader(req);
    co_return std::stoi(body.empty() ? "0" : body);
}

#if defined(__clang__)
// The seed's change_event and service exactly, as functions with no local.
awaitable<response> change_event(request& req) {
    if (co_await text_reader(req) == "True")
        req.info<state>().toggled.set();
    else
        req.info<state>().toggled.clear();
    co_return 204;
}

awaitable<response> kind(request& req) {
    switch (co_await parse_int(req)) {
    case 1:
        co_return response{200, {}, text_writer("one")};
    case 2:
        co_return response{200, {}, text_writer("two")};
    default:
        co_return response{200, {}, text_writer("many")};
    }
}

awaitable<void> ticker(stop_token stop, state& st) {
    while (!co_await stop.wait_for(1ms))
        ++st.ticks;
}
#else
// GCC 12: the same functions with the workarounds of docs/design/compilers.md.
awaitable<response> change_event(request& req) {
    if (auto body = co_await text_reader(req); body == "True") // a local, in the if
        req.info<state>().toggled.set();
    else
        req.info<state>().toggled.clear();
    co_return 204;
}

awaitable<response> kind(request& req) {
    switch (const int n = co_await parse_int(req); n) {
    case 1:
        co_return response{200, {}, text_writer("one")};
    case 2:
        co_return response{200, {}, text_writer("two")};
    default:
        co_return response{200, {}, text_writer("many")};
    }
}

awaitable<void> ticker(stop_token stop, state& st) {
    for (;;) {
        const bool stopping = co_await stop.wait_for(1ms);
        if (stopping) break;
        ++st.ticks;
    }
}
#endif

application& idiom_app(application& app) {
    app.http_router.add({"POST"}, "/change_event", change_event);
    app.http_router.add({"POST"}, "/kind", kind);
    // The seed's change_event as a lambda, after a local: co_await in the if.
    app.http_router.add({"POST"}, "/change_event_lambda", [](request& req) -> awaitable<response> {
        auto& st = req.info<state>();
        if (co_await text_reader(req) == "True")
            st.toggled.set();
        else
            st.toggled.clear();
        co_return 204;
    });
    // co_await in a while condition: read the body piece by piece.
    app.http_router.add({"POST"}, "/pieces", [](request& req) -> awaitable<response> {
        int pieces = 0;
        while (!(co_await req.body().read_some()).empty())
            ++pieces;
        co_return response{200, {}, text_writer(std::to_string(pieces))};
    });
    app.http_router.add({"GET"}, "/", [](request& req) -> awaitable<response> {
        auto& st = req.info<state>();
        // The seed's get_index: the event's own timed wait, its result in an if.
        if (co_await st.toggled.wait_for(1ms)) co_return response{200, {}, text_writer("Clear")};
        co_return response{200, {}, text_writer("Set")};
    });
    app.http_router.add({"GET"}, "/key", [](request& req) -> awaitable<response> {
        co_return response{
            200, {}, text_writer(std::string(req.headers().get("x-api-key").value_or("none")))};
    });
    // The seed's service: co_await in a while condition.
    app.lifespan.on_startup([](lifespan_context& ctx) -> awaitable<void> {
        auto& st = ctx.info<state>();
        ctx.services.spawn("ticker", [&st](stop_token stop) { return ticker(stop, st); });
        ctx.services.spawn("lambda ticker", [&st](stop_token stop) -> awaitable<void> {
            while (!co_await stop.wait_for(1ms))
                ++st.ticks;
        });
        co_return;
    });
    return app;
}

} // namespace

TEST_CASE("idioms: co_await in if, while and switch conditions in handlers, services and the "
          "testing client") {
    application app{std::in_place_type<state>};
    idiom_app(app);
    testing::run(app, [&](testing::client& c) -> awaitable<void> {
        if ((co_await c.get("/")).body == "Set")
            CHECK((co_await c.post("/change_event", "True")).status == 204);
        CHECK((co_await c.get("/")).body == "Clear");
        CHECK((co_await c.post("/change_event_lambda", "False")).status == 204);
        CHECK((co_await c.get("/")).body == "Set");

        switch ((co_await c.post("/kind", "2")).body.size()) {
        case 3:
            CHECK((co_await c.post("/kind", "7")).body == "many");
            break;
        default:
            FAIL("switch on a co_await result took the wrong branch");
        }
        while ((co_await c.get("/")).body != "Clear")
            co_await c.post("/change_event", "True");

        // Braced header lists inside co_await expressions (GCC 12 rejects
        // an initializer_list there; request_headers takes fields instead).
        auto keyed = co_await c.request("POST", "/pieces", {{"x-api-key", "k"}}, "abc");
        CHECK(keyed.body == "1");
        CHECK((co_await c.get("/key", {{"x-api-key", "k"}, {"accept", "*/*"}})).body == "k");
        CHECK((co_await c.get("/key")).body == "none");

        auto& st = app.info<state>();
        while (st.ticks < 3)
            co_await st.toggled.wait_for(1ms); // the service runs meanwhile
        CHECK(st.ticks >= 3);
    });
}

TEST_CASE("idioms: the same handlers on a connection, byte for byte") {
    application app{std::in_place_type<state>};
    idiom_app(app);
    test::memory_server server(app);
    auto client = server.connect();
    client.send("POST /kind HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\n1"
                "POST /pieces HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                "1\r\na\r\n1\r\nb\r\n0\r\n\r\n"
                "POST /change_event HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nTrue");
    server.poll();
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                             "Date: *\r\nContent-Length: ";
    CHECK(test::without_dates(client.received()) ==
          head + "3\r\n\r\none" + head + "1\r\n\r\n2" +
              "HTTP/1.1 204 No Content\r\nDate: *\r\n\r\n");
    CHECK(app.info<state>().toggled.is_set());
}
