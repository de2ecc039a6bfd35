// socket_bio: the OpenSSL BIO under tls::stream. OpenSSL reads records
// from bytes the stream's reactor reads put in its input buffer (so a read
// costs what a plain socket's does: queued without a system call when the
// socket was drained, one recv(2) when it wakes), and writes records
// straight to the non-blocking socket with send(2), MSG_NOSIGNAL. A BIO read
// with nothing buffered, or a send that would block, asks OpenSSL to retry
// (SSL_ERROR_WANT_READ / WANT_WRITE).
// The state lives on the heap so that the stream that owns it may move.
// Thread safety: one per stream, on its executor.
#pragma once

#include <asio/buffer.hpp>

#include <openssl/bio.h>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace bareasio::tls::detail {

class socket_bio {
public:
    static constexpr std::size_t input_size = 16 * 1024;

    explicit socket_bio(int fd) : fd_(fd), input_(std::make_unique<char[]>(input_size)) {}
    socket_bio(const socket_bio&) = delete;
    socket_bio& operator=(const socket_bio&) = delete;

    // A new BIO over this state; the SSL that takes it frees it.
    BIO* make() {
        BIO* bio = BIO_new(method());
        if (bio) BIO_set_data(bio, this);
        return bio;
    }

    // Where the reactor puts what it reads, and how much it put.
    asio::mutable_buffer free_space() noexcept { return {input_.get() + end_, input_size - end_}; }
    void commit(std::size_t n) noexcept { end_ += n; }
    bool empty() const noexcept { return begin_ == end_; }

private:
    static const BIO_METHOD* method() {
        static const BIO_METHOD* const made = [] {
            BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "bareasio");
            BIO_meth_set_read_ex(m, read);
            BIO_meth_set_write_ex(m, write);
            BIO_meth_set_ctrl(m, control);
            BIO_meth_set_create(m, [](BIO* bio) {
                BIO_set_init(bio, 1);
                return 1;
            });
            return m;
        }();
        return made;
    }

    static int read(BIO* bio, char* out, std::size_t size, std::size_t* got) {
        auto* self = static_cast<socket_bio*>(BIO_get_data(bio));
        BIO_clear_retry_flags(bio);
        if (self->empty()) {
            BIO_set_retry_read(bio);
            return 0;
        }
        const std::size_t n = std::min(size, self->end_ - self->begin_);
        std::memcpy(out, self->input_.get() + self->begin_, n);
        self->begin_ += n;
        if (self->empty()) self->begin_ = self->end_ = 0;
        *got = n;
        return 1;
    }

    static int write(BIO* bio, const char* in, std::size_t size, std::size_t* put) {
        auto* self = static_cast<socket_bio*>(BIO_get_data(bio));
        BIO_clear_retry_flags(bio);
        for (;;) {
            const ssize_t n = ::send(self->fd_, in, size, MSG_NOSIGNAL);
            if (n >= 0) {
                *put = static_cast<std::size_t>(n);
                return 1;
            }
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(bio);
            return 0; // otherwise errno says why (SSL_ERROR_SYSCALL)
        }
    }

    static long control(BIO*, int command, long, void*) {
        return command == BIO_CTRL_FLUSH ? 1 : 0;
    }

    int fd_;
    std::unique_ptr<char[]> input_;
    std::size_t begin_ = 0; // the unread input is [begin_, end_)
    std::size_t end_ = 0;
};

} // namespace bareasio::tls::detail
