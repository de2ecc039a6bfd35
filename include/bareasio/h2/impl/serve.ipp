// h2::serve and h2::protocol. Compiled once into libbareasio_h2
// (src/h2.cpp); no header includes it.
#pragma once

#include <bareasio/h2/detail/session.hpp>
#include <bareasio/h2/impl/session.ipp>
#include <bareasio/h2/serve.hpp>
#include <bareasio/server/second_protocol.hpp>
#include <bareasio/tls/serve.hpp>

namespace bareasio::h2 {

namespace detail {

class http2 final : public second_protocol {
public:
    std::string_view alpn() const noexcept override { return "h2"; }
    std::string_view preface() const noexcept override { return NGHTTP2_CLIENT_MAGIC; }
    asio::awaitable<void> serve(upgradable_connection& conn, loop_context& loop,
                                peer_info peer) const override {
        session s(conn, loop, peer);
        co_await s.run();
    }
};

} // namespace detail

std::shared_ptr<const second_protocol> protocol() {
    return std::make_shared<const detail::http2>();
}

int serve(const application& app, server_config config) {
    return tls::serve(app, std::move(config), protocol());
}

} // namespace bareasio::h2
