// request_context: per-request data that middlewares and handlers pass
// along, by name: a login middleware sets "user", the handler reads it.
//     req.context().set("user", std::string("ann"));
//     if (auto* user = req.context().get<std::string>("user")) ...
// Cleared for every request; costs nothing until something is set.
// Thread safety: like the request, used by the code serving it.
#pragma once

#include <any>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bareasio {

class request_context {
public:
    template <class T>
    void set(std::string_view key, T value) {
        for (auto& [k, v] : items_)
            if (k == key) {
                v = std::move(value);
                return;
            }
        items_.emplace_back(std::string(key), std::any(std::move(value)));
    }

    // The value under `key`, or nullptr when absent or of another type.
    template <class T>
    T* get(std::string_view key) noexcept {
        for (auto& [k, v] : items_)
            if (k == key) return std::any_cast<T>(&v);
        return nullptr;
    }

    bool contains(std::string_view key) const noexcept {
        for (const auto& item : items_)
            if (item.first == key) return true;
        return false;
    }

    void clear() noexcept { items_.clear(); }

private:
    std::vector<std::pair<std::string, std::any>> items_;
};

} // namespace bareasio
