// pg::detail::make_params: a query's arguments as PostgreSQL's text
// parameters ($1, $2, ...), always bound, never spliced into the SQL:
// integers and floating point as digits, bool as t or f, anything a
// std::string_view is made from as it is, std::optional and nullptr as NULL.
// PostgreSQL infers each parameter's type from the statement.
// Thread safety: pure functions.
#pragma once

#include <charconv>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace bareasio::pg::detail {

using params = std::vector<std::optional<std::string>>;

template <class T>
std::optional<std::string> to_param(const T& value) {
    if constexpr (std::is_same_v<T, std::nullptr_t>) {
        return std::nullopt;
    } else if constexpr (std::is_same_v<T, bool>) {
        return std::string(value ? "t" : "f");
    } else if constexpr (std::is_integral_v<T> || std::is_floating_point_v<T>) {
        char digits[64];
        const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
        return std::string(digits, end);
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
        return std::string(std::string_view(value));
    } else if constexpr (requires {
                             value.has_value();
                             *value;
                         }) {
        if (!value.has_value()) return std::nullopt;
        return to_param(*value);
    } else {
        static_assert(std::is_same_v<T, void>,
                      "pg: a parameter is an integer, a floating-point number, bool, text "
                      "(anything a std::string_view is made from), std::optional or nullptr");
    }
}

template <class... Args>
params make_params(const Args&... args) {
    params out;
    out.reserve(sizeof...(Args));
    (out.push_back(to_param(args)), ...);
    return out;
}

} // namespace bareasio::pg::detail
