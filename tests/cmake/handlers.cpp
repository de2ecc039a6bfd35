// Header-only through CMake's bareasio::bareasio: a route answered
// in-process, so the include paths, the definitions and llhttp all reach it.
#include <bareasio/testing.hpp>

#include <cstdio>

using namespace bareasio;

int main() {
    application app;
    app.http_router.add({"GET"}, "/", [](request&) -> awaitable<response> {
        co_return response{200, {}, text_writer("found")};
    });
    int status = 0;
    testing::run(
        app, [&](testing::client& c) -> awaitable<void> { status = (co_await c.get("/")).status; });
    std::printf("GET / answered %d\n", status);
    return status == 200 ? 0 : 1;
}
