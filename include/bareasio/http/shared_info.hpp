// shared_info: the application's typed, shared state (bareASGI's `info`),
// reached from handlers as req.info<T>(). Asking for the wrong type is a
// programming error and throws std::logic_error naming both types.
// Thread safety: the handle is immutable; the T it points to is yours to
// synchronise (bareasio::event is safe from any thread).
#pragma once

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <utility>

#if __has_include(<cxxabi.h>)
#include <cxxabi.h>
#endif

namespace bareasio {

namespace detail {
inline std::string type_name(const std::type_info& type) {
#if __has_include(<cxxabi.h>)
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> name(
        abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
    if (status == 0 && name) return name.get();
#endif
    return type.name();
}
} // namespace detail

class shared_info {
public:
    shared_info() = default;

    template <class T>
    static shared_info make(T value) {
        shared_info info;
        info.ptr_ = std::make_shared<T>(std::move(value));
        info.type_ = &typeid(T);
        return info;
    }

    // Constructs the T in place, for types that cannot move (atomics, mutexes).
    template <class T, class... Args>
    static shared_info make_in_place(Args&&... args) {
        shared_info info;
        info.ptr_ = std::make_shared<T>(std::forward<Args>(args)...);
        info.type_ = &typeid(T);
        return info;
    }

    bool has_value() const noexcept { return ptr_ != nullptr; }

    template <class T>
    T& get() const {
        if (!ptr_)
            throw std::logic_error("info<" + detail::type_name(typeid(T)) +
                                   ">() but the application has no info: construct it as "
                                   "application{your_state{}}");
        if (*type_ != typeid(T))
            throw std::logic_error("info<" + detail::type_name(typeid(T)) +
                                   ">() but the application's info is a " +
                                   detail::type_name(*type_));
        return *static_cast<T*>(ptr_.get());
    }

private:
    std::shared_ptr<void> ptr_;
    const std::type_info* type_ = nullptr;
};

} // namespace bareasio
