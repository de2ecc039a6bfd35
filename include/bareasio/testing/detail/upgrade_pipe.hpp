// testing::detail::upgrade_pipe: the connection under a WebSocket that the
// in-process test client opens. What the client sends the session receives,
// and what the session writes the client reads, with no socket and no
// clock: the session's deadlines never fire, as no sweeper passes.
// The server's end is upgradable_connection; the client's end is send(),
// from_server() and changed(), an event set whenever the server writes,
// takes the connection, closes it or its handler ends.
// Thread safety: on the test's io_context only.
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/detail/asio_compat.hpp>
#include <bareasio/http/upgrade.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/error.hpp>

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace bareasio::testing::detail {

class upgrade_pipe final : public upgradable_connection {
public:
    explicit upgrade_pipe(asio::any_io_executor ex) : ex_(std::move(ex)) {}
    upgrade_pipe(const upgrade_pipe&) = delete;
    upgrade_pipe& operator=(const upgrade_pipe&) = delete;

    // ---- the server's end ------------------------------------------------------

    asio::awaitable<void> take(upgrade_hooks& hooks) override {
        hooks_ = &hooks;
        changed_.set();
        co_return;
    }

    std::span<char> received() noexcept override {
        return {to_server_.data() + read_, to_server_.size() - read_};
    }
    void consume(std::size_t n) noexcept override { read_ += n; }

    // Waits for the client's next bytes; eof once it has gone.
    asio::awaitable<std::error_code> receive_more() override {
        to_server_.erase(0, read_);
        read_ = 0;
        const std::size_t had = to_server_.size();
        while (to_server_.size() == had && !server_closed_ && !client_gone_) {
            sent_.clear();
            auto [ec] = co_await sent_.wait(bareasio::detail::use_tuple);
            if (ec) co_return ec; // cancelled
        }
        if (server_closed_) co_return asio::error::operation_aborted;
        if (to_server_.size() == had) co_return asio::error::eof;
        co_return std::error_code{};
    }

    // The client takes everything at once: its buffer has no bound.
    std::size_t write_now(std::string_view bytes, std::error_code& ec) override {
        if (server_closed_ || client_gone_) {
            ec = asio::error::broken_pipe;
            return 0;
        }
        to_client_.append(bytes);
        changed_.set();
        return bytes.size();
    }
    asio::awaitable<std::error_code> write_all(std::string_view bytes,
                                               std::chrono::milliseconds) override {
        std::error_code ec;
        write_now(bytes, ec);
        co_return ec;
    }

    // No sweep: no deadline ever passes.
    time_point now() const noexcept override { return std::chrono::steady_clock::now(); }
    void expires_at(time_point) noexcept override {}

    void close() noexcept override {
        server_closed_ = true;
        sent_.set();
        changed_.set();
    }
    bool stopping() const noexcept override { return stopping_; }
    asio::any_io_executor executor() const override { return ex_; }

    // ---- the client's end ------------------------------------------------------

    void send(std::string_view bytes) {
        to_server_.append(bytes);
        sent_.set();
    }
    // What the server wrote and the client has not taken yet.
    std::string& from_server() noexcept { return to_client_; }
    event& changed() noexcept { return changed_; }

    bool taken() const noexcept { return hooks_ != nullptr; }
    bool server_closed() const noexcept { return server_closed_; }
    bool handler_ended() const noexcept { return ended_; }

    // The handler returned: nothing of the session may be called any more.
    void end_handler() {
        ended_ = true;
        hooks_ = nullptr;
        changed_.set();
    }
    // The client goes: the server reads end of file.
    void leave() noexcept {
        client_gone_ = true;
        sent_.set();
    }
    // A graceful stop begins: the protocol says goodbye (1001).
    void stop() {
        stopping_ = true;
        if (hooks_ && !server_closed_) hooks_->stop();
    }

private:
    asio::any_io_executor ex_;
    upgrade_hooks* hooks_ = nullptr;
    std::string to_server_;
    std::size_t read_ = 0; // of to_server_, consumed by the session
    std::string to_client_;
    event sent_;    // the client sent bytes or left, or the server closed
    event changed_; // see above
    bool server_closed_ = false;
    bool client_gone_ = false;
    bool stopping_ = false;
    bool ended_ = false;
};

} // namespace bareasio::testing::detail
