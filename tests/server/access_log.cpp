// access_log: the combined log format, escaping, and the log over a socket.
#include <bareasio/server/access_log.hpp>

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
