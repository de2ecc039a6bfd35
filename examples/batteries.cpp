// The batteries together: static files, compression, CORS and cookies.
//   ./build/examples/batteries [--port 9012] [--access-log]
// Serves examples/public/ (or $PUBLIC_DIR) under /static/, counts visits in
// a cookie at /visits, and answers /api/items with JSON that pages from
// http://localhost:3000 may read (CORS).
#include <bareasio/bareasio.hpp>
#include <bareasio/batteries/compression.hpp>
#include <bareasio/batteries/cors.hpp>
#include <bareasio/batteries/static_files.hpp>
#include <bareasio/http/cookies.hpp>
#include <bareasio/tls/serve.hpp> // links OpenSSL: HTTPS with --tls-cert/--tls-key

#include <charconv>
#include <cstdlib>
#include <string>

using namespace bareasio;
using namespace std::chrono_literals;

awaitable<response> visits(request& req) {
    int count = 0;
    if (auto seen = request_cookies(req).get("visits"))
        std::from_chars(seen->data(), seen->data() + seen->size(), count);
    ++count;
    response res{200, {}, text_writer("visit " + std::to_string(count) + "\n")};
    set_cookie(res, {.name = "visits",
                     .value = std::to_string(count),
                     .max_age = 24h,
                     .path = "/",
                     .http_only = true,
                     .same_site = same_site_policy::lax});
    co_return res;
}

awaitable<response> items(request&) {
    co_return response{200,
                       {{"content-type", "application/json"}},
                       text_writer(R"([{"id":1,"name":"event"},{"id":2,"name":"wait_for"}])")};
}

int main(int argc, char** argv) {
    const char* root = std::getenv("PUBLIC_DIR");
    application app;
    app.middlewares.push_back(compression());
    app.middlewares.push_back(cors({.allow_origins = {"http://localhost:3000"},
                                    .allow_methods = {"GET"},
                                    .allow_headers = {"content-type"}}));
    auto files = static_files(root && *root ? root : BAREASIO_EXAMPLE_PUBLIC_DIR,
                              {.cache_control = "public, max-age=60"});
    app.http_router.add({"GET"}, "/static/{path:path}", files);
    app.http_router.add({"GET"}, "/static/", files);
    app.http_router.add({"GET"}, "/", [](request&) -> awaitable<response> {
        co_return response{302, {{"location", "/static/"}}};
    });
    app.http_router.add({"GET"}, "/visits", visits);
    app.http_router.add({"GET"}, "/api/items", items);
    return tls::serve(app, config_from_args(argc, argv, {.port = 9012}));
}
