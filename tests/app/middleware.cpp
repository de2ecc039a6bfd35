// middleware: bareASGI's shape, in and out in order, short-circuit, context.
#include <bareasio/app/middleware.hpp>

#include <bareasio/bareasio.hpp>
#include <bareasio/testing.hpp>

#include "../support/doctest.hpp"

#include <stdexcept>
#include <string>
#include <vector>

using namespace bareasio;
using namespace std::chrono_literals;
using asio::awaitable;

TEST_CASE("middleware: in and out in order, short-circuit, request changes and context reach the "
          "handler") {
    std::vector<std::string> trace;
    application app;
    auto tracer = [&](std::string name) -> middleware {
        return [&trace, name](request& req, const http_handler& next) -> awaitable<response> {
            trace.push_back(name + " in");
            response res = co_await next(req);
            trace.push_back(name + " out");
            res.headers.add("x-through", name);
            co_return res;
        };
    };
    app.middlewares.push_back(tracer("outer"));
    app.middlewares.push_back([](request& req, const http_handler& next) -> awaitable<response> {
        if (req.headers().get("authorization") != "let me in") co_return 401; // short-circuit
        req.context().set("user", std::string("ann"));
        co_return co_await next(req);
    });
    app.http_router.add(
        {"GET"}, "/me",
        with_middleware({tracer("route")}, [&](request& req) -> awaitable<response> {
            trace.push_back("handler");
            auto* user = req.context().get<std::string>("user");
            co_return response{200, {}, text_writer(user ? *user : "nobody")};
        }));
    testing::run(app, [&](testing::client& c) -> awaitable<void> {
        auto denied = co_await c.get("/me");
        CHECK(denied.status == 401);
        const std::vector<std::string> short_circuit{"outer in", "outer out"};
        CHECK(trace == short_circuit);
        trace.clear();
        header_list auth;
        auth.add("authorization", "let me in");
        auto r = co_await c.get("/me", auth);
        CHECK(r.status == 200);
        CHECK(r.body == "ann");
        const std::vector<std::string> expected{"outer in", "route in", "handler", "route out",
                                                "outer out"};
        CHECK(trace == expected);
        std::vector<std::string> through;
        for (const auto& f : r.headers)
            if (iequals(f.name, "x-through")) through.push_back(f.value);
        const std::vector<std::string> order{"route", "outer"};
        CHECK(through == order);
    });
}
