// serve() and app_server: the lifespan around the server, exit codes, N
// event loops, SIGTERM under load.
#include <bareasio/app/serve.hpp>

#include <bareasio/bareasio.hpp>

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
    application app{std::in_place_type<seed_state>, std::chrono::milliseconds(1h)};
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

TEST_CASE("a plain serve() program refuses a certificate: exit 2, naming tls::serve") {
    application app;
    server_config config;
    config.port = 0;
    config.tls_cert = "cert.pem";
    config.tls_key = "key.pem";
    app_server server(app, config);
    CHECK(server.run() == 2);
    CHECK(server.wait_until_listening() == 0);
}
