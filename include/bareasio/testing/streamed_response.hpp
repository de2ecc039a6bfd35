// bareasio::testing::streamed_response: a response of the in-process test
// client whose body is read piece by piece, as a client of a stream
// (server-sent events) reads it. Get one from client::open():
//     testing::streamed_response events = co_await c.open("GET", "/events");
//     CHECK(events.status == 200);
//     std::optional<std::string> first = co_await events.next(); // one write
//     co_await events.close();                                   // hang up
// The writer runs alongside the test on the test's executor, one write at a
// time: each write completes once next() has taken it, as a write to a
// socket completes once the client can take more. next() returns std::nullopt
// at the end of the body and rethrows what the writer threw. close() leaves
// as a client that hangs up: the writer's pending wait is cancelled (Asio
// terminal cancellation), a later write throws, and close() returns once the
// writer has finished. Destroying an open stream hangs up without waiting.
// Thread safety: use from the test's coroutine only.
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/http/body_stream.hpp>
#include <bareasio/http/body_writer.hpp>
#include <bareasio/http/header_list.hpp>
#include <bareasio/http/request.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/error.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace bareasio::testing {

namespace detail {

// One in-process exchange: the request (a writer may refer to it until it
// ends) and the hand-over of the body from the writer to the reader.
struct exchange final : body_sink {
    exchange(request_head head, std::string body)
        : source(std::move(body)), req(std::move(head), &source) {}

    asio::awaitable<void> write(std::string_view chunk) override {
        if (hung_up) throw std::system_error(asio::error::connection_reset, "client left");
        if (chunk.empty()) co_return;
        pending.emplace(chunk);
        ready.set();
        co_await taken.wait(); // back-pressure: the reader takes one piece at a time
        taken.clear();
    }

    void ended(std::exception_ptr failure) {
        if (!hung_up) this->failure = std::move(failure);
        writing = false;
        ready.set();
    }

    string_body_source source;
    bareasio::request req;
    std::optional<std::string> pending; // written, not yet taken
    event ready;                        // a piece is pending or the writer ended
    event taken;                        // the reader took the pending piece
    bool writing = false;
    bool hung_up = false;
    std::exception_ptr failure;
    asio::cancellation_signal cancel;
};

} // namespace detail

class streamed_response {
public:
    int status = 0;
    header_list headers;

    std::optional<std::string_view> header(std::string_view name) const noexcept {
        return headers.get(name);
    }

    // Takes the exchange whose handler answered; starts the writer of a
    // streamed body on `ex`. A buffered body is one piece; `send_body`
    // false (HEAD, a status without a body) sends none.
    streamed_response(int status, header_list headers, const body_writer& body, bool send_body,
                      std::shared_ptr<detail::exchange> ex, const asio::any_io_executor& executor)
        : status(status), headers(std::move(headers)), x_(std::move(ex)) {
        if (send_body && body.type() == body_writer::kind::stream) {
            x_->writing = true;
            start(body.producer(), executor);
            return;
        }
        if (send_body && !body.data().empty()) x_->pending = body.data();
        x_->ready.set();
    }

    streamed_response(streamed_response&&) noexcept = default;
    streamed_response& operator=(streamed_response&& other) noexcept {
        hang_up();
        x_ = std::move(other.x_);
        status = other.status;
        headers = std::move(other.headers);
        return *this;
    }
    ~streamed_response() { hang_up(); }

    // The next piece the writer wrote; std::nullopt once the body has ended.
    asio::awaitable<std::optional<std::string>> next() {
        auto x = x_; // the frame keeps the exchange alive
        if (!x->pending && x->writing) co_await x->ready.wait();
        x->ready.clear();
        if (x->pending) {
            std::optional<std::string> piece = std::move(x->pending);
            x->pending.reset();
            x->taken.set();
            co_return piece;
        }
        if (x->failure) std::rethrow_exception(std::exchange(x->failure, nullptr));
        co_return std::nullopt;
    }

    // The rest of the body, to its end.
    asio::awaitable<std::string> rest() {
        std::string all;
        for (;;) {
            std::optional<std::string> piece = co_await next();
            if (!piece) co_return all;
            all += *piece;
        }
    }

    // Hangs up and waits until the writer has finished.
    asio::awaitable<void> close() {
        auto x = x_;
        hang_up();
        while (x->writing) {
            co_await x->ready.wait();
            x->ready.clear();
        }
    }

private:
    void start(body_producer producer, const asio::any_io_executor& executor) {
        auto x = x_;
        asio::co_spawn(
            executor,
            [x, producer = std::move(producer)]() -> asio::awaitable<void> {
                co_await producer(*x);
            },
            asio::bind_cancellation_slot(x->cancel.slot(),
                                         [x](std::exception_ptr e) { x->ended(std::move(e)); }));
    }

    void hang_up() noexcept {
        if (!x_ || x_->hung_up) return;
        x_->hung_up = true;
        x_->pending.reset();
        if (x_->writing) x_->cancel.emit(asio::cancellation_type::terminal);
    }

    std::shared_ptr<detail::exchange> x_;
};

} // namespace bareasio::testing
