// http_error: throw it from a handler to answer with a status of your choice,
// e.g. `throw http_error(404, "no such user")`. The message becomes the
// text/plain body; any other exception becomes a 500 with no details sent.
#pragma once

#include <bareasio/http/header_list.hpp>

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

private:
    int status_;
    header_list headers_;
};

} // namespace bareasio
