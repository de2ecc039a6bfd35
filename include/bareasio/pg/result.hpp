// pg::result: the rows a query returned; pg::row: one of them.
//     pg::result r = co_await db.query("SELECT id, randomnumber FROM world WHERE id = $1", 42);
//     for (pg::row row : r) {
//         int id = row.get<int>(0);                       // by position
//         int n = row.get<int>("randomnumber");           // or by name
//         auto nick = row.get<std::optional<std::string>>("nick"); // NULL: std::nullopt
//     }
// Values come as PostgreSQL's text and get<T> converts them: integral T from
// int2, int4, int8 and oid columns (checked to fit), floating point from
// those and float4, float8 and numeric, bool from bool, and std::string or
// std::string_view (valid while the result lives) from any column. A column
// of a type T cannot come from, a NULL where T is not std::optional, or a
// value that does not fit throws pg::error naming the column.
// Thread safety: immutable; copies share the result, on any thread.
#pragma once

#include <bareasio/pg/error.hpp>

#include <libpq-fe.h>

#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace bareasio::pg {

namespace detail {

struct result_deleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using shared_result = std::shared_ptr<PGresult>;

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// The kinds of column a C++ type can be read from.
enum class column_kind { integer, floating, boolean, other };

inline column_kind kind_of(Oid type) noexcept {
    switch (type) {
    case 20: // int8
    case 21: // int2
    case 23: // int4
    case 26: // oid
        return column_kind::integer;
    case 700:  // float4
    case 701:  // float8
    case 1700: // numeric
        return column_kind::floating;
    case 16:
        return column_kind::boolean;
    default:
        return column_kind::other;
    }
}

} // namespace detail

class row {
public:
    // (A row keeps its result alive: it may outlive the pg::result it came from.)
    row(detail::shared_result r, int index) noexcept
        : owner_(std::move(r)), r_(owner_.get()), index_(index) {}

    // The value of column `column` (a position from 0, or a name) as T.
    template <class T>
    T get(int column) const {
        check_column(column);
        if constexpr (detail::is_optional<T>::value) {
            if (PQgetisnull(r_, index_, column)) return std::nullopt;
            return convert<typename T::value_type>(column);
        } else {
            if (PQgetisnull(r_, index_, column))
                throw error("column " + name(column) + " is NULL: read it as std::optional");
            return convert<T>(column);
        }
    }
    template <class T>
    T get(const char* column) const {
        const int at = PQfnumber(r_, column);
        if (at < 0) throw error(std::string("the result has no column named ") + column);
        return get<T>(at);
    }
    template <class T>
    T get(const std::string& column) const {
        return get<T>(column.c_str());
    }

    bool is_null(int column) const {
        check_column(column);
        return PQgetisnull(r_, index_, column) != 0;
    }
    int columns() const noexcept { return PQnfields(r_); }

private:
    void check_column(int column) const {
        if (column < 0 || column >= PQnfields(r_))
            throw error("the result has no column " + std::to_string(column) + " (it has " +
                        std::to_string(PQnfields(r_)) + ")");
    }

    std::string name(int column) const {
        const char* n = PQfname(r_, column);
        return "\"" + std::string(n ? n : "?") + "\" (" + std::to_string(column) + ")";
    }

    std::string_view text(int column) const noexcept {
        return {PQgetvalue(r_, index_, column),
                static_cast<std::size_t>(PQgetlength(r_, index_, column))};
    }

    [[noreturn]] void mismatch(int column, const char* wanted) const {
        throw error("column " + name(column) + " of type oid " +
                    std::to_string(PQftype(r_, column)) + " cannot be read as " + wanted);
    }

    template <class T>
    T convert(int column) const {
        const auto kind = detail::kind_of(PQftype(r_, column));
        const std::string_view value = text(column);
        if constexpr (std::is_same_v<T, bool>) {
            if (kind != detail::column_kind::boolean) mismatch(column, "bool");
            return value == "t";
        } else if constexpr (std::is_integral_v<T>) {
            if (kind != detail::column_kind::integer) mismatch(column, "an integer");
            T out{};
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
            if (ec != std::errc() || end != value.data() + value.size())
                throw error("column " + name(column) + ": " + std::string(value) +
                            " does not fit the integer type asked for");
            return out;
        } else if constexpr (std::is_floating_point_v<T>) {
            if (kind != detail::column_kind::floating && kind != detail::column_kind::integer)
                mismatch(column, "a floating-point number");
            T out{};
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
            if (ec != std::errc() || end != value.data() + value.size())
                throw error("column " + name(column) + ": " + std::string(value) +
                            " is not a number this type holds");
            return out;
        } else if constexpr (std::is_same_v<T, std::string_view>) {
            return value;
        } else if constexpr (std::is_same_v<T, std::string>) {
            return std::string(value);
        } else {
            static_assert(std::is_same_v<T, void>, "pg::row::get: an unsupported type");
        }
    }

    detail::shared_result owner_;
    const PGresult* r_;
    int index_;
};

class result {
public:
    result() = default;
    explicit result(PGresult* r) : r_(r, detail::result_deleter{}) {}

    std::size_t size() const noexcept {
        return r_ ? static_cast<std::size_t>(PQntuples(r_.get())) : 0;
    }
    bool empty() const noexcept { return size() == 0; }
    row operator[](std::size_t i) const noexcept { return row(r_, static_cast<int>(i)); }
    int columns() const noexcept { return r_ ? PQnfields(r_.get()) : 0; }
    // The rows an INSERT, UPDATE or DELETE changed (0 for others).
    std::uint64_t affected_rows() const noexcept {
        const char* n = r_ ? PQcmdTuples(r_.get()) : "";
        std::uint64_t out = 0;
        std::from_chars(n, n + std::char_traits<char>::length(n), out);
        return out;
    }

    class iterator {
    public:
        using value_type = row;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        iterator(const result* r, std::size_t i) : r_(r), i_(i) {}
        row operator*() const noexcept { return (*r_)[i_]; }
        iterator& operator++() noexcept {
            ++i_;
            return *this;
        }
        iterator operator++(int) noexcept {
            auto before = *this;
            ++i_;
            return before;
        }
        bool operator==(const iterator& other) const noexcept { return i_ == other.i_; }

    private:
        const result* r_ = nullptr;
        std::size_t i_ = 0;
    };
    iterator begin() const noexcept { return {this, 0}; }
    iterator end() const noexcept { return {this, size()}; }

private:
    friend class row;
    detail::shared_result r_;
};

} // namespace bareasio::pg
