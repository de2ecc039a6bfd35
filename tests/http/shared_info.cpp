// shared_info: the application's typed info, shared by every request.
#include <bareasio/http/shared_info.hpp>

#include "../support/doctest.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace bareasio;

TEST_CASE("shared_info: typed access with a clear error on the wrong type") {
    struct state {
        int n = 3;
    };
    auto info = shared_info::make(state{});
    CHECK(info.get<state>().n == 3);
    try {
        info.get<int>();
        FAIL("expected an error");
    } catch (const std::logic_error& e) {
        CHECK(std::string(e.what()).find("info<int>() but the application's info is a") !=
              std::string::npos);
    }
    CHECK_THROWS_AS(shared_info{}.get<int>(), std::logic_error);
}
