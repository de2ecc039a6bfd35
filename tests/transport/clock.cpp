// loop_clock: the steady clock, or a frozen one that moves only when told.
#include <bareasio/transport/clock.hpp>

#include "../support/doctest.hpp"

using namespace bareasio;
using namespace std::chrono_literals;

TEST_CASE("loop_clock: follows the steady clock until frozen, then moves only with advance()") {
    loop_clock c;
    const auto before = std::chrono::steady_clock::now();
    CHECK(c.now() >= before);
    c.advance(1h); // not frozen: nothing to move
    CHECK(c.now() < before + 1h);

    c.freeze(before);
    CHECK(c.now() == before);
    CHECK(c.now() == before); // time stands still
    c.advance(1100ms);
    CHECK(c.now() == before + 1100ms);
}
