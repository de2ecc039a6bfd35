#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <bareasio/testing.hpp>

using namespace bareasio;

struct state {
    event toggled;
};

application make_app() { // your application, built as main() builds it
    application app{state{}};
    app.http_router.add({"GET"}, "/", [](request& req) -> awaitable<response> {
        const bool on = req.info<state>().toggled.is_set();
        co_return response{200, {}, text_writer(on ? "Clear" : "Set")};
    });
    app.http_router.add({"POST"}, "/change_event", [](request& req) -> awaitable<response> {
        auto& st = req.info<state>();
        if (co_await text_reader(req) == "True")
            st.toggled.set();
        else
            st.toggled.clear();
        co_return 204;
    });
    return app;
}

TEST_CASE("the page offers Set, then Clear") {
    application app = make_app();
    testing::run(app, [](testing::client& c) -> awaitable<void> {
        testing::test_response page = co_await c.get("/");
        CHECK(page.status == 200);
        CHECK(page.body == "Set");
        CHECK(page.header("content-type") == "text/plain; charset=utf-8");
        CHECK((co_await c.post("/change_event", "True")).status == 204);
        CHECK((co_await c.get("/")).body == "Clear");
    });
}
