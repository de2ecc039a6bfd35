// Percent-decoding and query-string parsing for request targets.
// `decode_query("a=1&b=x%20y")` yields [(a, 1), (b, x y)]; `+` is a space in
// queries but not in paths. Malformed escapes are reported, never guessed.
// Thread safety: pure functions and plain values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bareasio {

namespace detail {
inline int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
} // namespace detail

// Appends the decoded form of `in` to `out`; false on a malformed escape.
inline bool percent_decode(std::string_view in, std::string& out, bool plus_is_space) {
    if (in.find('%') == std::string_view::npos &&
        (!plus_is_space || in.find('+') == std::string_view::npos)) {
        out.append(in); // the usual target: nothing to decode
        return true;
    }
    out.reserve(out.size() + in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) return false;
            int hi = detail::hex_value(in[i + 1]);
            int lo = detail::hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) return false;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return true;
}

inline std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space = false) {
    std::string out;
    if (!percent_decode(in, out, plus_is_space)) return std::nullopt;
    return out;
}

// Decoded query parameters, in order, repeated names kept.
class query_params {
public:
    // Parses `a=1&b=2`; false (and a partial list) on a malformed escape.
    bool parse(std::string_view query) {
        params_.clear();
        while (!query.empty()) {
            auto amp = query.find('&');
            auto pair = query.substr(0, amp);
            if (!pair.empty()) {
                auto eq = pair.find('=');
                std::string name, value;
                if (!percent_decode(pair.substr(0, eq), name, true)) return false;
                if (eq != std::string_view::npos &&
                    !percent_decode(pair.substr(eq + 1), value, true))
                    return false;
                params_.emplace_back(std::move(name), std::move(value));
            }
            if (amp == std::string_view::npos) break;
            query.remove_prefix(amp + 1);
        }
        return true;
    }

    std::optional<std::string_view> get(std::string_view name) const noexcept {
        for (const auto& [n, v] : params_)
            if (n == name) return std::string_view(v);
        return std::nullopt;
    }

    std::vector<std::string_view> get_all(std::string_view name) const {
        std::vector<std::string_view> values;
        for (const auto& [n, v] : params_)
            if (n == name) values.emplace_back(v);
        return values;
    }

    auto begin() const noexcept { return params_.begin(); }
    auto end() const noexcept { return params_.end(); }
    std::size_t size() const noexcept { return params_.size(); }
    bool empty() const noexcept { return params_.empty(); }
    void clear() noexcept { params_.clear(); }

private:
    std::vector<std::pair<std::string, std::string>> params_;
};

} // namespace bareasio
