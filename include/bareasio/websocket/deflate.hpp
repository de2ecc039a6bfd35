// permessage-deflate (RFC 7692): WebSocket messages compressed with zlib,
// accepted when a client offers it (browsers, python3-websockets and npm
// ws all do). Not included by <bareasio/bareasio.hpp>: a program that uses
// it includes this header and links zlib (meson: dependency('zlib'), -lz).
//     #include <bareasio/websocket/deflate.hpp>
//     app.ws_router.options.compression = permessage_deflate();
// Memory, per socket that negotiated it, allocated at its first compressed
// message in each direction: the compressor 2^(window_bits+2) +
// 2^(mem_level+9) bytes (32 KiB at the defaults, 12 and 5), the
// decompressor 2^(window bits the client uses) (4 KiB when the client lets
// the server limit it to 12, as browsers do; 32 KiB otherwise), each plus
// about 7 KiB of zlib's own state. Context takeover (the window kept from
// message to message, the better ratio) is on unless either side asks for
// *_no_context_takeover; then each message is compressed alone.
// Thread safety: the negotiator is stateless and may be shared by every
// loop; each socket's compression is its own.
#pragma once

#include <bareasio/http/header_list.hpp>
#include <bareasio/websocket/message_compression.hpp>

#include <zlib.h>

#include <charconv>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bareasio {

struct deflate_options {
    int server_max_window_bits = 12;         // the server's window: 9-15 (zlib cannot do 8)
    int client_max_window_bits = 12;         // asked of clients that allow it: 9-15
    int mem_level = 5;                       // zlib's 1-9: memory for speed
    int level = 6;                           // zlib's 1 (fast) - 9 (small)
    bool server_no_context_takeover = false; // each message compressed alone
    bool client_no_context_takeover = false; // asked of the client
    std::size_t min_size = 32;               // smaller messages go uncompressed
};

namespace detail {

// One offer of permessage-deflate, as RFC 7692 §7.1 defines its parameters.
struct deflate_offer {
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    int server_max_window_bits = 0; // 0: not offered
    int client_max_window_bits = 0; // 0: not offered; -1: offered without a value
};

// Parses "name[; param[=value]]..." for permessage-deflate; nullopt for
// another extension or any invalid, unknown or repeated parameter.
inline std::optional<deflate_offer> parse_deflate_offer(std::string_view offer) {
    std::vector<std::string_view> parts;
    while (true) {
        const auto semicolon = offer.find(';');
        parts.push_back(trim_ows(offer.substr(0, semicolon)));
        if (semicolon == std::string_view::npos) break;
        offer.remove_prefix(semicolon + 1);
    }
    if (!iequals(parts[0], "permessage-deflate")) return std::nullopt;
    deflate_offer got;
    bool seen[4] = {};
    for (std::size_t i = 1; i < parts.size(); ++i) {
        std::string_view name = parts[i], value;
        if (const auto eq = name.find('='); eq != std::string_view::npos) {
            value = trim_ows(name.substr(eq + 1));
            name = trim_ows(name.substr(0, eq));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
        }
        const auto bits = [&value]() {
            int n = 0;
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            return ec == std::errc() && end == value.data() + value.size() && n >= 8 && n <= 15 ? n
                                                                                                : 0;
        };
        int which;
        if (iequals(name, "server_no_context_takeover") && value.empty()) {
            which = 0;
            got.server_no_context_takeover = true;
        } else if (iequals(name, "client_no_context_takeover") && value.empty()) {
            which = 1;
            got.client_no_context_takeover = true;
        } else if (iequals(name, "server_max_window_bits") &&
                   (got.server_max_window_bits = bits())) {
            which = 2;
        } else if (iequals(name, "client_max_window_bits")) {
            which = 3;
            got.client_max_window_bits = value.empty() ? -1 : bits();
            if (got.client_max_window_bits == 0) return std::nullopt;
        } else {
            return std::nullopt;
        }
        if (seen[which]) return std::nullopt;
        seen[which] = true;
    }
    return got;
}

class deflate_compression final : public message_compression {
public:
    deflate_compression(const deflate_options& options, int deflate_bits, int inflate_bits,
                        bool reset_deflate, bool reset_inflate)
        : options_(options), deflate_bits_(deflate_bits), inflate_bits_(inflate_bits),
          reset_deflate_(reset_deflate), reset_inflate_(reset_inflate) {}
    ~deflate_compression() override {
        if (deflating_) deflateEnd(&deflate_);
        if (inflating_) inflateEnd(&inflate_);
    }
    deflate_compression(const deflate_compression&) = delete;
    deflate_compression& operator=(const deflate_compression&) = delete;

    result decompress(std::string_view piece, bool end, std::string& out,
                      std::size_t most) override {
        if (!inflating_) start_inflate();
        if (ended_ && !piece.empty()) return result::corrupt; // data after a final block
        result r = ended_ ? result::ok : inflate_piece(piece, out, most);
        if (r == result::ok && end) {
            static constexpr char tail[] = {0, 0, '\xff', '\xff'}; // RFC 7692 §7.2.2
            if (!ended_) r = inflate_piece(std::string_view(tail, 4), out, most);
            // A final block ends zlib's stream: the next message starts a new one.
            if (reset_inflate_ || ended_) inflateReset(&inflate_);
            ended_ = false;
        }
        return r;
    }

    bool worth_compressing(std::size_t size) const noexcept override {
        return size >= options_.min_size;
    }

    void compress(std::string_view message, std::string& out) override {
        if (!deflating_) start_deflate();
        const std::size_t start = out.size();
        deflate_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(message.data()));
        deflate_.avail_in = static_cast<uInt>(message.size());
        do {
            const std::size_t at = out.size();
            const std::size_t room = deflateBound(&deflate_, deflate_.avail_in) + 16;
            out.resize(at + room);
            deflate_.next_out = reinterpret_cast<Bytef*>(out.data() + at);
            deflate_.avail_out = static_cast<uInt>(room);
            ::deflate(&deflate_, Z_SYNC_FLUSH);
            out.resize(at + room - deflate_.avail_out);
        } while (deflate_.avail_out == 0 || deflate_.avail_in != 0);
        // A sync flush ends with 00 00 FF FF, which the receiver adds back.
        if (out.size() - start >= 4) out.resize(out.size() - 4);
        if (reset_deflate_) deflateReset(&deflate_);
    }

private:
    void start_deflate() {
        if (deflateInit2(&deflate_, options_.level, Z_DEFLATED, -deflate_bits_, options_.mem_level,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            throw std::bad_alloc();
        deflating_ = true;
    }
    void start_inflate() {
        if (inflateInit2(&inflate_, -inflate_bits_) != Z_OK) throw std::bad_alloc();
        inflating_ = true;
    }

    result inflate_piece(std::string_view piece, std::string& out, std::size_t most) {
        inflate_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
        inflate_.avail_in = static_cast<uInt>(piece.size());
        while (inflate_.avail_in != 0) {
            const std::size_t at = out.size();
            // At the limit, input may still hold block ends that make no
            // output: inflate into one spare byte, which must stay empty.
            char spare;
            const std::size_t room = std::min<std::size_t>(most - at, 16384);
            if (room != 0) out.resize(at + room);
            inflate_.next_out = reinterpret_cast<Bytef*>(room != 0 ? out.data() + at : &spare);
            inflate_.avail_out = static_cast<uInt>(room != 0 ? room : 1);
            const int rc = ::inflate(&inflate_, Z_SYNC_FLUSH);
            if (room == 0 && inflate_.avail_out == 0) return result::too_big;
            if (room != 0) out.resize(at + room - inflate_.avail_out);
            if (rc == Z_STREAM_END) {
                ended_ = true;
                return inflate_.avail_in == 0 ? result::ok : result::corrupt;
            }
            if (rc != Z_OK && rc != Z_BUF_ERROR) return result::corrupt;
            if (rc == Z_BUF_ERROR && inflate_.avail_out != 0) return result::corrupt;
        }
        return result::ok;
    }

    deflate_options options_;
    int deflate_bits_;
    int inflate_bits_;
    bool reset_deflate_;
    bool reset_inflate_;
    z_stream deflate_{};
    z_stream inflate_{};
    bool deflating_ = false;
    bool inflating_ = false;
    bool ended_ = false; // the message's data ended with a final block
};

// The first acceptable offer among the client's, and the response to it.
inline std::unique_ptr<message_compression> negotiate_deflate(const deflate_options& options,
                                                              const header_list& headers,
                                                              std::string& accepted) {
    for (const auto& field : headers) {
        if (!iequals(field.name, "sec-websocket-extensions")) continue;
        std::string_view list = field.value;
        while (!list.empty()) {
            const auto offer = parse_deflate_offer(next_list_item(list));
            if (!offer || offer->server_max_window_bits == 8) continue; // zlib cannot do 8
            int server_bits = options.server_max_window_bits;
            accepted = "permessage-deflate";
            if (offer->server_max_window_bits != 0) {
                server_bits = std::min(server_bits, offer->server_max_window_bits);
                accepted += "; server_max_window_bits=" + std::to_string(server_bits);
            }
            int client_bits = 15;
            if (offer->client_max_window_bits != 0) {
                client_bits =
                    offer->client_max_window_bits > 0 ? offer->client_max_window_bits : 15;
                client_bits = std::min(client_bits, options.client_max_window_bits);
                accepted += "; client_max_window_bits=" + std::to_string(client_bits);
            }
            const bool server_reset =
                offer->server_no_context_takeover || options.server_no_context_takeover;
            const bool client_reset =
                offer->client_no_context_takeover || options.client_no_context_takeover;
            if (server_reset) accepted += "; server_no_context_takeover";
            if (client_reset) accepted += "; client_no_context_takeover";
            return std::make_unique<deflate_compression>(
                options, server_bits, std::max(client_bits, 9), server_reset, client_reset);
        }
    }
    return nullptr;
}

} // namespace detail

// The negotiator for websocket_options::compression.
inline compression_negotiator permessage_deflate(deflate_options options = {}) {
    const auto bits_ok = [](int bits) { return bits >= 9 && bits <= 15; };
    if (!bits_ok(options.server_max_window_bits) || !bits_ok(options.client_max_window_bits) ||
        options.mem_level < 1 || options.mem_level > 9 || options.level < 0 || options.level > 9)
        throw std::invalid_argument("permessage_deflate: window bits must be 9-15, mem_level 1-9 "
                                    "and level 0-9");
    return [options](const header_list& headers, std::string& accepted) {
        return detail::negotiate_deflate(options, headers, accepted);
    };
}

} // namespace bareasio
