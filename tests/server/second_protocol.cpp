// A connection's switch to the second protocol (HTTP/2's hook,
// server/second_protocol.hpp), on the in-memory stream with a protocol of
// the test's own: the preface taken whole or in pieces, HTTP/1.1 served as
// before, and a first line that is neither closed without a 400.
#include <bareasio/server/connection.hpp>

#include "../support/apps.hpp"
#include "../support/doctest.hpp"
#include "../support/memory_server.hpp"

#include <memory>
#include <string>
#include <string_view>

using namespace bareasio;
using test::get;
using test::read_all;
using test::test_app;

namespace {

// Takes the connection, answers "took <bytes received>" and ends it.
class echo_protocol final : public second_protocol {
public:
    std::string_view alpn() const noexcept override { return ""; }
    std::string_view preface() const noexcept override { return "PRI-TEST\r\n"; }
    asio::awaitable<void> serve(upgradable_connection& conn, loop_context&,
                                peer_info peer) const override {
        co_await conn.take(hooks_);
        const auto got = conn.received();
        const std::string answer =
            "took " + std::string(got.data(), got.size()) + " from " + std::string(peer.scheme);
        conn.consume(got.size());
        co_await conn.write_all(answer, std::chrono::seconds(1));
    }

private:
    struct no_hooks final : upgrade_hooks {
        void deadline_passed(time_point) override {}
        void stop() override {}
    };
    mutable no_hooks hooks_;
};

} // namespace

TEST_CASE("a client that opens with the preface is given to the second protocol") {
    application app;
    test::memory_server server(test_app(app));
    server.loop().second = std::make_shared<echo_protocol>();
    auto client = server.connect();
    client.send("PRI-TEST\r\nframes");
    CHECK(read_all(server, client) == "took PRI-TEST\r\nframes from http");
    CHECK(client.peer_closed());
}

TEST_CASE("a preface in pieces: nothing is parsed as HTTP/1.1 until it is whole") {
    application app;
    test::memory_server server(test_app(app));
    server.loop().second = std::make_shared<echo_protocol>();
    auto client = server.connect();
    client.send("PRI-");
    CHECK(read_all(server, client).empty());
    CHECK_FALSE(client.peer_closed());
    client.send("TEST\r\n");
    CHECK(read_all(server, client) == "took PRI-TEST\r\n from http");
}

TEST_CASE("with the second protocol offered, HTTP/1.1 is served as before") {
    application app;
    test::memory_server server(test_app(app));
    server.loop().second = std::make_shared<echo_protocol>();
    auto client = server.connect();
    client.send(get("/echo/a"));
    const std::string got = test::without_dates(read_all(server, client));
    CHECK(got.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(got.substr(got.size() - 1) == "a");
    // After a request, the preface is no longer looked for: it is HTTP/1.1.
    client.send("PRI-TEST\r\n\r\n");
    CHECK(read_all(server, client).rfind("HTTP/1.1 400", 0) == 0);
}

TEST_CASE("a first line that is neither the preface nor HTTP/1.x: closed without a 400") {
    application app;
    test::memory_server server(test_app(app));
    server.loop().second = std::make_shared<echo_protocol>();
    auto client = server.connect();
    client.send("INVALID CONNECTION PREFACE\r\n\r\n");
    CHECK(read_all(server, client).empty());
    CHECK(client.peer_closed());
}

TEST_CASE("without a second protocol the same line is answered with a 400") {
    application app;
    test::memory_server server(test_app(app));
    auto client = server.connect();
    client.send("INVALID CONNECTION PREFACE\r\n\r\n");
    CHECK(read_all(server, client).rfind("HTTP/1.1 400", 0) == 0);
}
