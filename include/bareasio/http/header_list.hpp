// header_list: an ordered list of HTTP header fields, as bareASGI's list of
// (name, value) pairs. Lookup is case-insensitive and repeated fields are
// kept in order. clear() keeps the strings' capacity, so a connection that
// reuses one list across requests stops allocating once warmed up.
// Thread safety: a plain value; no internal synchronisation.
#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bareasio {

inline constexpr char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

// `s` without leading and trailing spaces and tabs (HTTP's optional whitespace).
inline constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// The next item of the comma-separated list `list`, trimmed; `list` keeps
// what follows it.
inline std::string_view next_list_item(std::string_view& list) noexcept {
    const auto comma = list.find(',');
    const auto item = trim_ows(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    return item;
}

// True when the comma-separated list `list` holds `token` (case-insensitive),
// as in `Connection: keep-alive, Upgrade`.
inline bool contains_token(std::string_view list, std::string_view token) noexcept {
    while (!list.empty())
        if (iequals(next_list_item(list), token)) return true;
    return false;
}

class header_list {
public:
    struct field {
        std::string name;
        std::string value;
    };
    using const_iterator = std::vector<field>::const_iterator;

    header_list() = default;
    header_list(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
        fields_.reserve(fields.size()); // one allocation, not one per doubling
        for (auto& [name, value] : fields)
            add(name, value);
    }

    void add(std::string_view name, std::string_view value) {
        field& f = next_slot();
        f.name.assign(name);
        f.value.assign(value);
    }

    // Replaces every field called `name` with one field.
    void set(std::string_view name, std::string_view value) {
        erase(name);
        add(name, value);
    }

    std::size_t erase(std::string_view name) {
        auto last = fields_.begin() + static_cast<std::ptrdiff_t>(size_);
        auto kept = std::stable_partition(fields_.begin(), last,
                                          [&](const field& f) { return !iequals(f.name, name); });
        auto removed = static_cast<std::size_t>(last - kept);
        size_ -= removed;
        return removed;
    }

    // The first value of `name`, if present.
    std::optional<std::string_view> get(std::string_view name) const noexcept {
        for (const auto& f : *this)
            if (iequals(f.name, name)) return std::string_view(f.value);
        return std::nullopt;
    }

    std::string_view get_or(std::string_view name, std::string_view fallback) const noexcept {
        auto v = get(name);
        return v ? *v : fallback;
    }

    bool contains(std::string_view name) const noexcept { return get(name).has_value(); }

    // Every value of `name`, in order.
    std::vector<std::string_view> get_all(std::string_view name) const {
        std::vector<std::string_view> values;
        for (const auto& f : *this)
            if (iequals(f.name, name)) values.emplace_back(f.value);
        return values;
    }

    const_iterator begin() const noexcept { return fields_.begin(); }
    const_iterator end() const noexcept {
        return fields_.begin() + static_cast<std::ptrdiff_t>(size_);
    }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    void clear() noexcept { size_ = 0; }

    // For parsers that build a field from pieces: a fresh empty field.
    field& append_empty() {
        field& f = next_slot();
        f.name.clear();
        f.value.clear();
        return f;
    }
    field& back() noexcept { return fields_[size_ - 1]; }

private:
    field& next_slot() {
        if (size_ == fields_.size()) fields_.emplace_back();
        return fields_[size_++];
    }

    std::vector<field> fields_; // [0, size_) are live; the rest keep capacity
    std::size_t size_ = 0;
};

// Adds `token` (e.g. "Origin") to the Vary header unless a Vary field
// already lists it or "*". Looks at every Vary field: a response may carry
// several, and dropping one would let a shared cache mix up responses.
inline void add_vary(header_list& headers, std::string_view token) {
    for (const auto& f : headers)
        if (iequals(f.name, "vary") &&
            (contains_token(f.value, token) || contains_token(f.value, "*")))
            return;
    headers.add("vary", token);
}

} // namespace bareasio
