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
