// The error codes bareasio's primitives complete with, in their own category
// so that a timeout or a destroyed event is never mistaken for Asio's
// `operation_aborted` (which means "you were cancelled").
// Thread safety: everything here is immutable and safe from any thread.
#pragma once

#include <asio/error.hpp>

#include <exception>
#include <string>
#include <system_error>

namespace bareasio {

enum class errc {
    timeout = 1,     // wait_for's deadline passed before the operation finished
    event_destroyed, // the event a coroutine was waiting on was destroyed
};

namespace detail {
class error_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "bareasio"; }
    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
        case errc::timeout:
            return "the operation timed out";
        case errc::event_destroyed:
            return "the event was destroyed while a coroutine waited on it";
        }
        return "unknown bareasio error";
    }
};
} // namespace detail

inline const std::error_category& error_category() noexcept {
    static const detail::error_category_impl category;
    return category;
}

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

} // namespace bareasio

template <>
struct std::is_error_code_enum<bareasio::errc> : std::true_type {};

namespace bareasio::detail {
// Whether `e` is Asio's operation_aborted, thrown as a system_error.
inline bool is_aborted(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::system_error& err) {
        return err.code() == asio::error::operation_aborted;
    } catch (...) {
        return false;
    }
}
} // namespace bareasio::detail
