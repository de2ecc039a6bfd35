// route_matches: the values a router captured from the path, by name, already
// converted: `/users/{id:int}` gives matches.get<int>("id"). A missing name or
// a wrong type throws std::out_of_range / std::invalid_argument naming the
// parameter (a programming error: a 500). A number that does not fit the
// type asked for (`/users/4294967297` as an int) is a path that names
// nothing: http_error 404, as when it is not a number at all.
// Thread safety: a plain value.
#pragma once

#include <bareasio/http/http_error.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace bareasio {

class route_matches {
public:
    using value = std::variant<std::string, std::int64_t, double>;

    void add(std::string_view name, value v) {
        values_.emplace_back(std::string(name), std::move(v));
    }
    void clear() noexcept { values_.clear(); }
    void pop_back() noexcept { values_.pop_back(); }
    std::size_t size() const noexcept { return values_.size(); }
    bool empty() const noexcept { return values_.empty(); }
    auto begin() const noexcept { return values_.begin(); }
    auto end() const noexcept { return values_.end(); }

    const value* find(std::string_view name) const noexcept {
        for (const auto& [n, v] : values_)
            if (n == name) return &v;
        return nullptr;
    }
    bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }

    // T: std::string / std::string_view for {x}, {x:str} and {x:path};
    // any integer type for {x:int}; float or double for {x:float}.
    template <class T>
    T get(std::string_view name) const {
        const value* v = find(name);
        if (!v) throw std::out_of_range("no route parameter named '" + std::string(name) + "'");
        if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) {
            if (auto* s = std::get_if<std::string>(v)) return T(*s);
        } else if constexpr (std::is_integral_v<T>) {
            if (auto* i = std::get_if<std::int64_t>(v)) {
                if (!std::in_range<T>(*i)) throw http_error(404);
                return static_cast<T>(*i);
            }
        } else if constexpr (std::is_floating_point_v<T>) {
            if (auto* d = std::get_if<double>(v)) return static_cast<T>(*d);
        } else {
            static_assert(sizeof(T) == 0, "route parameters are strings, integers or floats");
        }
        throw std::invalid_argument("route parameter '" + std::string(name) +
                                    "' has another type: check the {name:type} in the route");
    }

private:
    std::vector<std::pair<std::string, value>> values_;
};

} // namespace bareasio
