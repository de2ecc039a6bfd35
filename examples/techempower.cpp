// The TechEmpower Framework Benchmarks' tests, by their rules, on one
// PostgreSQL pool (pg::pool, libpq in pipeline mode):
//     /plaintext  /json  /db  /queries?queries=N  /fortunes  /updates?queries=N
//     psql "$URL" -f examples/techempower.sql      # the World and Fortune tables
//     ./techempower --port 8080 --threads 2 --pg postgresql://user:password@127.0.0.1/db
//                   [--tls-cert FILE --tls-key FILE]
// N is clamped to 1..500 (anything not a number is 1). Each query is its
// own statement with bound parameters; a request's queries are sent
// together and travel pipelined; /updates writes its N rows with one
// statement. With the database down, the database
// routes answer 503 at once (pg::unavailable) and recover when it is back.
#include <bareasio/bareasio.hpp>
#include <bareasio/http/json.hpp>
#include <bareasio/pg/pool.hpp>   // links libpq
#include <bareasio/tls/serve.hpp> // links OpenSSL: HTTPS with --tls-cert/--tls-key

#include <algorithm>
#include <charconv>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace bareasio;

struct state {
    pg::pool db;
};

namespace {

int random_id() {
    thread_local std::minstd_rand engine{std::random_device{}()};
    return std::uniform_int_distribution<int>(1, 10'000)(engine);
}

// ?queries=N: 1..500; missing or not a number: 1.
int query_count(const request& req) {
    const auto text = req.query().get("queries").value_or("1");
    int n = 1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size()) return 1;
    return std::clamp(n, 1, 500);
}

header_list server_header() {
    header_list h;
    h.add("Server", "bareasio");
    return h;
}

// Built member by member: an initializer list ({{"id", ...}, ...}) makes
// each pair an array first, three times the allocations.
nlohmann::json world(int id, int random_number) {
    nlohmann::json out(nlohmann::json::value_t::object);
    out["id"] = id;
    out["randomNumber"] = random_number;
    return out;
}

nlohmann::json world(const pg::row& row) {
    return world(row.get<int>(0), row.get<int>(1));
}

// The rows as a JSON array; `number(row)` is each one's randomNumber.
template <class Number>
nlohmann::json worlds(const std::vector<pg::row>& rows, Number number) {
    nlohmann::json out(nlohmann::json::value_t::array);
    out.get_ref<nlohmann::json::array_t&>().reserve(rows.size());
    for (const auto& row : rows)
        out.push_back(world(row.get<int>(0), number(row)));
    return out;
}

constexpr std::string_view select_world = "SELECT id, randomnumber FROM world WHERE id = $1";

// N rows of World, their queries sent together (pipelined).
awaitable<std::vector<pg::row>> random_worlds(pg::pool& db, int n) {
    std::vector<pg::pending> sent;
    sent.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        sent.push_back(db.send(select_world, random_id()));
    std::vector<pg::row> rows;
    rows.reserve(sent.size());
    for (auto& q : sent)
        rows.push_back(co_await q.one());
    co_return rows;
}

void escape_html(std::string& out, std::string_view text) {
    for (const char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#x27;";
            break;
        default:
            out += c;
        }
    }
}

awaitable<response> plaintext(request&) {
    co_return response{200, server_header(), text_writer("Hello, World!")};
}

awaitable<response> json(request&) {
    co_return response{200, server_header(), json_writer({{"message", "Hello, World!"}})};
}

awaitable<response> db(request& req) {
    const auto row = co_await req.info<state>().db.query_one(select_world, random_id());
    co_return response{200, server_header(), json_writer(world(row))};
}

awaitable<response> queries(request& req) {
    const auto rows = co_await random_worlds(req.info<state>().db, query_count(req));
    co_return response{200, server_header(),
                       json_writer(worlds(rows, [](const pg::row& r) { return r.get<int>(1); }))};
}

awaitable<response> fortunes(request& req) {
    const auto result = co_await req.info<state>().db.query("SELECT id, message FROM fortune");
    std::vector<std::pair<int, std::string>> all;
    for (const pg::row row : result)
        all.emplace_back(row.get<int>(0), row.get<std::string>(1));
    all.emplace_back(0, "Additional fortune added at request time.");
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    std::string html = "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
                       "<tr><th>id</th><th>message</th></tr>";
    for (const auto& [id, message] : all) {
        html += "<tr><td>" + std::to_string(id) + "</td><td>";
        escape_html(html, message);
        html += "</td></tr>";
    }
    html += "</table></body></html>";
    auto headers = server_header();
    headers.add("Content-Type", "text/html; charset=utf-8");
    co_return response{200, std::move(headers), text_writer(std::move(html))};
}

// All N rows in one statement (the rules allow a bulk update): the ids and
// their numbers as two bound arrays, each id once, in ascending order.
constexpr std::string_view update_worlds =
    "UPDATE world SET randomnumber = v.r FROM unnest($1::int[], $2::int[]) AS v(id, r) "
    "WHERE world.id = v.id";

// {1,2,3}: PostgreSQL's text form of an int[] (bound as a parameter).
template <class Pick>
std::string int_array(const std::vector<std::pair<int, int>>& pairs, Pick pick) {
    std::string out = "{";
    for (const auto& p : pairs) {
        if (out.size() > 1) out += ',';
        out += std::to_string(pick(p));
    }
    return out + "}";
}

awaitable<response> updates(request& req) {
    auto& pool = req.info<state>().db;
    const auto rows = co_await random_worlds(pool, query_count(req));
    // A new number per id; an id drawn twice gets one, so the answer says
    // what is stored.
    std::vector<std::pair<int, int>> changes;
    changes.reserve(rows.size());
    for (const auto& row : rows)
        changes.emplace_back(row.get<int>(0), random_id());
    std::sort(changes.begin(), changes.end());
    changes.erase(std::unique(changes.begin(), changes.end(),
                              [](const auto& a, const auto& b) { return a.first == b.first; }),
                  changes.end());
    co_await pool.execute(update_worlds, int_array(changes, [](const auto& p) { return p.first; }),
                          int_array(changes, [](const auto& p) { return p.second; }));
    const auto stored = [&](const pg::row& row) {
        return std::lower_bound(changes.begin(), changes.end(), std::pair{row.get<int>(0), 0})
            ->second;
    };
    co_return response{200, server_header(), json_writer(worlds(rows, stored))};
}

} // namespace

int main(int argc, char** argv) {
    std::string pg_url; // empty: the database routes answer 503
    std::size_t pool_size = 8;
    auto config =
        config_from_args(argc, argv, {.port = 8080},
                         {cli_option("--pg", pg_url, "URL",
                                     "the PostgreSQL database (postgresql://user:pw@host/db)"),
                          cli_option("--pool", pool_size, "N", "connections to PostgreSQL")});
    application app{std::in_place_type<state>};
    app.http_router.add({"GET"}, "/plaintext", plaintext);
    app.http_router.add({"GET"}, "/json", json);
    app.http_router.add({"GET"}, "/db", db);
    app.http_router.add({"GET"}, "/queries", queries);
    app.http_router.add({"GET"}, "/fortunes", fortunes);
    app.http_router.add({"GET"}, "/updates", updates);
    if (!pg_url.empty())
        app.lifespan.add(
            "postgresql",
            [&](lifespan_context& ctx) {
                return ctx.info<state>().db.connect(ctx.executor, pg_url,
                                                    {.connections = pool_size});
            },
            [](lifespan_context& ctx) { return ctx.info<state>().db.close(); });
    return tls::serve(app, config);
}
