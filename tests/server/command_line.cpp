// command_line: the flags every bareasio program shares (usage errors and
// --help, which exit, are driven as processes in test_examples.py).
#include <bareasio/server/command_line.hpp>

#include "../support/doctest.hpp"

#include <array>

using namespace bareasio;

TEST_CASE("config_from_args: flags with spaces or '=', over the defaults") {
    std::array<const char*, 10> args = {"prog",       "--host", "0.0.0.0",      "--port=8080",
                                        "--threads",  "3",      "--access-log", "--trusted-proxy",
                                        "10.0.0.0/8", nullptr};
    const auto config = config_from_args(9, const_cast<char**>(args.data()), {.port = 9009});
    CHECK(config.host == "0.0.0.0");
    CHECK(config.port == 8080);
    CHECK(config.threads == 3);
    CHECK(config.access_log == "-");
    CHECK(config.trusted_proxies == std::vector<std::string>{"10.0.0.0/8"});

    std::array<const char*, 2> none = {"prog", nullptr};
    const auto defaults = config_from_args(1, const_cast<char**>(none.data()), {.port = 1234});
    CHECK(defaults.port == 1234);
    CHECK(defaults.access_log.empty());
}

TEST_CASE("config_from_args: the application's own options, next to the shared flags") {
    std::string db = "notes.db";
    unsigned every = 60;
    double ratio = 0.5;
    bool verbose = false, quiet = false;
    const std::vector<command_line_option> options = {
        cli_option("--db", db, "FILE", "where the notes are kept"),
        cli_option("--purge-every", every, "SECONDS", "purge period"),
        cli_option("--ratio", ratio, "R", "a share"),
        cli_flag("--verbose", verbose, "say more"),
        cli_flag("--quiet", quiet, "say less"),
    };
    CHECK(options[0].default_text == "notes.db");
    CHECK(options[1].default_text == "60");
    CHECK(options[2].default_text == "0.5");
    CHECK(options[3].default_text.empty());
    std::array<const char*, 10> args = {"prog",         "--db",          "/tmp/n.db", "--port",
                                        "8081",         "--purge-every", "5",         "--verbose",
                                        "--ratio=0.25", nullptr};
    const auto config = config_from_args(9, const_cast<char**>(args.data()), {}, options);
    CHECK(config.port == 8081);
    CHECK(db == "/tmp/n.db");
    CHECK(every == 5);
    CHECK(ratio == 0.25);
    CHECK(verbose);
    CHECK_FALSE(quiet);
}

TEST_CASE("config_from_args: an option that is not --something, or is taken, is refused") {
    bool b = false;
    std::array<const char*, 2> none = {"prog", nullptr};
    auto with = [&](std::vector<command_line_option> options) {
        config_from_args(1, const_cast<char**>(none.data()), {}, options);
    };
    CHECK_THROWS_AS(with({cli_flag("-v", b, "")}), std::invalid_argument);
    CHECK_THROWS_AS(with({cli_flag("verbose", b, "")}), std::invalid_argument);
    CHECK_THROWS_AS(with({cli_flag("--port", b, "")}), std::invalid_argument);
    CHECK_THROWS_AS(with({cli_flag("--help", b, "")}), std::invalid_argument);
    CHECK_THROWS_AS(with({cli_flag("--x", b, ""), cli_flag("--x", b, "")}), std::invalid_argument);
    CHECK_NOTHROW(with({cli_flag("--x", b, "")}));
}
