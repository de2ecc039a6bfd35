// tls::server on a loopback port, against Asio's own TLS client: a response
// that ends the connection ends with close_notify; reload_certificate()
// swaps the certificate for new handshakes and keeps it on a broken key;
// handshakes in progress count against max_connections; a stop does not
// wait for a stalled handshake; a silent connection holds no TLS stream;
// a key with a passphrase fails to load instead of prompting.
// Certificates are made here with Debian's openssl.
#include <bareasio/tls/server.hpp>

#include "../support/apps.hpp"
#include "../support/doctest.hpp"
#include "../support/test_server.hpp"
#include <bareasio/tls/certificate.hpp>
#include <bareasio/tls/stream.hpp>
#include <bareasio/transport/stream.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>

#include <malloc.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace bareasio;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

using running_tls = test::basic_running_server<tls::server>;

// A directory of certificates for one test, removed at its end.
class cert_dir {
public:
    cert_dir() {
        char name[] = "/tmp/bareasio-tls-XXXXXX";
        REQUIRE(mkdtemp(name) != nullptr);
        path_ = name;
    }
    ~cert_dir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }

    // A self-signed ECDSA certificate for 127.0.0.1 with common name `cn`,
    // written to NAME.pem and NAME.key; `extra` goes to openssl's command.
    void make(const std::string& name, const std::string& cn, const std::string& extra = "-nodes") {
        const std::string command =
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 " + extra +
            " -keyout " + key(name) + " -out " + cert(name) + " -days 2 -subj /CN=" + cn +
            " -addext subjectAltName=IP:127.0.0.1 2>/dev/null";
        REQUIRE(std::system(command.c_str()) == 0);
    }
    std::string cert(const std::string& name) const { return (path_ / (name + ".pem")).string(); }
    std::string key(const std::string& name) const { return (path_ / (name + ".key")).string(); }

    // Copies NAME's files over the ones the server was given (`live`).
    void install(const std::string& name) const {
        fs::copy_file(cert(name), cert("live"), fs::copy_options::overwrite_existing);
        fs::copy_file(key(name), key("live"), fs::copy_options::overwrite_existing);
    }

private:
    fs::path path_;
};

// Certificate "a" (common name "first") installed as the server's, and
// the test routes.
struct serving_a {
    serving_a() {
        dir.make("a", "first");
        dir.install("a");
        test::test_app(app);
    }
    cert_dir dir;
    application app;
};

server_config tls_config(const cert_dir& dir, server_config config = {}) {
    config.tls_cert = dir.cert("live");
    config.tls_key = dir.key("live");
    return config;
}

// A TLS client that trusts `cafile`.
class client {
public:
    client(std::uint16_t port, const std::string& cafile) {
        ctx_.load_verify_file(cafile);
        ctx_.set_verify_mode(asio::ssl::verify_peer);
        ssl_.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
        ssl_.handshake(asio::ssl::stream_base::client);
    }

    // The common name on the server's certificate.
    std::string peer_name() {
        X509* cert = SSL_get1_peer_certificate(ssl_.native_handle());
        REQUIRE(cert != nullptr);
        char cn[256] = {};
        X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
        X509_free(cert);
        return cn;
    }

    void send(const std::string& request) { asio::write(ssl_, asio::buffer(request)); }

    // Bytes on the TCP connection under TLS (the start of a record, say).
    void send_raw(const std::string& bytes) { asio::write(ssl_.next_layer(), asio::buffer(bytes)); }

    // Reads until the server ends the connection; `how` is eof after a
    // close_notify, stream_truncated after a bare TCP close.
    std::string read_to_end(std::error_code& how) {
        std::string all;
        asio::read(ssl_, asio::dynamic_buffer(all), how);
        return all;
    }

    // One keep-alive request, answered in one read or a few.
    std::string get(const std::string& target) {
        send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
        std::string reply;
        char chunk[4096];
        while (reply.find("\r\n\r\n") == std::string::npos ||
               reply.size() < reply.find("\r\n\r\n") + 4 + body_length(reply))
            reply.append(chunk, ssl_.read_some(asio::buffer(chunk)));
        return reply;
    }

private:
    static std::size_t body_length(const std::string& reply) {
        const auto at = reply.find("content-length: ");
        return at == std::string::npos ? 0 : std::stoul(reply.substr(at + 16));
    }

    asio::io_context io_;
    asio::ssl::context ctx_{asio::ssl::context::tls_client};
    asio::ssl::stream<asio::ip::tcp::socket> ssl_{io_, ctx_};
};

// A TCP connection that sends nothing (or the start of a ClientHello).
asio::ip::tcp::socket silent(asio::io_context& io, std::uint16_t port) {
    asio::ip::tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), port});
    return s;
}

// Whether the server closed `s` (end of file or reset), waiting for it.
bool closed_by_server(asio::ip::tcp::socket& s) {
    char byte;
    std::error_code ec;
    s.read_some(asio::buffer(&byte, 1), ec); // blocks until the server acts
    return ec == asio::error::eof || ec == asio::error::connection_reset;
}

// An HTTPS request that succeeds once the server has room, tried until it does.
std::string get_when_room(std::uint16_t port, const std::string& cafile) {
    for (int attempt = 0; attempt < 500; ++attempt) {
        try {
            return client(port, cafile).get("/echo/room");
        } catch (const std::system_error&) {
            std::this_thread::sleep_for(10ms);
        }
    }
    return {};
}

} // namespace

TEST_CASE_FIXTURE(serving_a, "a response that ends the connection ends with close_notify") {
    running_tls server(app, tls_config(dir));
    client c(server.port(), dir.cert("a"));
    c.send("GET /echo/bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::error_code how;
    const std::string reply = c.read_to_end(how);
    CHECK(reply.starts_with("HTTP/1.1 200"));
    CHECK(reply.ends_with("bye"));
    CHECK(how == asio::error::eof); // not asio::ssl::error::stream_truncated
}

TEST_CASE_FIXTURE(
    serving_a, "reload_certificate: new handshakes get the new files; a broken key keeps the old") {
    dir.make("b", "second");
    running_tls server(app, tls_config(dir));
    client before(server.port(), dir.cert("a"));
    CHECK(before.peer_name() == "first");

    dir.install("b");
    CHECK(server.server().reload_certificate() == "");
    CHECK(client(server.port(), dir.cert("b")).peer_name() == "second");
    CHECK(before.get("/echo/still").ends_with("still")); // the open connection goes on

    std::ofstream(dir.key("live"), std::ios::trunc) << "not a key\n";
    const std::string failure = server.server().reload_certificate();
    CHECK(failure.find(dir.key("live")) != std::string::npos);
    CHECK(client(server.port(), dir.cert("b")).peer_name() == "second");
}

TEST_CASE_FIXTURE(serving_a,
                  "reload: a FIFO or a huge file in place of a file is refused at once") {
    running_tls server(app, tls_config(dir));
    // A FIFO nobody writes: opening it for reading used to wait for a writer.
    fs::remove(dir.cert("live"));
    REQUIRE(mkfifo(dir.cert("live").c_str(), 0600) == 0);
    std::string failure = server.server().reload_certificate();
    CHECK(failure ==
          "cannot read the TLS certificate " + dir.cert("live") + ": not a regular file");
    CHECK(client(server.port(), dir.cert("a")).peer_name() == "first"); // the old one stays
    fs::remove(dir.cert("live"));
    {
        std::ofstream big(dir.cert("live"));
        big << std::string(tls::certificate::max_file_bytes + 1, '-');
    }
    failure = server.server().reload_certificate();
    CHECK(failure ==
          "cannot read the TLS certificate " + dir.cert("live") + ": larger than 1024 KiB");
    CHECK(client(server.port(), dir.cert("a")).peer_name() == "first");
}

TEST_CASE_FIXTURE(serving_a, "async_reload_certificate: off the caller's loop, resumed on it") {
    dir.make("b", "second");
    running_tls server(app, tls_config(dir));
    dir.install("b");
    asio::io_context io;
    std::string failure = "not run";
    std::thread::id resumed_on;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            failure = co_await server.server().async_reload_certificate();
            resumed_on = std::this_thread::get_id();
        },
        asio::detached);
    io.run();
    CHECK(failure == "");
    CHECK(resumed_on == std::this_thread::get_id());
    CHECK(client(server.port(), dir.cert("b")).peer_name() == "second");
}

TEST_CASE("startup: a FIFO in place of the certificate fails naming it, never waits") {
    cert_dir dir;
    dir.make("a", "first");
    fs::remove(dir.cert("a"));
    REQUIRE(mkfifo(dir.cert("a").c_str(), 0600) == 0);
    application app;
    server_config config;
    config.tls_cert = dir.cert("a");
    config.tls_key = dir.key("a");
    CHECK_THROWS_WITH_AS(
        tls::server(app, config),
        ("cannot read the TLS certificate " + dir.cert("a") + ": not a regular file").c_str(),
        tls::file_error);
}

TEST_CASE("without a certificate reload_certificate says so and the server is plain HTTP") {
    application app;
    test::test_app(app);
    test::basic_running_server<tls::server> server(app);
    CHECK(server.server().reload_certificate() == "no TLS certificate is configured");
}

TEST_CASE_FIXTURE(serving_a, "handshakes in progress count against max_connections") {
    running_tls server(app, tls_config(dir, {.max_connections = 2}));
    asio::io_context io;
    auto quiet = silent(io, server.port());
    auto half = silent(io, server.port());
    const unsigned char hello_start[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00};
    asio::write(half, asio::buffer(hello_start));
    auto third = silent(io, server.port());
    CHECK(closed_by_server(third)); // two handshakes pending: no room

    quiet.close(); // a slot frees once the server sees it go
    CHECK(get_when_room(server.port(), dir.cert("a")).ends_with("room"));
}

TEST_CASE_FIXTURE(serving_a, "a stop does not wait for stalled handshakes") {
    // An hour: a stop that waited for the handshake timeout would hang the test.
    running_tls server(app, tls_config(dir, {.handshake_timeout = 1h}));
    asio::io_context io;
    auto quiet = silent(io, server.port());
    auto half = silent(io, server.port());
    const unsigned char hello_start[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00};
    asio::write(half, asio::buffer(hello_start));
    CHECK(client(server.port(), dir.cert("a")).get("/echo/x").ends_with("x")); // both accepted
    CHECK(server.stop() == 0);
    CHECK(closed_by_server(quiet));
    CHECK(closed_by_server(half));
}

TEST_CASE_FIXTURE(serving_a, "a silent connection holds no TLS stream") {
    running_tls server(app, tls_config(dir));
    client(server.port(), dir.cert("a")).get("/echo/warm"); // first-use allocations
    asio::io_context io;
    const auto before = mallinfo2().uordblks;
    std::vector<asio::ip::tcp::socket> quiet;
    for (int i = 0; i < 200; ++i)
        quiet.push_back(silent(io, server.port()));
    // Accepted in order: once this one is served, the 200 have been taken.
    client(server.port(), dir.cert("a")).get("/echo/after");
    const auto grown =
        static_cast<long long>(mallinfo2().uordblks) - static_cast<long long>(before);
    // An SSL object and its two 17 KiB record buffers would be 7 MB.
    CHECK(grown < 200 * 8 * 1024);
}

TEST_CASE("tls::stream: a read cancelled once its bytes were read, before it saw them, ends") {
    cert_dir dir;
    dir.make("a", "first");
    auto cert = std::make_shared<tls::certificate>(dir.cert("a"), dir.key("a"));
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    std::optional<client> peer;
    std::thread connecting([&] { peer.emplace(acceptor.local_endpoint().port(), dir.cert("a")); });
    tls::stream server(acceptor.accept(), cert->current());
    std::error_code handshake = asio::error::in_progress;
    server.async_handshake([&](std::error_code ec) { handshake = ec; });
    io.run();
    connecting.join();
    REQUIRE_FALSE(handshake);

    // Half of a record's header: the read takes it at once (its result is
    // queued), OpenSSL will want more, and the cancellation comes between.
    peer->send_raw("\x17\x03");
    std::this_thread::sleep_for(50ms); // loopback: delivered long before
    asio::cancellation_signal cancel;
    std::optional<std::error_code> result;
    char into[64];
    server.async_read_some(
        asio::buffer(into),
        asio::bind_cancellation_slot(cancel.slot(),
                                     [&](std::error_code ec, std::size_t) { result = ec; }));
    cancel.emit(asio::cancellation_type::terminal);
    io.restart();
    io.poll();
    REQUIRE(result.has_value()); // not waiting for bytes that may never come
    CHECK(*result == asio::error::operation_aborted);
}

TEST_CASE("a key protected by a passphrase fails to load, naming it, without a prompt") {
    cert_dir dir;
    dir.make("locked", "locked", "-passout pass:secret");
    application app;
    server_config config;
    config.tls_cert = dir.cert("locked");
    config.tls_key = dir.key("locked");
    try {
        tls::server server(app, config);
        FAIL("the locked key loaded");
    } catch (const tls::file_error& e) {
        CHECK(std::string(e.what()).find(dir.key("locked")) != std::string::npos);
    }
}

TEST_CASE("tls::stream: a direct stream with a peer, a goodbye and the scheme https") {
    static_assert(direct_stream<tls::stream>);
    static_assert(stream_with_peer<tls::stream>);
    static_assert(stream_with_goodbye<tls::stream>);
    CHECK(scheme_of<tls::stream> == "https");
}
