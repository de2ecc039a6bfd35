// request: what a handler receives. Method, target, decoded path and query,
// headers (case-insensitive, repeats kept), the route's matches, the
// application's typed info and the body as a stream.
//     auto id = req.matches().get<int>("id");
//     auto& state = req.info<my_state>();
//     std::string text = co_await text_reader(req);
// Thread safety: owned by the connection serving it; use it from the handler.
#pragma once

#include <bareasio/async/stop_token.hpp>
#include <bareasio/http/body_stream.hpp>
#include <bareasio/http/header_list.hpp>
#include <bareasio/http/request_context.hpp>
#include <bareasio/http/route_matches.hpp>
#include <bareasio/http/shared_info.hpp>
#include <bareasio/http/url.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bareasio {

class upgradable_connection; // http/upgrade.hpp

// The parsed request line and header block, as the parser delivers it.
struct request_head {
    std::string method;
    std::string target;
    unsigned version = 11; // 10 for HTTP/1.0, 11 for HTTP/1.1
    header_list headers;
    bool keep_alive = true;
    bool chunked = false;
    bool expect_continue = false;
    std::optional<std::uint64_t> content_length;

    void clear() noexcept {
        method.clear();
        target.clear();
        version = 11;
        headers.clear();
        keep_alive = true;
        chunked = false;
        expect_continue = false;
        content_length.reset();
    }
};

class request {
public:
    request() = default;

    // Builds a request from a head (tests and in-process use). Throws
    // std::invalid_argument when the target cannot be decoded.
    explicit request(request_head head, body_source* body = nullptr) : head_(std::move(head)) {
        if (!prepare(body))
            throw std::invalid_argument("malformed request target: " + head_.target);
    }

    std::string_view method() const noexcept { return head_.method; }
    std::string_view target() const noexcept { return head_.target; }
    std::string_view path() const noexcept { return path_; }           // percent-decoded
    std::string_view raw_query() const noexcept { return raw_query_; } // as sent
    const query_params& query() const noexcept { return query_; }      // decoded
    unsigned version() const noexcept { return head_.version; }
    const header_list& headers() const noexcept { return head_.headers; }
    bool keep_alive() const noexcept { return head_.keep_alive; }

    const route_matches& matches() const noexcept { return matches_; }
    route_matches& matches() noexcept { return matches_; }

    template <class T>
    T& info() const {
        return info_.get<T>();
    }
    void set_info(shared_info info) { info_ = std::move(info); }

    body_stream& body() noexcept { return body_; }

    // Requested when the server starts draining (SIGTERM, SIGINT): a
    // handler or stream that would run on (server-sent events, a long poll)
    // ends itself at once instead of at the drain deadline.
    //     if (!co_await until_stopped(change.wait(), req.stopping())) co_return;
    // Never requested for a request built by hand; the test client
    // requests it in client::drain().
    const stop_token& stopping() const noexcept { return stopping_; }
    void set_stopping(stop_token token) { stopping_ = std::move(token); }

    // Data middlewares and handlers pass along (see request_context.hpp).
    request_context& context() noexcept { return context_; }

    // Who sent it: the TCP peer's address, or, behind a proxy listed in
    // server_config::trusted_proxies, the client it forwarded for. Empty
    // when there is no peer (in-process requests). Scheme "http" or "https".
    std::string_view client_address() const noexcept { return client_address_; }
    std::string_view scheme() const noexcept { return scheme_; }
    void set_client(std::string_view address, std::string_view scheme) {
        client_address_.assign(address);
        scheme_.assign(scheme);
    }

    // The connection beneath, for a handler that takes it over after a
    // 101 (WebSocket); null for requests without one (see upgrade.hpp).
    upgradable_connection* upgrade() const noexcept { return upgrade_; }
    void set_upgrade(upgradable_connection* conn) noexcept { upgrade_ = conn; }

    // For the server: the head to fill, and prepare() once it is complete.
    request_head& head() noexcept { return head_; }
    const request_head& head() const noexcept { return head_; }

    // Splits and decodes the target; false on a malformed target.
    bool prepare(body_source* body) {
        body_ = body_stream(body, head_.content_length);
        matches_.clear();
        context_.clear();
        // A fragment is the client's own (RFC 9110 §4.2.5): never a path.
        std::string_view target = std::string_view(head_.target).substr(0, head_.target.find('#'));
        if (!target.empty() && target.front() != '/') target = origin_part(target);
        auto q = target.find('?');
        auto query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
        raw_query_.assign(query);
        path_.clear();
        if (!percent_decode(target.substr(0, q), path_, false)) return false;
        if (path_.empty()) path_ = "/";
        return query_.parse(raw_query_);
    }

private:
    // The path and query of an absolute-form target (http://host/p?q),
    // which proxies send; any other target as it is.
    static std::string_view origin_part(std::string_view target) noexcept {
        const auto scheme = target.find("://");
        if (scheme == std::string_view::npos || scheme > target.find('/')) return target;
        const auto slash = target.find('/', scheme + 3);
        return slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }

    request_head head_;
    std::string path_;
    std::string raw_query_;
    query_params query_;
    route_matches matches_;
    shared_info info_;
    body_stream body_;
    request_context context_;
    stop_token stopping_;
    upgradable_connection* upgrade_ = nullptr;
    std::string client_address_;
    std::string scheme_ = "http";
};

} // namespace bareasio
