// compression: gzip or deflate response bodies for clients that accept
// them, as a middleware (zlib; link it: meson's dependency('zlib'), -lz).
//     app.middlewares.push_back(compression());
//     app.middlewares.push_back(compression({.minimum_size = 1024, .level = 4}));
// The encoding comes from Accept-Encoding (q-values honoured; gzip before
// deflate when both are equally welcome; "identity" or q=0 refuses).
// Compressed: bodies whose media type is on the allow-list (text/*, JSON,
// JavaScript, XML, SVG, WebAssembly by default) and whose size is at least
// minimum_size, or of unknown size. Left alone: responses that already have
// a Content-Encoding, partial content (206), Cache-Control: no-transform,
// bodiless statuses. Compressible responses say `Vary: Accept-Encoding`
// whether compressed or not, so caches keep the two apart; a strong ETag
// becomes weak once the bytes change.
// Streaming bodies are compressed on the fly: each write the handler makes
// is flushed (Z_SYNC_FLUSH), so a server-sent event reaches the client when
// it is written, not when zlib's window fills.
// Thread safety: the middleware is immutable once built; each response gets
// its own zlib stream.
#pragma once

#include <bareasio/app/middleware.hpp>

#include <zlib.h>

#include <algorithm>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

namespace bareasio {

struct compression_options {
    std::size_t minimum_size = 512; // bytes; smaller known-size bodies go as they are
    int level = 6;                  // zlib's 1 (fast) .. 9 (small)
    // Media types to compress: "type/" matches a whole family, anything
    // else the exact media type (parameters such as charset are ignored).
    std::vector<std::string> content_types{
        "text/",           "application/json", "application/javascript",
        "application/xml", "application/wasm", "application/manifest+json",
        "image/svg+xml"};
};

enum class content_coding { identity, gzip, deflate };

// The coding to use for an Accept-Encoding value.
inline content_coding choose_coding(std::string_view accept) noexcept {
    double gzip = -1, deflate = -1, star = -1; // -1: not mentioned
    while (!accept.empty()) {
        const auto comma = accept.find(',');
        std::string_view item = accept.substr(0, comma);
        accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
        double q = 1;
        if (const auto semi = item.find(';'); semi != std::string_view::npos) {
            auto param = item.substr(semi + 1);
            item = item.substr(0, semi);
            while (!param.empty() && param.front() == ' ')
                param.remove_prefix(1);
            if (param.starts_with("q=") || param.starts_with("Q=")) {
                q = 0;
                // q = 0(.ddd) or 1(.000): enough to tell refusal from preference.
                double scale = 1;
                bool fraction = false;
                for (const char c : param.substr(2)) {
                    if (c == '.') {
                        fraction = true;
                    } else if (c >= '0' && c <= '9') {
                        if (fraction) {
                            scale /= 10;
                            q += (c - '0') * scale;
                        } else {
                            q = q * 10 + (c - '0');
                        }
                    } else {
                        break;
                    }
                }
            }
        }
        item = trim_ows(item);
        if (iequals(item, "gzip") || iequals(item, "x-gzip"))
            gzip = q;
        else if (iequals(item, "deflate"))
            deflate = q;
        else if (item == "*")
            star = q;
    }
    if (gzip < 0) gzip = star;
    if (deflate < 0) deflate = star;
    if (gzip <= 0 && deflate <= 0) return content_coding::identity;
    return gzip >= deflate ? content_coding::gzip : content_coding::deflate;
}

namespace detail {

// One zlib deflate stream: gzip framing or zlib framing ("deflate" in HTTP).
class deflater {
public:
    deflater(content_coding coding, int level) {
        // windowBits 15 (+16 for a gzip header and trailer), memLevel 8: zlib's defaults.
        if (deflateInit2(&z_, level, Z_DEFLATED, coding == content_coding::gzip ? 15 + 16 : 15, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            throw std::bad_alloc();
    }
    ~deflater() { deflateEnd(&z_); }
    deflater(const deflater&) = delete;
    deflater& operator=(const deflater&) = delete;

    // Compresses `in`, appending to `out`; `flush` is Z_NO_FLUSH,
    // Z_SYNC_FLUSH or Z_FINISH.
    void run(std::string_view in, int flush, std::string& out) {
        z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        z_.avail_in = static_cast<uInt>(in.size());
        for (;;) {
            const std::size_t before = out.size();
            const std::size_t room =
                std::max<std::size_t>(deflateBound(&z_, z_.avail_in) + 64, 4096);
            out.resize(before + room);
            z_.next_out = reinterpret_cast<Bytef*>(out.data() + before);
            z_.avail_out = static_cast<uInt>(room);
            const int rc = deflate(&z_, flush);
            out.resize(before + room - z_.avail_out);
            if (rc == Z_STREAM_END) return;
            if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::runtime_error("zlib deflate failed");
            if (z_.avail_in == 0 && z_.avail_out != 0) return; // all consumed and flushed
        }
    }

private:
    z_stream z_{};
};

// A sink that compresses what the handler writes and passes it on.
class compressing_sink final : public body_sink {
public:
    compressing_sink(content_coding coding, int level, body_sink& out)
        : zlib_(coding, level), out_(out) {}

    asio::awaitable<void> write(std::string_view chunk) override {
        if (chunk.empty()) co_return;
        buffer_.clear();
        zlib_.run(chunk, Z_SYNC_FLUSH, buffer_);
        co_await out_.write(buffer_);
    }
    asio::awaitable<void> finish() {
        buffer_.clear();
        zlib_.run({}, Z_FINISH, buffer_);
        co_await out_.write(buffer_);
    }

private:
    deflater zlib_;
    body_sink& out_;
    std::string buffer_;
};

inline asio::awaitable<void> compress_stream(body_producer inner, content_coding coding, int level,
                                             body_sink& out) {
    compressing_sink sink(coding, level, out);
    co_await inner(sink);
    co_await sink.finish();
}

class compressor {
public:
    explicit compressor(compression_options o) : options_(std::move(o)) {}

    asio::awaitable<response> operator()(request& req, const http_handler& next) const {
        const content_coding coding = choose_coding(req.headers().get_or("accept-encoding", ""));
        response res = co_await next(req);
        if (res.status == 304) {
            // A revalidation of what would be compressed: the same Vary and
            // the same weakened ETag as the 200, so caches can match them.
            if (coding != content_coding::identity && !res.headers.contains("content-encoding") &&
                compressible_type(res)) {
                add_vary(res.headers, "Accept-Encoding");
                weaken_etag(res);
            }
            co_return res;
        }
        if (!eligible(res)) co_return res;
        add_vary(res.headers, "Accept-Encoding");
        const auto length = res.body.length();
        if (coding == content_coding::identity || (length && *length < options_.minimum_size))
            co_return res;
        if (res.body.type() == body_writer::kind::buffer) {
            std::string packed;
            deflater zlib(coding, options_.level);
            zlib.run(res.body.data(), Z_FINISH, packed);
            if (packed.size() >= res.body.data().size()) co_return res; // no gain
            res.body = body_writer::from_buffer(std::move(packed), res.body.content_type());
        } else {
            res.body = body_writer::from_stream(
                [inner = res.body.producer(), coding, level = options_.level](body_sink& out) {
                    return compress_stream(inner, coding, level, out);
                },
                res.body.content_type());
        }
        res.headers.set("content-encoding", coding == content_coding::gzip ? "gzip" : "deflate");
        res.headers.erase("accept-ranges"); // ranges of compressed bytes are not offered
        weaken_etag(res);
        co_return res;
    }

private:
    bool eligible(const response& res) const {
        if (res.status < 200 || res.status == 204 || res.status == 206 || res.status == 304)
            return false;
        if (res.body.type() == body_writer::kind::none) return false;
        if (res.headers.contains("content-encoding") || res.headers.contains("content-range"))
            return false;
        if (auto cc = res.headers.get("cache-control"); cc && contains_token(*cc, "no-transform"))
            return false;
        return compressible_type(res);
    }

    static void weaken_etag(response& res) {
        if (auto etag = res.headers.get("etag"); etag && !etag->starts_with("W/"))
            res.headers.set("etag", "W/" + std::string(*etag));
    }

    bool compressible_type(const response& res) const {
        std::string_view type = res.headers.get_or("content-type", res.body.content_type());
        type = type.substr(0, type.find(';'));
        while (!type.empty() && type.back() == ' ')
            type.remove_suffix(1);
        return std::any_of(options_.content_types.begin(), options_.content_types.end(),
                           [&](const std::string& allowed) {
                               if (allowed.ends_with('/'))
                                   return type.size() > allowed.size() &&
                                          iequals(type.substr(0, allowed.size()), allowed);
                               return iequals(type, allowed);
                           });
    }

    compression_options options_;
};

} // namespace detail

// The compression middleware.
inline middleware compression(compression_options options = {}) {
    auto impl = std::make_shared<const detail::compressor>(std::move(options));
    return [impl](request& req, const http_handler& next) { return (*impl)(req, next); };
}

} // namespace bareasio
