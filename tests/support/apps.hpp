// The applications the server tests share: the seed's two handlers (with
// the page's wait as a parameter, so "waits for the event" is
// deterministic: a wait of an hour either ends by the event or hangs the
// test) and a set of routes for protocol tests; and request bytes.
#pragma once

#include <bareasio/bareasio.hpp>
#include <bareasio/http/json.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace test {

using namespace bareasio;

struct seed_state {
    explicit seed_state(std::chrono::milliseconds w) : wait(w) {} // clang 14: no (aggregate) init
    event toggled;
    std::chrono::milliseconds wait;
};

inline application& seed_app(application& app) {
    app.http_router.add({"GET"}, "/", [](request& req) -> awaitable<response> {
        auto& st = req.info<seed_state>();
        co_await wait_for(st.toggled.wait(), st.wait, ignore_timeout);
        co_return response{
            200,
            {{"content-type", "text/html"}},
            text_writer(st.toggled.is_set() ? "<button>Clear</button>" : "<button>Set</button>")};
    });
    app.http_router.add({"POST"}, "/change_event", [](request& req) -> awaitable<response> {
        auto& st = req.info<seed_state>();
        std::string body = co_await text_reader(req);
        if (body == "True")
            st.toggled.set();
        else
            st.toggled.clear();
        co_return 204;
    });
    return app;
}

// A server-sent event stream as the SSE example writes it: "data: x" now
// and after each change of `changed`, ending by itself once the server
// drains (req.stopping()).
inline http_handler change_stream(notifier& changed) {
    return [&changed](request& req) -> awaitable<response> {
        auto stream = [&changed, stop = req.stopping()](body_sink& out) -> awaitable<void> {
            for (;;) {
                auto change = changed.next();
                co_await out.write("data: x\n\n");
                if (!co_await until_stopped(change.wait(), stop)) co_return;
            }
        };
        co_return response{200, {}, body_writer::from_stream(stream, "text/event-stream")};
    };
}

inline application& test_app(application& app) {
    app.http_router.add({"GET"}, "/echo/{word}", [](request& req) -> awaitable<response> {
        co_return response{200, {}, text_writer(req.matches().get<std::string>("word"))};
    });
    app.http_router.add({"POST"}, "/upload", [](request& req) -> awaitable<response> {
        auto body = co_await text_reader(req);
        co_return response{200, {}, text_writer(std::to_string(body.size()) + ":" + body)};
    });
    app.http_router.add({"GET"}, "/boom", [](request&) -> awaitable<response> {
        throw std::runtime_error("secret internal detail");
        co_return 200;
    });
    app.http_router.add({"GET"}, "/teapot", [](request&) -> awaitable<response> {
        throw http_error(418, "short and stout");
        co_return 200;
    });
    app.http_router.add({"GET"}, "/stream", [](request&) -> awaitable<response> {
        co_return response{200,
                           {},
                           stream_writer(
                               [](body_sink& out) -> awaitable<void> {
                                   for (int i = 0; i < 3; ++i)
                                       co_await out.write("part" + std::to_string(i) + ";");
                               },
                               "text/plain")};
    });
    app.http_router.add({"GET"}, "/query", [](request& req) -> awaitable<response> {
        co_return response{
            200, {}, text_writer(std::string(req.query().get("q").value_or("none")))};
    });
    app.http_router.add({"POST"}, "/json", [](request& req) -> awaitable<response> {
        auto value = co_await json_reader(req);
        co_return response{200, {}, json_writer({{"got", value["n"].get<int>() + 1}})};
    });
    app.http_router.add({"GET"}, "/ignore-body",
                        [](request&) -> awaitable<response> { co_return 200; });
    return app;
}

inline std::string get(std::string_view path, std::string_view extra = "") {
    return "GET " + std::string(path) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra) + "\r\n";
}

inline std::string post(std::string_view path, std::string_view body, std::string_view extra = "") {
    return "POST " + std::string(path) +
           " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           std::string(extra) + "\r\n" + std::string(body);
}

} // namespace test
