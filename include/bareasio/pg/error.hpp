// pg::error: a query that failed, with PostgreSQL's message and its SQLSTATE
// ("23505" for a unique violation, "57014" when it was cancelled or timed
// out); pg::unavailable: no connection to the database could take the
// query (it is down, or the pool could not reach it). unavailable is an
// http_error with status 503, so a handler that lets it through answers 503
// (shaped by the application's error handler) without catching anything.
//     try { co_await db.query("INSERT ...", id); }
//     catch (const pg::error& e) { if (e.sqlstate() == "23505") ... }
// Thread safety: exceptions, as std::runtime_error.
#pragma once

#include <bareasio/http/http_error.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace bareasio::pg {

class error : public std::runtime_error {
public:
    explicit error(std::string message, std::string sqlstate = {})
        : std::runtime_error(std::move(message)), sqlstate_(std::move(sqlstate)) {}
    // The SQLSTATE code PostgreSQL gave (empty when the failure was not the
    // server's: a lost connection, a type mismatch in a result).
    const std::string& sqlstate() const noexcept { return sqlstate_; }

private:
    std::string sqlstate_;
};

// SQLSTATE of a query cancelled (by a timeout or a client that left).
inline constexpr std::string_view query_canceled = "57014";

class unavailable : public http_error {
public:
    explicit unavailable(std::string why) : http_error(503, std::move(why)) {}
};

} // namespace bareasio::pg
