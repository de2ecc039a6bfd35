// route_matches: captured path values, converted, and never wrapped.
#include <bareasio/http/route_matches.hpp>

#include <bareasio/app.hpp>
#include <bareasio/testing.hpp>

#include "../support/doctest.hpp"

#include <cstdint>
#include <limits>
#include <string>

using namespace bareasio;

TEST_CASE("route_matches: values by name, in the type asked for") {
    route_matches m;
    m.add("id", std::int64_t{42});
    m.add("name", std::string("ann"));
    m.add("price", 2.5);
    CHECK(m.get<int>("id") == 42);
    CHECK(m.get<std::uint8_t>("id") == 42);
    CHECK(m.get<std::string>("name") == "ann");
    CHECK(m.get<double>("price") == 2.5);
    CHECK_THROWS_AS(m.get<int>("nope"), std::out_of_range);
    CHECK_THROWS_AS(m.get<int>("name"), std::invalid_argument);
}

TEST_CASE("route_matches: a number that does not fit the type asked for is a 404, never wrapped") {
    route_matches m;
    m.add("big", std::int64_t{4'294'967'297});
    m.add("negative", std::int64_t{-1});
    CHECK(m.get<std::int64_t>("big") == 4'294'967'297);
    auto status_of = [&](auto get) {
        try {
            get();
        } catch (const http_error& e) {
            return e.status();
        }
        return 0;
    };
    CHECK(status_of([&] { (void)m.get<int>("big"); }) == 404);
    CHECK(status_of([&] { (void)m.get<std::uint32_t>("big"); }) == 404);
    CHECK(status_of([&] { (void)m.get<unsigned>("negative"); }) == 404);
    CHECK(status_of([&] { (void)m.get<std::int16_t>("negative"); }) == 0);
}

TEST_CASE("route_matches: through the router, /notes/4294967297 is not note 1") {
    application app;
    app.http_router.add({"GET"}, "/notes/{id:int}", [](request& req) -> awaitable<response> {
        co_return response{200, {}, text_writer(std::to_string(req.matches().get<int>("id")))};
    });
    testing::run(app, [](testing::client& c) -> awaitable<void> {
        CHECK((co_await c.get("/notes/1")).body == "1");
        CHECK((co_await c.get("/notes/4294967297")).status == 404);
        CHECK((co_await c.get("/notes/99999999999")).status == 404);
        CHECK((co_await c.get("/notes/99999999999999999999999")).status == 404);
    });
}
