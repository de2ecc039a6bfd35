// http_error: throw it from a handler to answer with a status of your choice,
// e.g. `throw http_error(404, "no such user")`. The message becomes the
// text/plain body; any other exception becomes a 500 with no details sent.
// It may carry structured detail for the application's error handler to
// shape (a 422's list of field errors), any copyable value:
//     throw http_error(422, "invalid fields").with_detail(nlohmann::json{{"title", "required"}});
//     if (const auto* fields = e.detail<nlohmann::json>()) ...   // in the error handler
// json_errors (http/json.hpp) is an error handler that sends it as JSON.
// Thread safety: an exception; copies share the detail, which is immutable.
#pragma once

#include <bareasio/http/header_list.hpp>

#include <any>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace bareasio {

class http_error : public std::runtime_error {
public:
    explicit http_error(int status, std::string message = {}, header_list headers = {})
        : std::runtime_error(std::move(message)), status_(status), headers_(std::move(headers)) {}

    int status() const noexcept { return status_; }
    const header_list& headers() const noexcept { return headers_; }

    // Attaches `value` as the error's detail (replacing any).
    template <class T>
    http_error& with_detail(T value) & {
        detail_ = std::make_shared<const std::any>(std::move(value));
        return *this;
    }
    template <class T>
    http_error with_detail(T value) && {
        with_detail(std::move(value));
        return std::move(*this);
    }
    // The detail if it is a T; null if there is none or it is another type.
    template <class T>
    const T* detail() const noexcept {
        return detail_ ? std::any_cast<T>(detail_.get()) : nullptr;
    }
    bool has_detail() const noexcept { return detail_ != nullptr; }

private:
    int status_;
    header_list headers_;
    std::shared_ptr<const std::any> detail_; // shared: copying an exception never throws
};

} // namespace bareasio
