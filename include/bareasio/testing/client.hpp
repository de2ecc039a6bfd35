// bareasio::testing: run an application in-process, without sockets, to
// unit-test handlers with their lifespan, like Starlette's TestClient.
//     bareasio::testing::run(app, [](bareasio::testing::client& c) -> asio::awaitable<void> {
//         auto r = co_await c.get("/");
//         CHECK(r.status == 200);
//         CHECK(r.body.find("Set") != std::string::npos);
//     });
// run() makes an io_context, runs the startup handlers (entering the
// lifespan), your coroutine, then the shutdown handlers and joins the
// services (leaving it), and rethrows whatever failed. Requests go through
// the router and the handler exactly as the server calls them: an
// http_error becomes its status, any other exception a 500; HEAD drops the
// body; the writer's Content-Type is added as the server adds it. What the
// connection adds on the wire (Date, Content-Length, Connection) is not
// there: test that on bareasio::testing::stream or over a socket.
// WebSockets too: c.websocket_connect("/chat") runs the ws_router's
// handler on the real protocol engine and gives the client's end
// (testing/test_websocket.hpp); a refused handshake throws websocket_denied
// with the response. JSON: c.post_json(target, value) sends a body with
// Content-Type: application/json, and a response's json() parses its body.
// It includes <bareasio/app.hpp>, everything a test of handlers names, and
// nlohmann_json. Not included by <bareasio/bareasio.hpp>.
#pragma once

#include <bareasio/app.hpp>
#include <bareasio/app/application.hpp>
#include <bareasio/app/lifespan.hpp>
#include <bareasio/app/services.hpp>
#include <bareasio/async/task_group.hpp>
#include <bareasio/detail/log.hpp>
#include <bareasio/http/body_stream.hpp>
#include <bareasio/http/body_writer.hpp>
#include <bareasio/http/error_response.hpp>
#include <bareasio/http/http_error.hpp>
#include <bareasio/http/request.hpp>
#include <bareasio/testing/detail/upgrade_pipe.hpp>
#include <bareasio/testing/streamed_response.hpp>
#include <bareasio/testing/test_websocket.hpp>

#include <nlohmann/json.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/this_coro.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bareasio::testing {

struct test_response {
    int status = 0;
    header_list headers;
    std::string body;

    std::optional<std::string_view> header(std::string_view name) const noexcept {
        return headers.get(name);
    }
    // The body as JSON; throws nlohmann::json::parse_error if it is not.
    nlohmann::json json() const { return nlohmann::json::parse(body); }
};

// A WebSocket handshake the application refused (a middleware's 401, a
// 403, a handler that threw before accepting): the response it got.
class websocket_denied : public std::runtime_error {
public:
    explicit websocket_denied(test_response r)
        : std::runtime_error("the WebSocket was refused with " + std::to_string(r.status)),
          response(std::move(r)) {}
    test_response response;
};

// The headers of a test request: braced fields, as in
//     co_await c.request("POST", "/notes", {{"x-api-key", "k"}}, body);
// (up to eight), or a header_list. It has no initializer_list constructor
// on purpose: GCC 12 cannot keep the array behind a braced list alive
// across a co_await in the caller ("array used as initializer"); a braced
// list of fields passed to these constructors makes no array.
class request_headers {
public:
    struct field {
        std::string_view name;
        std::string_view value;
    };

    request_headers() = default;
    request_headers(header_list list) : list_(std::move(list)) {}
    request_headers(field f1, field f2 = {}, field f3 = {}, field f4 = {}, field f5 = {},
                    field f6 = {}, field f7 = {}, field f8 = {}) {
        for (const field& f : {f1, f2, f3, f4, f5, f6, f7, f8})
            if (!f.name.empty()) list_.add(f.name, f.value);
    }

    header_list take() && { return std::move(list_); }

private:
    header_list list_;
};

class client {
public:
    client(const application& app, asio::any_io_executor ex)
        : app_(app), group_(ex),
          services_(group_, [this] { stop_requested_ = true; }), ctx_{app.info_handle(), services_,
                                                                      ex} {}
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // Enters the lifespan: the startup handlers, in order. If one fails,
    // as in the server: the shutdown handlers registered before it run, the
    // services already spawned are stopped and joined, and the
    // startup_error is rethrown.
    asio::awaitable<void> start() {
        std::exception_ptr failure;
        try {
            co_await app_.lifespan.startup(ctx_);
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) {
            co_await group_.stop_and_join(std::chrono::seconds(5));
            std::rethrow_exception(failure);
        }
    }

    // What the server does first on SIGTERM: requests' stopping() tokens
    // are requested, so streams that watch them end. stop() does it too.
    void drain() { draining_.request_stop(); }

    // Leaves it: drain() (open WebSockets are told 1001 and the client
    // leaves them), the shutdown handlers, then every service stopped and
    // joined. Returns whether all of it was clean.
    asio::awaitable<bool> stop(std::chrono::milliseconds service_grace = std::chrono::seconds(5)) {
        drain();
        co_await close_sockets();
        const bool clean = co_await app_.lifespan.shutdown(ctx_);
        co_await group_.stop_and_join(service_grace);
        co_return clean&& group_.failures().empty();
    }

    asio::awaitable<test_response> get(std::string target, request_headers headers = {}) {
        co_return co_await request("GET", std::move(target), std::move(headers));
    }

    asio::awaitable<test_response> post(std::string target, std::string body,
                                        request_headers headers = {}) {
        co_return co_await request("POST", std::move(target), std::move(headers), std::move(body));
    }

    // A JSON body (serialised), sent with Content-Type: application/json.
    asio::awaitable<test_response> post_json(std::string target, const nlohmann::json& body,
                                             request_headers headers = {}) {
        co_return co_await request_json("POST", std::move(target), body, std::move(headers));
    }
    asio::awaitable<test_response> request_json(std::string method, std::string target,
                                                const nlohmann::json& body,
                                                request_headers headers = {}) {
        header_list fields = std::move(headers).take();
        if (!fields.contains("content-type")) fields.add("content-type", "application/json");
        co_return co_await request(std::move(method), std::move(target), std::move(fields),
                                   body.dump());
    }

    // Opens a WebSocket on `target` through the application's WebSocket
    // routes and middlewares, offering `subprotocols`, with `headers` added
    // to the handshake (an Origin, a cookie; Host is testserver unless
    // given). Returns once the handler accepted; throws websocket_denied
    // with the response if it refused. The handler runs alongside the test
    // until it returns; stop() ends what is still open.
    asio::awaitable<test_websocket> websocket_connect(std::string target,
                                                      request_headers headers = {},
                                                      std::vector<std::string> subprotocols = {}) {
        auto x = std::make_shared<detail::exchange>(
            handshake_head(std::move(target), std::move(headers).take(), subprotocols), "");
        x->req.set_info(app_.info_handle());
        x->req.set_stopping(draining_.token());
        const auto ex = co_await asio::this_coro::executor;
        auto pipe = std::make_shared<detail::upgrade_pipe>(ex);
        x->req.set_upgrade(pipe.get());
        sockets_.push_back(pipe);
        ++open_sockets_;
        auto refused = std::make_shared<std::optional<response>>();
        asio::co_spawn(ex, call(x->req), [this, x, pipe, refused](std::exception_ptr, response r) {
            if (r.status != 101) *refused = std::move(r);
            pipe->end_handler();
            if (--open_sockets_ == 0) sockets_ended_.set();
        });
        while (!pipe->taken() && !pipe->handler_ended()) {
            pipe->changed().clear();
            co_await pipe->changed().wait();
        }
        if (pipe->taken()) co_return test_websocket(pipe, x, accepted_headers(pipe->from_server()));
        // (Awaited apart from the throw: GCC 12 miscompiles a co_await inside a throw.)
        test_response answer = co_await denial(std::move(**refused));
        throw websocket_denied(std::move(answer));
    }

    // Any method. A body, when given, is sent with its Content-Length.
    asio::awaitable<test_response> request(std::string method, std::string target,
                                           request_headers headers = {},
                                           std::optional<std::string> body = std::nullopt) {
        streamed_response res = co_await open(std::move(method), std::move(target),
                                              std::move(headers), std::move(body));
        std::string all = co_await res.rest();
        co_return test_response{res.status, std::move(res.headers), std::move(all)};
    }

    // The same request, answered with its body still to read, piece by
    // piece (see testing/streamed_response.hpp): for streams.
    asio::awaitable<streamed_response> open(std::string method, std::string target,
                                            request_headers headers = {},
                                            std::optional<std::string> body = std::nullopt) {
        request_head head;
        head.method = std::move(method);
        head.target = std::move(target);
        head.headers = std::move(headers).take();
        if (body) head.content_length = body->size();
        const bool is_head = head.method == "HEAD";
        auto x = std::make_shared<detail::exchange>(std::move(head), std::move(body).value_or(""));
        x->req.set_info(app_.info_handle());
        x->req.set_stopping(draining_.token());
        response res = co_await call(x->req);
        // The Content-Type the writer names, as the server adds it on the wire.
        if (status_allows_body(res.status) && !res.headers.contains("content-type") &&
            !res.body.content_type().empty())
            res.headers.add("Content-Type", res.body.content_type());
        const bool send_body = !is_head && status_allows_body(res.status);
        co_return streamed_response(res.status, std::move(res.headers), res.body, send_body,
                                    std::move(x), co_await asio::this_coro::executor);
    }

    // Whether a service with the stop_server policy failed: the server
    // would now be shutting down.
    bool stop_requested() const noexcept { return stop_requested_; }
    service_set& services() noexcept { return services_; }

private:
    static request_head handshake_head(std::string target, header_list headers,
                                       const std::vector<std::string>& subprotocols) {
        request_head head;
        head.method = "GET";
        head.target = std::move(target);
        head.headers = std::move(headers);
        if (!head.headers.contains("host")) head.headers.add("host", "testserver");
        head.headers.add("upgrade", "websocket");
        head.headers.add("connection", "Upgrade");
        head.headers.add("sec-websocket-key", "dGVzdGNsaWVudCBrZXkgIQ==");
        head.headers.add("sec-websocket-version", "13");
        std::string offered;
        for (const auto& p : subprotocols)
            offered += (offered.empty() ? "" : ", ") + p;
        if (!offered.empty()) head.headers.add("sec-websocket-protocol", offered);
        return head;
    }

    // The 101's header fields, taken from what the server wrote first.
    static header_list accepted_headers(std::string& written) {
        header_list fields;
        const auto end = written.find("\r\n\r\n");
        if (end == std::string::npos) throw std::runtime_error("websocket: no 101 was written");
        std::string_view head(written.data(), end);
        head.remove_prefix(std::min(head.size(), head.find("\r\n") + 2)); // the status line
        while (!head.empty()) {
            const auto line = head.substr(0, head.find("\r\n"));
            head.remove_prefix(std::min(head.size(), line.size() + 2));
            const auto colon = line.find(':');
            if (colon != std::string_view::npos)
                fields.add(line.substr(0, colon), trim_ows(line.substr(colon + 1)));
        }
        written.erase(0, end + 4);
        return fields;
    }

    // The response a refused handshake got, as the HTTP requests' are given.
    asio::awaitable<test_response> denial(response res) {
        if (status_allows_body(res.status) && !res.headers.contains("content-type") &&
            !res.body.content_type().empty())
            res.headers.add("Content-Type", res.body.content_type());
        auto x = std::make_shared<detail::exchange>(request_head{}, "");
        streamed_response body(res.status, std::move(res.headers), res.body,
                               status_allows_body(res.status), std::move(x),
                               co_await asio::this_coro::executor);
        std::string all = co_await body.rest();
        co_return test_response{body.status, std::move(body.headers), std::move(all)};
    }

    // Open sockets are told the server stops (1001), then the client
    // leaves them; returns once every handler has returned.
    asio::awaitable<void> close_sockets() {
        for (const auto& weak : sockets_)
            if (const auto pipe = weak.lock()) {
                pipe->stop();
                pipe->leave();
            }
        sockets_.clear();
        while (open_sockets_ != 0) {
            sockets_ended_.clear();
            co_await sockets_ended_.wait();
        }
    }

    asio::awaitable<response> call(bareasio::request& req) {
        std::exception_ptr failure;
        try {
            co_return co_await handler_(req);
        } catch (...) {
            failure = std::current_exception();
        }
        co_return handler_failure_response(failure, [&req](std::string_view what) {
            bareasio::detail::log_line("bareasio: handler for " + std::string(req.method()) + " " +
                                       std::string(req.target()) + " failed: " + std::string(what));
        });
    }

    const application& app_;
    http_handler handler_ = app_.handler(); // built once: middlewares and router
    task_group group_;
    service_set services_;
    lifespan_context ctx_;
    stop_source draining_;
    bool stop_requested_ = false;
    std::vector<std::weak_ptr<detail::upgrade_pipe>> sockets_; // opened by websocket_connect
    std::size_t open_sockets_ = 0;                             // handlers still running
    event sockets_ended_;
};

// Runs `body(client&)` (a coroutine) inside the application's lifespan on a
// fresh io_context, and returns once everything has ended. Rethrows a
// startup failure, or what `body` threw (after the lifespan was left), or
// std::runtime_error if leaving it was not clean.
template <class Body>
void run(const application& app, Body body) {
    asio::io_context ioc;
    std::exception_ptr failure;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            client c(app, co_await asio::this_coro::executor);
            co_await c.start(); // a startup_error propagates: nothing to leave
            std::exception_ptr body_failure;
            try {
                co_await body(c);
            } catch (...) {
                body_failure = std::current_exception();
            }
            const bool clean = co_await c.stop();
            if (body_failure) std::rethrow_exception(body_failure);
            if (!clean) throw std::runtime_error("the lifespan did not end cleanly (see the log)");
        },
        [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    if (failure) std::rethrow_exception(failure);
}

} // namespace bareasio::testing
