// trusted_proxies: which peers may tell us who the client is. Behind nginx
// or a load balancer the TCP peer is the proxy; the client's address and
// scheme arrive in `Forwarded` (RFC 7239) or `X-Forwarded-For` /
// `X-Forwarded-Proto`. Those headers are honoured only when the peer is a
// listed proxy, or anyone could claim any address. The chain is walked from
// the right (the hop nearest to us) past every trusted proxy; the first
// untrusted hop is the client. One header family is read, the one your
// proxy sets: X-Forwarded-For / X-Forwarded-Proto by default (nginx's
// usual configuration), or RFC 7239 `Forwarded` when configured. Reading
// both would let a client's own `Forwarded`, passed through untouched by a
// proxy that only sets the X- headers, choose its address.
//     serve(app, {.trusted_proxies = {"127.0.0.1", "10.0.0.0/8"}});
//     serve(app, {.trusted_proxies = {"10.0.0.0/8"}, .forwarded_header = true});
// Thread safety: one per event loop (resolve() reuses a scratch buffer).
#pragma once

#include <asio/ip/address.hpp>

#include <bareasio/http/header_list.hpp>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bareasio {

// The client a request came from, as far as we can trust it.
struct client_origin {
    std::string_view address; // an IP address, or an opaque token a proxy sent ("unknown")
    std::string_view scheme;  // "http" or "https"
};

class trusted_proxies {
public:
    trusted_proxies() = default;

    // Each entry an address ("127.0.0.1", "::1") or a network in CIDR form
    // ("10.0.0.0/8"). Throws std::invalid_argument naming a bad entry.
    explicit trusted_proxies(const std::vector<std::string>& entries, bool forwarded_header = false)
        : forwarded_header_(forwarded_header) {
        for (const auto& e : entries)
            networks_.push_back(parse(e));
    }

    bool empty() const noexcept { return networks_.empty(); }

    bool contains(const asio::ip::address& a) const noexcept {
        const auto bytes = to_bytes(a);
        for (const auto& n : networks_)
            if (n.v6 == bytes.v6 && prefix_matches(n.bytes, bytes.bytes, n.prefix)) return true;
        return false;
    }

    bool contains(std::string_view text) const noexcept {
        std::error_code ec;
        auto a = asio::ip::make_address(std::string(strip_port(text)), ec);
        return !ec && contains(a);
    }

    // Who the client is, given the TCP peer and the request's headers. The
    // views point into `peer` and `headers`.
    client_origin resolve(std::string_view peer, bool peer_trusted,
                          const header_list& headers) const {
        client_origin origin{peer, "http"};
        if (!peer_trusted) return origin;
        if (forwarded_header_) {
            hops_.clear();
            for (const auto& f : headers)
                if (iequals(f.name, "forwarded")) split_forwarded(f.value);
            walk(origin);
            return origin;
        }
        hops_.clear();
        for (const auto& f : headers)
            if (iequals(f.name, "x-forwarded-for")) split_list(f.value);
        if (hops_.empty()) return origin;
        walk(origin);
        // X-Forwarded-Proto describes the request our trusted peer received.
        std::string_view proto;
        for (const auto& f : headers)
            if (iequals(f.name, "x-forwarded-proto")) proto = last_item(f.value);
        if (proto == "https" || proto == "http") origin.scheme = proto;
        return origin;
    }

private:
    struct network {
        bool v6 = false;
        std::array<std::uint8_t, 16> bytes{};
        unsigned prefix = 0;
    };
    struct address_bytes {
        bool v6 = false;
        std::array<std::uint8_t, 16> bytes{};
    };
    struct hop {
        std::string_view for_;
        std::string_view proto;
    };

    static address_bytes to_bytes(const asio::ip::address& a) {
        address_bytes out;
        if (a.is_v6() && a.to_v6().is_v4_mapped())
            return to_bytes(asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()));
        if (a.is_v4()) {
            const auto b = a.to_v4().to_bytes();
            std::copy(b.begin(), b.end(), out.bytes.begin());
        } else {
            out.v6 = true;
            out.bytes = a.to_v6().to_bytes();
        }
        return out;
    }

    static network parse(const std::string& entry) {
        const auto slash = entry.find('/');
        std::error_code ec;
        const auto a = asio::ip::make_address(entry.substr(0, slash), ec);
        if (ec) throw std::invalid_argument("trusted_proxies: not an address or network: " + entry);
        auto bytes = to_bytes(a);
        network n{bytes.v6, bytes.bytes, bytes.v6 ? 128u : 32u};
        if (slash != std::string::npos) {
            const auto bits = entry.substr(slash + 1);
            unsigned prefix = 0;
            for (char c : bits) {
                if (c < '0' || c > '9' || prefix > 128) {
                    prefix = 999;
                    break;
                }
                prefix = prefix * 10 + static_cast<unsigned>(c - '0');
            }
            if (bits.empty() || prefix > n.prefix)
                throw std::invalid_argument("trusted_proxies: bad prefix length in " + entry);
            n.prefix = prefix;
        }
        return n;
    }

    static bool prefix_matches(const std::array<std::uint8_t, 16>& a,
                               const std::array<std::uint8_t, 16>& b, unsigned bits) noexcept {
        std::size_t i = 0;
        for (; bits >= 8; bits -= 8, ++i)
            if (a[i] != b[i]) return false;
        if (bits == 0) return true;
        const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
        return (a[i] & mask) == (b[i] & mask);
    }

    static std::string_view trim(std::string_view s) noexcept {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
            s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
            s.remove_suffix(1);
        return s;
    }

    static std::string_view unquote(std::string_view s) noexcept {
        if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
        return s;
    }

    // "[2001:db8::1]:4711" -> "2001:db8::1"; "192.0.2.1:80" -> "192.0.2.1".
    static std::string_view strip_port(std::string_view s) noexcept {
        if (!s.empty() && s.front() == '[') {
            auto close = s.find(']');
            return close == std::string_view::npos ? s : s.substr(1, close - 1);
        }
        if (auto colon = s.find(':'); colon != std::string_view::npos && s.rfind(':') == colon)
            return s.substr(0, colon); // one colon: v4 with a port (v6 has several)
        return s;
    }

    static std::string_view last_item(std::string_view list) noexcept {
        auto comma = list.rfind(',');
        return trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
    }

    void split_list(std::string_view list) const {
        while (!list.empty()) {
            auto comma = list.find(',');
            auto item = trim(list.substr(0, comma));
            if (!item.empty()) hops_.push_back({strip_port(item), {}});
            if (comma == std::string_view::npos) break;
            list.remove_prefix(comma + 1);
        }
    }

    void split_forwarded(std::string_view value) const {
        while (!value.empty()) {
            auto comma = value.find(',');
            auto element = value.substr(0, comma);
            hop h;
            while (!element.empty()) {
                auto semi = element.find(';');
                auto pair = trim(element.substr(0, semi));
                if (auto eq = pair.find('='); eq != std::string_view::npos) {
                    auto key = trim(pair.substr(0, eq));
                    auto val = unquote(trim(pair.substr(eq + 1)));
                    if (iequals(key, "for"))
                        h.for_ = strip_port(val);
                    else if (iequals(key, "proto"))
                        h.proto = val;
                }
                if (semi == std::string_view::npos) break;
                element.remove_prefix(semi + 1);
            }
            if (!h.for_.empty()) hops_.push_back(h);
            if (comma == std::string_view::npos) break;
            value.remove_prefix(comma + 1);
        }
    }

    // From the nearest hop back, past every trusted proxy.
    void walk(client_origin& origin) const {
        for (auto i = hops_.size(); i-- > 0;) {
            origin.address = hops_[i].for_;
            if (hops_[i].proto == "https" || hops_[i].proto == "http")
                origin.scheme = hops_[i].proto;
            if (!contains(hops_[i].for_)) return;
        }
    }

    std::vector<network> networks_;
    bool forwarded_header_ = false;
    mutable std::vector<hop> hops_; // scratch, reused: one resolver per event loop
};

} // namespace bareasio
