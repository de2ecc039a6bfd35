// with_timeout: a per-route deadline; the handler is cancelled, then 504.
#include <bareasio/http/with_timeout.hpp>

#include <bareasio/bareasio.hpp>
#include <bareasio/testing.hpp>

#include "../support/doctest.hpp"

#include <stdexcept>
#include <string>
#include <vector>

using namespace bareasio;
using namespace std::chrono_literals;
using asio::awaitable;

TEST_CASE("with_timeout: a handler past its deadline is cancelled, then the client gets 504") {
    bool cancelled = false, finished_before_answer = false;
    event never;
    application app;
    app.http_router.add(
        {"GET"}, "/stuck",
        with_timeout(std::chrono::milliseconds(20), [&](request&) -> awaitable<response> {
            try {
                co_await never.wait();
            } catch (const std::system_error& e) {
                cancelled = e.code() == asio::error::operation_aborted;
                finished_before_answer = true;
                throw;
            }
            co_return 200;
        }));
    app.http_router.add({"GET"}, "/quick",
                        with_timeout(std::chrono::hours(1), [](request&) -> awaitable<response> {
                            co_return response{200, {}, text_writer("fine")};
                        }));
    app.http_router.add({"GET"}, "/busy",
                        with_timeout(
                            std::chrono::milliseconds(20),
                            [&](request&) -> awaitable<response> {
                                co_await never.wait();
                                co_return 200;
                            },
                            503));
    testing::run(app, [&](testing::client& c) -> awaitable<void> {
        auto r = co_await c.get("/stuck");
        CHECK(r.status == 504);
        CHECK(cancelled);
        CHECK(finished_before_answer);
        CHECK((co_await c.get("/quick")).body == "fine");
        CHECK((co_await c.get("/busy")).status == 503);
    });
}
