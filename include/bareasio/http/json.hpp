// JSON bodies with nlohmann_json: json_reader(req) parses the request body
// (400 on invalid JSON, 413 past the body limit) and json_writer(value)
// serialises a response body with Content-Type application/json.
// json_reader(req) parses whatever Content-Type the client sent (as
// Starlette's request.json() does: `curl -d` sends a form type);
// json_reader(req, require_json) first answers 415 Unsupported Media Type
// unless it is application/json or a +json type (application/problem+json),
// parameters such as charset aside, as ASP.NET's [FromBody] does.
// json_errors is an error handler for APIs: app.error_handler = json_errors.
// Kept out of the umbrella header: nlohmann/json is costly to compile.
#pragma once

#include <bareasio/http/error_response.hpp>
#include <bareasio/http/http_error.hpp>
#include <bareasio/http/readers.hpp>
#include <bareasio/http/writers.hpp>

#include <nlohmann/json.hpp>

namespace bareasio {

struct require_json_t {
    explicit require_json_t() = default;
};
inline constexpr require_json_t require_json{};

// Whether a Content-Type value names JSON: application/json or
// application/<anything>+json, in any case, with any parameters.
inline bool is_json_media_type(std::string_view content_type) noexcept {
    const auto type = trim_ows(content_type.substr(0, content_type.find(';')));
    constexpr std::string_view application = "application/";
    if (type.size() <= application.size() ||
        !iequals(type.substr(0, application.size()), application))
        return false;
    const auto subtype = type.substr(application.size());
    return iequals(subtype, "json") ||
           (subtype.size() > 5 && iequals(subtype.substr(subtype.size() - 5), "+json"));
}

inline asio::awaitable<nlohmann::json> json_reader(request& req) {
    std::string text = co_await text_reader(req);
    auto value = nlohmann::json::parse(text, nullptr, false);
    if (value.is_discarded()) throw http_error(400, "request body is not valid JSON");
    co_return value;
}

inline asio::awaitable<nlohmann::json> json_reader(request& req, require_json_t) {
    if (!is_json_media_type(req.headers().get_or("content-type", "")))
        throw http_error(415, "request body must be application/json");
    return json_reader(req);
}

inline body_writer json_writer(const nlohmann::json& value) {
    return body_writer::from_buffer(value.dump(), "application/json");
}

// An error handler (app.error_handler = json_errors) that answers every
// http_error with {"error": its message}, plus "detail" when it carries a
// nlohmann::json detail (http_error::with_detail), keeping its headers.
inline response json_errors(request&, const http_error& e) {
    nlohmann::json body = {{"error", e.what()}};
    if (const auto* detail = e.detail<nlohmann::json>()) body["detail"] = *detail;
    return response{e.status(), e.headers(), json_writer(body)};
}

} // namespace bareasio
