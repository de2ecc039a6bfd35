// bareasio::testing::stream: an in-memory byte stream with two ends, for
// testing code that talks over a socket (a connection, a client) without
// one, deterministically. What one end writes the other reads, like a
// connected TCP socket; it has the socket operations a server uses
// (async_read_some, async_write_some, read_some, write_some, non_blocking,
// cancel, shutdown, close), so bareasio's connection runs its production
// path on it, direct reads and writes included.
//     asio::io_context ioc;
//     testing::stream server_end(ioc.get_executor()), client(ioc.get_executor());
//     server_end.connect(client);
//     client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");   // arrives at server_end
//     ioc.poll();                                          // run what is ready
//     CHECK(client.received() == "HTTP/1.1 200 OK\r\n...");
// Test controls, per end: read_size(n) (at most n bytes per read),
// write_size(n) (per write), buffer_limit(n) (the peer holds at most n
// unread bytes from this end; a write past it waits, like a full socket
// buffer), fail_after(n, ec) (the n-th operation from now and every later
// one fails with ec). Async operations complete through their handler's
// executor, never inside the call that starts them nor inside the peer's
// call that satisfies them; per-operation cancellation and cancel()
// complete them with operation_aborted. Synchronous operations never block:
// with nothing to do they fail with would_block, in either mode.
// Thread safety: both ends belong to one io_context, used from its thread.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/recycling_allocator.hpp>
#include <asio/socket_base.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace bareasio::testing {

namespace detail {

// An async operation parked until bytes (a read) or room (a write) come.
// Operations are allocated through Asio's per-thread recycling cache, so a
// warm stream allocates nothing per operation (benchmarks count on it).
class pending_op {
public:
    // Reads from or writes into `bytes`, at most `most` (none when `ec` is
    // set), and posts the completion.
    virtual void finish(std::string& bytes, std::size_t most, std::error_code ec) = 0;
    virtual void destroy() noexcept = 0;
    std::uint64_t id = 0;

protected:
    ~pending_op() = default;
};

struct op_deleter {
    void operator()(pending_op* op) const noexcept { op->destroy(); }
};
using op_ptr = std::unique_ptr<pending_op, op_deleter>;

// The bytes flowing one way, from the end that writes to the end that reads.
struct direction {
    std::string bytes;        // written, not yet read
    bool eof = false;         // the writer shut down or closed: reads end after `bytes`
    bool reader_gone = false; // the reader closed: writes fail with broken_pipe
    std::size_t limit = std::numeric_limits<std::size_t>::max();      // most unread bytes
    std::size_t read_size = std::numeric_limits<std::size_t>::max();  // per read
    std::size_t write_size = std::numeric_limits<std::size_t>::max(); // per write
    op_ptr reader;                                                    // a parked read
    op_ptr writer;                                                    // a parked write

    std::size_t room() const noexcept { return bytes.size() >= limit ? 0 : limit - bytes.size(); }
    bool closed_for_writing() const noexcept { return reader_gone || eof; }
};

// What both ends share. End i reads ways[i] and writes ways[1 - i].
struct shared_pipe {
    direction ways[2];
    std::uint64_t next_id = 0;

    // A parked read completes once bytes, or the end of the stream, are there.
    void wake_reader(direction& way) {
        if (!way.reader || (way.bytes.empty() && !way.eof)) return;
        const std::error_code ec = way.bytes.empty() ? asio::error::eof : std::error_code();
        std::exchange(way.reader, nullptr)->finish(way.bytes, way.read_size, ec);
        wake_writer(way);
    }

    // A parked write completes once there is room, or fails once nobody reads.
    void wake_writer(direction& way) {
        if (!way.writer) return;
        if (way.closed_for_writing()) {
            std::exchange(way.writer, nullptr)->finish(way.bytes, 0, asio::error::broken_pipe);
        } else if (way.room() > 0) {
            const std::size_t most = std::min(way.write_size, way.room());
            std::exchange(way.writer, nullptr)->finish(way.bytes, most, {});
            wake_reader(way);
        }
    }
};

template <class Buffers>
std::size_t copy_out(std::string& from, const Buffers& into, std::size_t most) {
    const std::size_t n = asio::buffer_copy(into, asio::buffer(from), most);
    from.erase(0, n);
    return n;
}

template <class Buffers>
std::size_t copy_in(std::string& to, const Buffers& from, std::size_t most) {
    const std::size_t n = std::min(most, asio::buffer_size(from));
    const std::size_t start = to.size();
    to.resize(start + n);
    asio::buffer_copy(asio::buffer(to.data() + start, n), from, n);
    return n;
}

template <class Buffer>
using buffer_list = std::vector<Buffer, asio::recycling_allocator<Buffer>>;

template <class Buffer, class Buffers>
buffer_list<Buffer> buffers_of(const Buffers& buffers) {
    return {asio::buffer_sequence_begin(buffers), asio::buffer_sequence_end(buffers)};
}

// A parked operation: its handler, buffers and work on the handler's
// executor. Completion is always posted there. Per-operation cancellation
// finds the operation by its id, so a stale cancellation handler left in a
// slot can never complete another operation.
template <class Handler, class Buffer>
class stream_op final : public pending_op {
public:
    using executor = asio::associated_executor_t<Handler, asio::any_io_executor>;

    static op_ptr make(Handler h, buffer_list<Buffer> buffers, const asio::any_io_executor& ex) {
        asio::recycling_allocator<stream_op> alloc;
        stream_op* op = alloc.allocate(1);
        try {
            ::new (static_cast<void*>(op)) stream_op(std::move(h), std::move(buffers), ex);
        } catch (...) {
            alloc.deallocate(op, 1);
            throw;
        }
        return op_ptr(op);
    }

    void destroy() noexcept override {
        this->~stream_op();
        asio::recycling_allocator<stream_op>().deallocate(this, 1);
    }

    // Lets the handler's cancellation slot abort the operation parked in `slot`.
    void connect_cancellation(const std::shared_ptr<shared_pipe>& pipe, op_ptr direction::*slot,
                              int way) {
        auto cancel = asio::get_associated_cancellation_slot(handler_);
        if (!cancel.is_connected()) return;
        cancel.assign([weak = std::weak_ptr<shared_pipe>(pipe), slot, way,
                       mine = id](asio::cancellation_type) {
            const auto p = weak.lock();
            if (!p) return;
            auto& parked = p->ways[way].*slot;
            if (!parked || parked->id != mine) return;
            auto op = std::exchange(parked, nullptr);
            static_cast<stream_op&>(*op).complete(asio::error::operation_aborted, 0, false);
        });
        cancellable_ = true;
    }

    void finish(std::string& bytes, std::size_t most, std::error_code ec) override {
        std::size_t n = 0;
        if (!ec && most > 0) {
            if constexpr (std::is_same_v<Buffer, asio::mutable_buffer>)
                n = copy_out(bytes, buffers_, most);
            else
                n = copy_in(bytes, buffers_, most);
        }
        complete(ec, n, true);
    }

private:
    stream_op(Handler h, buffer_list<Buffer> buffers, const asio::any_io_executor& ex)
        : handler_(std::move(h)), buffers_(std::move(buffers)),
          work_(asio::get_associated_executor(handler_, ex)) {}
    ~stream_op() = default;

    // `clear_slot` false inside the cancellation handler, which must not
    // destroy itself.
    void complete(std::error_code ec, std::size_t n, bool clear_slot) {
        if (cancellable_ && clear_slot) asio::get_associated_cancellation_slot(handler_).clear();
        auto ex = work_.get_executor();
        asio::post(ex, [h = std::move(handler_), work = std::move(work_), ec, n]() mutable {
            std::move(h)(ec, n);
        });
    }

    Handler handler_;
    buffer_list<Buffer> buffers_;
    asio::executor_work_guard<executor> work_;
    bool cancellable_ = false;
};

} // namespace detail

class stream {
public:
    using executor_type = asio::any_io_executor;
    using endpoint_type = asio::ip::tcp::endpoint;

    explicit stream(executor_type ex)
        : ex_(std::move(ex)), pipe_(std::make_shared<detail::shared_pipe>()) {}
    stream(stream&&) noexcept = default;
    stream& operator=(stream&&) noexcept = default;

    // Connects this end to `peer` (neither used yet): what one writes, the other reads.
    void connect(stream& peer) {
        peer.pipe_ = pipe_;
        side_ = 0;
        peer.side_ = 1;
    }

    executor_type get_executor() const noexcept { return ex_; }

    // ---- test controls -------------------------------------------------

    // At most `n` bytes per read of this end.
    void read_size(std::size_t n) noexcept { in().read_size = std::max<std::size_t>(n, 1); }
    // At most `n` bytes per write of this end.
    void write_size(std::size_t n) noexcept { out().write_size = std::max<std::size_t>(n, 1); }
    // The peer holds at most `n` unread bytes from this end; writes past them wait.
    void buffer_limit(std::size_t n) noexcept { out().limit = n; }
    // The n-th operation of this end from now (0: the next), and every
    // later one, fails with `ec`.
    void fail_after(std::size_t n, std::error_code ec = asio::error::connection_reset) noexcept {
        fail_in_ = n;
        fail_ec_ = ec;
    }

    // Delivers `bytes` to the peer now, past any limit: a test's client writing.
    void send(std::string_view bytes) {
        out().bytes.append(bytes);
        pipe_->wake_reader(out());
    }
    // Everything that has arrived at this end and was not read, taken.
    std::string received() {
        std::string all = std::exchange(in().bytes, {});
        pipe_->wake_writer(in());
        return all;
    }
    // Drops what has arrived (keeping the storage); returns how many bytes.
    std::size_t discard() {
        const std::size_t n = in().bytes.size();
        in().bytes.clear();
        pipe_->wake_writer(in());
        return n;
    }
    // Bytes waiting at this end.
    std::size_t available() const noexcept { return in().bytes.size(); }
    // The peer shut down or closed its sending side, and all it sent was read.
    bool peer_closed() const noexcept { return in().eof && in().bytes.empty(); }

    // The address the other end appears to have (default 127.0.0.1).
    void remote_endpoint(endpoint_type e) { remote_ = std::move(e); }
    endpoint_type remote_endpoint() const { return remote_; }
    endpoint_type remote_endpoint(std::error_code& ec) const {
        ec = {};
        return remote_;
    }

    // ---- the socket interface ------------------------------------------

    bool is_open() const noexcept { return open_; }
    void non_blocking(bool mode, std::error_code& ec) {
        non_blocking_ = mode;
        ec = {};
    }
    bool non_blocking() const noexcept { return non_blocking_; }

    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers, std::error_code& ec) {
        const auto into = detail::buffers_of<asio::mutable_buffer>(buffers);
        if (failed(ec) || asio::buffer_size(into) == 0) return 0;
        if (in().bytes.empty()) {
            if (in().eof)
                ec = asio::error::eof;
            else
                ec = asio::error::would_block;
            return 0;
        }
        const std::size_t n = detail::copy_out(in().bytes, into, in().read_size);
        pipe_->wake_writer(in());
        return n;
    }

    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& buffers, std::error_code& ec) {
        const auto from = detail::buffers_of<asio::const_buffer>(buffers);
        if (failed(ec) || asio::buffer_size(from) == 0) return 0;
        if (out().closed_for_writing()) {
            ec = asio::error::broken_pipe;
            return 0;
        }
        const std::size_t n =
            detail::copy_in(out().bytes, from, std::min(out().write_size, out().room()));
        if (n == 0) ec = asio::error::would_block;
        pipe_->wake_reader(out());
        return n;
    }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& b) {
                park(std::move(handler), detail::buffers_of<asio::mutable_buffer>(b),
                     &detail::direction::reader, side_);
            },
            token, buffers);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& b) {
                park(std::move(handler), detail::buffers_of<asio::const_buffer>(b),
                     &detail::direction::writer, 1 - side_);
            },
            token, buffers);
    }

    // This end's pending operations complete with operation_aborted.
    void cancel(std::error_code& ec) {
        ec = {};
        for (auto* slot : {&in().reader, &out().writer})
            if (*slot)
                std::exchange(*slot, nullptr)
                    ->finish(in().bytes, 0, asio::error::operation_aborted);
    }
    void cancel() {
        std::error_code ignored;
        cancel(ignored);
    }

    // shutdown_send: the peer reads end of file after what was sent;
    // shutdown_receive: the peer's writes fail with broken_pipe.
    void shutdown(asio::socket_base::shutdown_type what, std::error_code& ec) {
        ec = {};
        if (what != asio::socket_base::shutdown_receive) {
            out().eof = true;
            pipe_->wake_reader(out());
        }
        if (what != asio::socket_base::shutdown_send) {
            in().reader_gone = true;
            pipe_->wake_writer(in());
        }
    }

    // Both directions end; this end's pending operations are aborted and
    // its later ones fail with bad_descriptor.
    void close(std::error_code& ec) {
        cancel(ec);
        shutdown(asio::socket_base::shutdown_both, ec);
        open_ = false;
    }
    void close() {
        std::error_code ignored;
        close(ignored);
    }

private:
    detail::direction& in() const noexcept { return pipe_->ways[side_]; }
    detail::direction& out() const noexcept { return pipe_->ways[1 - side_]; }

    // Counts an operation for fail_after: true (ec set) when it fails.
    bool failed(std::error_code& ec) {
        ec = {};
        if (!open_)
            ec = asio::error::bad_descriptor;
        else if (fail_in_ == 0)
            ec = fail_ec_;
        else if (fail_in_ != no_failure)
            --fail_in_;
        return bool(ec);
    }

    // Parks an async operation in its direction's `slot` and completes it
    // at once (posted) if it can: one read and one write at a time.
    template <class Handler, class Buffer>
    void park(Handler handler, detail::buffer_list<Buffer> buffers,
              detail::op_ptr detail::direction::*slot, int way_index) {
        auto& way = pipe_->ways[way_index];
        auto op =
            detail::stream_op<Handler, Buffer>::make(std::move(handler), std::move(buffers), ex_);
        auto& typed = static_cast<detail::stream_op<Handler, Buffer>&>(*op);
        std::error_code ec;
        if (way.*slot) ec = asio::error::in_progress;
        if (ec || failed(ec)) return op->finish(way.bytes, 0, ec);
        op->id = ++pipe_->next_id;
        typed.connect_cancellation(pipe_, slot, way_index);
        way.*slot = std::move(op);
        if (slot == &detail::direction::reader)
            pipe_->wake_reader(way);
        else
            pipe_->wake_writer(way);
    }

    static constexpr std::size_t no_failure = std::numeric_limits<std::size_t>::max();

    executor_type ex_;
    std::shared_ptr<detail::shared_pipe> pipe_;
    int side_ = 0;
    bool open_ = true;
    bool non_blocking_ = false;
    std::size_t fail_in_ = no_failure;
    std::error_code fail_ec_;
    endpoint_type remote_{asio::ip::make_address_v4("127.0.0.1"), 0};
};

} // namespace bareasio::testing
