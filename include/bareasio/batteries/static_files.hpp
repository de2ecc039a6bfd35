// static_files: a handler that serves the files under a directory.
//     auto files = static_files("./public", {.cache_control = "public, max-age=3600"});
//     app.http_router.add({"GET"}, "/static/{path:path}", files);
//     app.http_router.add({"GET"}, "/static/", files);   // the index file
// It serves the route's {path:path} parameter (named by options.param)
// relative to the root; a route without that parameter serves the root's
// index file. GET and HEAD (the router answers HEAD through GET).
//   - Content-Type from the extension; ETag and Last-Modified, answered with
//     304 by If-None-Match / If-Modified-Since.
//   - One byte range (Range: bytes=a-b, a-, -n) gives 206 with
//     Content-Range, honouring If-Range; a range past the end gives 416;
//     several ranges are answered with the whole file (200), as RFC 9110
//     allows.
//   - Files are streamed in 64 KiB pieces with back-pressure, never loaded
//     whole; a directory redirects to its slash-terminated path (301) and
//     serves its index file; there are no directory listings.
//   - No escape from the root: ".." segments (after percent-decoding, so
//     %2e%2e too) and NUL bytes give 404; the resolved path, symlinks
//     followed, must lie inside the root's own resolved path, so a symlink
//     pointing out of the root gives 404. Dotfiles (.env, .git) are not
//     served unless options.serve_hidden.
// Reads are blocking pread() calls on the event loop, which for files in the
// page cache cost less than handing them to a thread.
// Thread safety: the handler is immutable; use it from any loop.
#pragma once

#include <bareasio/http/date_cache.hpp>
#include <bareasio/http/handler.hpp>
#include <bareasio/http/header_list.hpp>

#include <asio/awaitable.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bareasio {

struct static_options {
    std::vector<std::string> index_files{"index.html"};
    std::string cache_control{}; // sent as Cache-Control when not empty
    std::string param = "path";  // the route parameter holding the file's path
    bool serve_hidden = false;   // serve names starting with '.'
};

// The Content-Type for a file name, by its extension (application/octet-stream
// when unknown).
inline std::string_view content_type_for(std::string_view name) noexcept {
    struct entry {
        std::string_view ext, type;
    };
    static constexpr entry types[] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"json", "application/json"},
        {"map", "application/json"},
        {"txt", "text/plain; charset=utf-8"},
        {"md", "text/markdown; charset=utf-8"},
        {"csv", "text/csv; charset=utf-8"},
        {"xml", "application/xml"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"webp", "image/webp"},
        {"avif", "image/avif"},
        {"ico", "image/vnd.microsoft.icon"},
        {"wasm", "application/wasm"},
        {"pdf", "application/pdf"},
        {"woff", "font/woff"},
        {"woff2", "font/woff2"},
        {"ttf", "font/ttf"},
        {"otf", "font/otf"},
        {"mp4", "video/mp4"},
        {"webm", "video/webm"},
        {"mp3", "audio/mpeg"},
        {"ogg", "audio/ogg"},
        {"wav", "audio/wav"},
        {"zip", "application/zip"},
        {"gz", "application/gzip"},
        {"tar", "application/x-tar"},
        {"webmanifest", "application/manifest+json"},
    };
    const auto slash = name.rfind('/');
    const auto base = slash == std::string_view::npos ? name : name.substr(slash + 1);
    const auto dot = base.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return "application/octet-stream";
    const auto ext = base.substr(dot + 1);
    for (const auto& e : types)
        if (iequals(e.ext, ext)) return e.type;
    return "application/octet-stream";
}

namespace detail {

// An open file descriptor, closed with its last owner.
class file_descriptor {
public:
    explicit file_descriptor(int fd) noexcept : fd_(fd) {}
    ~file_descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    file_descriptor(const file_descriptor&) = delete;
    file_descriptor& operator=(const file_descriptor&) = delete;
    int get() const noexcept { return fd_; }

private:
    int fd_;
};

// Writes [offset, offset + length) of the file to `out`. Parameters by
// value: the coroutine owns everything it uses.
inline asio::awaitable<void> send_file_range(std::shared_ptr<file_descriptor> file,
                                             std::uint64_t offset, std::uint64_t length,
                                             body_sink& out) {
    std::string piece(static_cast<std::size_t>(std::min<std::uint64_t>(length, 64 * 1024)), '\0');
    std::uint64_t done = 0;
    while (done < length) {
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(piece.size(), length - done));
        const ssize_t n =
            ::pread(file->get(), piece.data(), want, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) // an error, or the file shrank while being sent
            throw std::system_error(n < 0 ? errno : EIO, std::generic_category(),
                                    "reading a static file");
        co_await out.write(std::string_view(piece.data(), static_cast<std::size_t>(n)));
        done += static_cast<std::uint64_t>(n);
    }
}

// One byte range of a file of `size` bytes, as [first, last].
struct byte_range {
    std::uint64_t first = 0, last = 0;
};
enum class range_result { ignore, satisfiable, unsatisfiable };

// Reads "bytes=a-b" / "bytes=a-" / "bytes=-n". A malformed header, another
// unit or several ranges: ignore (the whole file is sent).
inline range_result parse_range(std::string_view header, std::uint64_t size, byte_range& out) {
    if (!header.starts_with("bytes=")) return range_result::ignore;
    header.remove_prefix(6);
    if (header.find(',') != std::string_view::npos) return range_result::ignore;
    const auto dash = header.find('-');
    if (dash == std::string_view::npos) return range_result::ignore;
    auto number = [](std::string_view digits) -> std::optional<std::uint64_t> {
        if (digits.empty() || digits.size() > 19) return std::nullopt;
        std::uint64_t v = 0;
        for (const char c : digits) {
            if (c < '0' || c > '9') return std::nullopt;
            v = v * 10 + static_cast<std::uint64_t>(c - '0');
        }
        return v;
    };
    const auto first_text = header.substr(0, dash), last_text = header.substr(dash + 1);
    if (first_text.empty()) { // a suffix: the last n bytes
        const auto n = number(last_text);
        if (!n) return range_result::ignore;
        if (*n == 0 || size == 0) return range_result::unsatisfiable;
        out = {size - std::min(*n, size), size - 1};
        return range_result::satisfiable;
    }
    const auto first = number(first_text);
    if (!first) return range_result::ignore;
    std::uint64_t last = size == 0 ? 0 : size - 1;
    if (!last_text.empty()) {
        const auto l = number(last_text);
        if (!l || *l < *first) return range_result::ignore;
        last = std::min(*l, last);
    }
    if (*first >= size) return range_result::unsatisfiable;
    out = {*first, last};
    return range_result::satisfiable;
}

// If-None-Match's weak comparison: does the list name `etag` (or "*")?
inline bool etag_listed(std::string_view list, std::string_view etag) noexcept {
    auto opaque = [](std::string_view tag) {
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        return tag;
    };
    while (!list.empty()) {
        const auto comma = list.find(',');
        auto item = list.substr(0, comma);
        item = trim_ows(item);
        if (item == "*" || (!item.empty() && opaque(item) == opaque(etag))) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

class static_directory {
public:
    static_directory(const std::filesystem::path& root, static_options options)
        : options_(std::move(options)) {
        std::error_code ec;
        root_ = std::filesystem::canonical(root, ec);
        if (ec || !std::filesystem::is_directory(root_))
            throw std::invalid_argument("static_files: '" + root.string() + "' is not a directory");
    }

    asio::awaitable<response> operator()(request& req) const { co_return serve(req); }

private:
    response serve(const request& req) const {
        std::string relative;
        if (const auto* v = req.matches().find(options_.param))
            if (const auto* s = std::get_if<std::string>(v)) relative = *s;
        std::filesystem::path wanted = root_;
        std::string_view rest = relative;
        while (!rest.empty()) {
            const auto slash = rest.find('/');
            const auto segment = rest.substr(0, slash);
            rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
            if (segment.empty() || segment == ".") continue;
            if (segment == ".." || segment.find('\0') != std::string_view::npos) return 404;
            if (segment.front() == '.' && !options_.serve_hidden) return 404;
            wanted /= segment;
        }
        auto found = resolve(wanted);
        if (!found) return 404;
        if (std::filesystem::is_directory(*found)) {
            const std::string_view path = req.path();
            if (!path.ends_with('/')) { // relative links in the index need the slash
                // The target's path as sent (still percent-encoded), without
                // an absolute-form authority and with one leading slash, so
                // the Location cannot point at another host.
                std::string_view sent = req.target().substr(0, req.target().find('?'));
                if (!sent.starts_with('/')) {
                    const auto scheme = sent.find("://");
                    const auto slash = scheme == std::string_view::npos
                                           ? std::string_view::npos
                                           : sent.find('/', scheme + 3);
                    sent = slash == std::string_view::npos ? std::string_view("/")
                                                           : sent.substr(slash);
                }
                while (sent.starts_with("//"))
                    sent.remove_prefix(1);
                std::string target(sent);
                target.push_back('/');
                if (!req.raw_query().empty()) target.append("?").append(req.raw_query());
                return response{301, {{"location", target}}};
            }
            std::optional<std::filesystem::path> index;
            for (const auto& name : options_.index_files) {
                index = resolve(*found / name);
                if (index && !std::filesystem::is_directory(*index)) break;
                index.reset();
            }
            if (!index) return 404;
            found = std::move(index);
        }
        return send(req, *found);
    }

    // The canonical form of `p` if it exists and lies inside the root.
    std::optional<std::filesystem::path> resolve(const std::filesystem::path& p) const {
        std::error_code ec;
        auto real = std::filesystem::canonical(p, ec);
        if (ec) return std::nullopt;
        const auto [root_end, _] =
            std::mismatch(root_.begin(), root_.end(), real.begin(), real.end());
        if (root_end != root_.end()) return std::nullopt; // a symlink out of the root
        return real;
    }

    response send(const request& req, const std::filesystem::path& file) const {
        // O_NONBLOCK: a FIFO under the root must not block the loop (it is
        // refused below); O_NOFOLLOW: the resolved name must not have become a symlink.
        const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
        if (fd < 0) return errno == EACCES ? 403 : 404;
        auto handle = std::make_shared<file_descriptor>(fd);
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return 404;
        const auto size = static_cast<std::uint64_t>(st.st_size);

        header_list headers;
        headers.add("content-type", content_type_for(file.native()));
        char etag[64];
        const auto mtime_ns =
            static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1'000'000'000ULL +
            static_cast<unsigned long long>(st.st_mtim.tv_nsec);
        std::snprintf(etag, sizeof etag, "\"%llx-%llx\"", mtime_ns,
                      static_cast<unsigned long long>(size));
        const std::string last_modified = http_date(st.st_mtim.tv_sec);
        headers.add("etag", etag);
        headers.add("last-modified", last_modified);
        if (!options_.cache_control.empty()) headers.add("cache-control", options_.cache_control);

        // Conditional GET: If-None-Match wins over If-Modified-Since.
        const header_list& asked = req.headers();
        if (const auto inm = asked.get("if-none-match")) {
            if (etag_listed(*inm, etag)) return response{304, std::move(headers)};
        } else if (const auto ims = asked.get("if-modified-since")) {
            if (const auto since = parse_http_date(*ims); since && st.st_mtim.tv_sec <= *since)
                return response{304, std::move(headers)};
        }

        headers.add("accept-ranges", "bytes");
        byte_range range{0, size == 0 ? 0 : size - 1};
        int status = 200;
        const auto range_header = asked.get("range");
        if (range_header && req.method() == "GET" && range_applies(asked, etag, last_modified)) {
            switch (parse_range(*range_header, size, range)) {
            case range_result::unsatisfiable:
                headers.add("content-range", "bytes */" + std::to_string(size));
                return response{416, std::move(headers)};
            case range_result::satisfiable:
                status = 206;
                headers.add("content-range", "bytes " + std::to_string(range.first) + "-" +
                                                 std::to_string(range.last) + "/" +
                                                 std::to_string(size));
                break;
            case range_result::ignore:
                break;
            }
        }
        const std::uint64_t length = size == 0 ? 0 : range.last - range.first + 1;
        const std::uint64_t offset = range.first;
        return response{status, std::move(headers),
                        body_writer::from_stream(
                            [handle, offset, length](body_sink& out) {
                                return send_file_range(handle, offset, length, out);
                            },
                            "", length)};
    }

    // If-Range: the range applies only to the representation the client has.
    static bool range_applies(const header_list& asked, std::string_view etag,
                              std::string_view last_modified) {
        const auto if_range = asked.get("if-range");
        if (!if_range) return true;
        if (if_range->starts_with("\"")) return *if_range == etag; // strong comparison
        return *if_range == last_modified;
    }

    std::filesystem::path root_;
    static_options options_;
};

} // namespace detail

// The handler serving `root` (which must be an existing directory; throws
// std::invalid_argument otherwise, when the handler is made).
inline http_handler static_files(const std::filesystem::path& root, static_options options = {}) {
    auto directory = std::make_shared<const detail::static_directory>(root, std::move(options));
    return [directory](request& req) { return (*directory)(req); };
}

} // namespace bareasio
