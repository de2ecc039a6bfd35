// The server over real loopback sockets: the seed's flow, keep-alive,
// pipelining, HTTP/1.0, chunked bodies, 100-continue, errors, HEAD,
// streaming, and graceful stop.
#include <bareasio/bareasio.hpp>
#include <bareasio/http/json.hpp>

#include "support/doctest.hpp"
#include "support/raw_client.hpp"
#include "support/test_server.hpp"

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

namespace {

struct seed_state {
    event toggled;
    std::chrono::milliseconds wait;
};

// The seed's two handlers, with the wait as a parameter so tests can make
// "waits for the event" deterministic (a wait of an hour either ends by the
// event or hangs the test).
application& seed_app(application& app) {
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

application& test_app(application& app) {
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

std::string get(std::string_view path, std::string_view extra = "") {
    return "GET " + std::string(path) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra) + "\r\n";
}

} // namespace

TEST_CASE("seed flow: GET shows Set, POST True, GET shows Clear, POST False") {
    application app{std::in_place_type<seed_state>, event{}, 100ms};
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
    application app{std::in_place_type<seed_state>, event{}, std::chrono::milliseconds(1h)};
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

TEST_CASE(
    "lifespan: startup runs before serving, shutdown after; a failing startup stops with code 3") {
    std::vector<std::string> log;
    {
        application app;
        app.lifespan.on_startup([&](lifespan_context&) -> awaitable<void> {
            log.push_back("start");
            co_return;
        });
        app.lifespan.on_shutdown([&](lifespan_context&) -> awaitable<void> {
            log.push_back("stop");
            co_return;
        });
        app.http_router.add({"GET"}, "/", [&](request&) -> awaitable<response> {
            log.push_back("request");
            co_return 200;
        });
        test::running_server server(app);
        test::raw_client client(server.port());
        client.send(get("/"));
        client.read_response();
        CHECK(server.stop() == 0);
    }
    CHECK(log == std::vector<std::string>{"start", "request", "stop"});

    application failing;
    failing.lifespan.on_startup(
        [](lifespan_context&) -> awaitable<void> {
            throw std::runtime_error("database unreachable");
            co_return;
        },
        "connect_db");
    app_server server(failing, {.host = "127.0.0.1", .port = 0});
    CHECK(server.run() == 3);
    CHECK(server.wait_until_listening() == 0);
}

TEST_CASE(
    "N event loops: connections spread over loops; an event set on one wakes waiters on others") {
    application app{std::in_place_type<seed_state>, event{}, std::chrono::milliseconds(1h)};
    seed_app(app);
    app.http_router.add({"GET"}, "/thread", [](request&) -> awaitable<response> {
        std::ostringstream id;
        id << std::this_thread::get_id();
        co_return response{200, {}, text_writer(id.str())};
    });
    test::running_server server(app, {.threads = 2});

    std::set<std::string> threads_seen;
    for (int i = 0; i < 32; ++i) { // the kernel spreads new connections over both listeners
        test::raw_client c(server.port());
        c.send(get("/thread"));
        threads_seen.insert(c.read_response().body);
    }
    CHECK(threads_seen.size() == 2);

    // Several clients park on the event, on whichever loops they landed.
    std::vector<std::unique_ptr<test::raw_client>> waiting;
    for (int i = 0; i < 8; ++i) {
        waiting.push_back(std::make_unique<test::raw_client>(server.port()));
        waiting.back()->send(get("/"));
    }
    test::raw_client setter(server.port());
    setter.send("POST /change_event HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nTrue");
    CHECK(setter.read_response().status == 204);
    for (auto& w : waiting)
        CHECK(w->read_response().body.find(">Clear<") != std::string::npos);
    CHECK(server.stop() == 0);
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

namespace {

// One keep-alive client for the load test: sends GETs one after another and
// sorts each outcome. A response is complete when its whole Content-Length
// arrived; a connection closed before any byte of a response means the
// server never took the request (an idle keep-alive connection closed by
// the drain, or the listener already closed); anything in between is a
// truncated response, which must never happen.
struct load_tally {
    std::atomic<int> complete{0}, truncated{0}, unanswered{0}, refused{0};
};

void load_client(std::uint16_t port, const std::atomic<bool>& stop_load, load_tally& tally,
                 int id) {
    asio::io_context ioc;
    for (int n = 0; !stop_load;) {
        asio::ip::tcp::socket socket(ioc);
        std::error_code ec;
        socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
        if (ec) {
            ++tally.refused; // the listener is closed: the server is stopping
            return;
        }
        for (bool open = true; open && !stop_load; ++n) {
            const std::string target = (n + id) % 5 == 0 ? "/slow" : "/fast";
            const std::string req = "GET " + target + " HTTP/1.1\r\nHost: t\r\n\r\n";
            asio::write(socket, asio::buffer(req), ec);
            std::string in;
            std::size_t need = std::string::npos;
            for (;;) {
                char buf[4096];
                const auto got = socket.read_some(asio::buffer(buf), ec);
                in.append(buf, got);
                if (need == std::string::npos) {
                    const auto end = in.find("\r\n\r\n");
                    if (end != std::string::npos) {
                        std::string head = in.substr(0, end + 2);
                        for (auto& c : head)
                            c = static_cast<char>(std::tolower(c));
                        const auto cl = head.find("\r\ncontent-length: ");
                        REQUIRE(cl != std::string::npos);
                        need = end + 4 + std::stoul(head.substr(cl + 18));
                        open = head.find("\r\nconnection: close") == std::string::npos;
                    }
                }
                if (need != std::string::npos && in.size() >= need) {
                    ++tally.complete;
                    break;
                }
                if (ec) {
                    ++(in.empty() ? tally.unanswered : tally.truncated);
                    open = false;
                    break;
                }
            }
        }
    }
}

} // namespace

TEST_CASE(
    "graceful stop under load: SIGTERM mid-load, every started request gets its whole response") {
    std::atomic<int> started{0};
    std::atomic<bool> service_stopped{false};
    application app;
    app.http_router.add({"GET"}, "/fast", [&](request&) -> awaitable<response> {
        ++started;
        co_return response{200, {}, text_writer(std::string(2000, 'x'))};
    });
    app.http_router.add({"GET"}, "/slow", [&](request&) -> awaitable<response> {
        ++started;
        asio::steady_timer t(co_await asio::this_coro::executor, 200ms);
        co_await t.async_wait(asio::use_awaitable);
        co_return response{200, {}, text_writer(std::string(2000, 'y'))};
    });
    app.lifespan.on_startup([&](lifespan_context& ctx) -> awaitable<void> {
        ctx.services.spawn("background", [&](stop_token stop) -> awaitable<void> {
            co_await stop.wait();
            service_stopped = true;
        });
        co_return;
    });
    app_server server(app, {.host = "127.0.0.1", .port = 0, .threads = 2});
    server.handle_signals(true);
    int exit_code = -1;
    std::thread runner([&] { exit_code = server.run(); });
    const auto port = server.wait_until_listening();
    REQUIRE(port != 0);

    load_tally tally;
    std::atomic<bool> stop_load{false};
    std::vector<std::thread> clients;
    for (int i = 0; i < 8; ++i)
        clients.emplace_back([&, i] { load_client(port, stop_load, tally, i); });
    while (tally.complete < 200)
        std::this_thread::sleep_for(1ms); // load is flowing
    const auto signalled = std::chrono::steady_clock::now();
    ::kill(::getpid(), SIGTERM);
    runner.join();
    const auto shutdown_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - signalled);
    stop_load = true; // clients still connected see their connections closed
    for (auto& c : clients)
        c.join();

    MESSAGE("shutdown under load took " << shutdown_ms.count() << " ms; " << tally.complete.load()
                                        << " complete, " << tally.unanswered.load()
                                        << " unanswered, " << tally.refused.load() << " refused");
    CHECK(exit_code == 0);
    CHECK(tally.truncated.load() == 0);
    CHECK(tally.complete.load() ==
          started.load()); // every request a handler began was answered in full
    CHECK(service_stopped);
}

TEST_CASE("trusted_proxies: addresses and networks; a bad entry is refused") {
    trusted_proxies proxies({"127.0.0.1", "10.0.0.0/8", "2001:db8::/32"});
    CHECK(proxies.contains("127.0.0.1"));
    CHECK(proxies.contains("10.200.3.4"));
    CHECK(proxies.contains("::ffff:10.1.2.3")); // v4-mapped, as a dual-stack socket reports it
    CHECK(proxies.contains("[2001:db8::7]:443"));
    CHECK_FALSE(proxies.contains("127.0.0.2"));
    CHECK_FALSE(proxies.contains("11.0.0.1"));
    CHECK_FALSE(proxies.contains("unknown"));
    CHECK_THROWS_AS(trusted_proxies({"localhost"}), std::invalid_argument);
    CHECK_THROWS_AS(trusted_proxies({"10.0.0.0/33"}), std::invalid_argument);
}

TEST_CASE("trusted_proxies: the client is the first untrusted hop from the right") {
    trusted_proxies proxies({"127.0.0.1", "10.0.0.0/8"});
    header_list h;
    h.add("X-Forwarded-For", "198.51.100.9, 203.0.113.7, 10.0.0.2");
    h.add("X-Forwarded-Proto", "https");
    auto o = proxies.resolve("127.0.0.1", true, h);
    CHECK(o.address == "203.0.113.7"); // 198.51.100.9 is what 203.0.113.7 claimed: not believed
    CHECK(o.scheme == "https");

    o = proxies.resolve("192.0.2.1", false, h); // the peer is not a proxy: headers ignored
    CHECK(o.address == "192.0.2.1");
    CHECK(o.scheme == "http");

    header_list f; // one family only: the one the proxy sets
    f.add("X-Forwarded-For", "1.1.1.1");
    f.add("Forwarded", R"(for="[2001:db8:cafe::17]:4711";proto=https, for=10.0.0.5;proto=http)");
    o = proxies.resolve("127.0.0.1", true, f);
    CHECK(o.address == "1.1.1.1"); // a client's own Forwarded is not believed by default
    CHECK(o.scheme == "http");
    trusted_proxies rfc7239({"127.0.0.1", "10.0.0.0/8"}, true);
    o = rfc7239.resolve("127.0.0.1", true, f);
    CHECK(o.address == "2001:db8:cafe::17");
    CHECK(o.scheme == "https");

    header_list all_trusted;
    all_trusted.add("X-Forwarded-For", "10.0.0.1, 10.0.0.2");
    CHECK(proxies.resolve("127.0.0.1", true, all_trusted).address == "10.0.0.1");
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

TEST_CASE("access log: the combined format with duration; hostile bytes are escaped") {
    std::string line;
    format_access_line(line,
                       access_record{.client = "10.0.0.7",
                                     .method = "GET",
                                     .target = "/a?b=\"c\"",
                                     .version = 10,
                                     .status = 200,
                                     .body_bytes = 412,
                                     .referer = "http://x/",
                                     .user_agent = "evil\n127.0.0.1 - - forged \\ \x7f",
                                     .duration = std::chrono::microseconds(1'234'567)},
                       "21/Nov/2026:10:15:32 +0000");
    CHECK(line ==
          "10.0.0.7 - - [21/Nov/2026:10:15:32 +0000] \"GET /a?b=\\\"c\\\" HTTP/1.0\" 200 412 "
          "\"http://x/\" \"evil\\x0A127.0.0.1 - - forged \\\\ \\x7F\" 1.234567\n");
    line.clear(); // behind a trusted proxy the client comes from a header: escaped too
    format_access_line(
        line, access_record{.client = "a\" b", .method = "GET", .target = "/", .status = 200}, "t");
    CHECK(line.starts_with("a\\\" b - - [t] "));
    line.clear();
    format_access_line(line, access_record{.status = 408}, "t");
    CHECK(line == "- - - [t] \"-\" 408 - \"-\" \"-\" 0.000000\n");

    access_time clock;
    const std::string_view stamp = clock.get();
    REQUIRE(stamp.size() == 26);
    CHECK(stamp[2] == '/');
    CHECK(stamp[6] == '/');
    CHECK(stamp[11] == ':');
    CHECK(stamp.substr(20) == " +0000");
}

TEST_CASE("access log over a socket: one line per request, errors and HEAD included; a bad path "
          "fails to start") {
    char dir_template[] = "/tmp/bareasio-access-XXXXXX";
    REQUIRE(mkdtemp(dir_template) != nullptr);
    const std::string path = std::string(dir_template) + "/access.log";
    {
        application app;
        server_config config;
        config.access_log = path;
        test::running_server server(test_app(app), config);
        test::raw_client client(server.port());
        client.send(get("/echo/hello", "User-Agent: probe/1.0\r\nReferer: http://ref/\r\n"));
        CHECK(client.read_response().body == "hello");
        client.send("HEAD /echo/abc HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK(client.read_response(true).status == 200);
        client.send(get("/nowhere"));
        CHECK(client.read_response().status == 404);
        client.send(get("/stream"));
        CHECK(client.read_response().body == "part0;part1;part2;");
        client.send("THIS IS NOT HTTP\r\n\r\n");
        CHECK(client.read_response().status == 400);
        CHECK(server.stop() == 0);
    }
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0].starts_with("127.0.0.1 - - ["));
    CHECK(lines[0].find("] \"GET /echo/hello HTTP/1.1\" 200 5 \"http://ref/\" \"probe/1.0\" 0.") !=
          std::string::npos);
    CHECK(lines[1].find("\"HEAD /echo/abc HTTP/1.1\" 200 - \"-\" \"-\" ") != std::string::npos);
    CHECK(lines[2].find("\"GET /nowhere HTTP/1.1\" 404 ") != std::string::npos);
    CHECK(lines[3].find("\"GET /stream HTTP/1.1\" 200 18 ") != std::string::npos);
    CHECK(lines[4].find("\" 400 ") != std::string::npos);
    std::remove(path.c_str());

    application app;
    server_config config;
    config.port = 0;
    config.access_log = std::string(dir_template) + "/no/such/dir/access.log";
    app_server broken(app, config);
    CHECK(broken.run() == 2);
    rmdir(dir_template);
}
