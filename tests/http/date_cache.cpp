// date_cache and the HTTP date functions.
#include <bareasio/http/date_cache.hpp>

#include "../support/doctest.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace bareasio;

TEST_CASE("date_cache: IMF-fixdate") {
    date_cache dates;
    auto d = dates.get();
    CHECK(d.size() == 29);
    CHECK(d.substr(25) == " GMT");
    CHECK(d[3] == ',');
}

TEST_CASE("http dates: format and parse agree; other forms and garbage are refused") {
    CHECK(http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") ==
          std::optional<std::time_t>(784111777));
    CHECK(parse_http_date(http_date(1'795'000'000)) == std::optional<std::time_t>(1'795'000'000));
    CHECK_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT")); // RFC 850
    CHECK_FALSE(parse_http_date("Sun Nov  6 08:49:37 1994"));       // asctime
    CHECK_FALSE(parse_http_date("Sun, 06 Nox 1994 08:49:37 GMT"));
    CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"));
    CHECK_FALSE(parse_http_date("Sun, 0x Nov 1994 08:49:37 GMT"));
    CHECK_FALSE(parse_http_date(""));
}
