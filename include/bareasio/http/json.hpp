// JSON bodies with nlohmann_json: json_reader(req) parses the request body
// (400 on invalid JSON, 413 past the body limit) and json_writer(value)
// serialises a response body with Content-Type application/json.
// Kept out of the umbrella header: nlohmann/json is costly to compile.
#pragma once

#include <bareasio/http/readers.hpp>
#include <bareasio/http/writers.hpp>

#include <nlohmann/json.hpp>

namespace bareasio {

inline asio::awaitable<nlohmann::json> json_reader(request& req) {
    std::string text = co_await text_reader(req);
    auto value = nlohmann::json::parse(text, nullptr, false);
    if (value.is_discarded()) throw http_error(400, "request body is not valid JSON");
    co_return value;
}

inline body_writer json_writer(const nlohmann::json& value) {
    return body_writer::from_buffer(value.dump(), "application/json");
}

} // namespace bareasio
