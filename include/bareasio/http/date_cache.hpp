// date_cache: the Date header value (IMF-fixdate), formatted at most once per
// second, one per event loop so the hot path reads it without locking; and
// format_http_date / http_date for other dates (Expires, Last-Modified) and
// parse_http_date for dates clients send (If-Modified-Since).
// Thread safety: not shared between threads; give each loop its own.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace bareasio {

// Writes `when` as an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT": exactly
// 29 characters at `out` (no terminator). Used for Date, Expires, Last-Modified.
inline void format_http_date(std::time_t when, char* out) noexcept {
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&when, &tm);
    auto put2 = [](char* at, int v) {
        at[0] = static_cast<char>('0' + v / 10);
        at[1] = static_cast<char>('0' + v % 10);
    };
    char* p = out;
    for (int i = 0; i < 3; ++i)
        *p++ = days[tm.tm_wday][i];
    *p++ = ',';
    *p++ = ' ';
    put2(p, tm.tm_mday);
    p += 2;
    *p++ = ' ';
    for (int i = 0; i < 3; ++i)
        *p++ = months[tm.tm_mon][i];
    *p++ = ' ';
    const int year = tm.tm_year + 1900;
    put2(p, year / 100);
    put2(p + 2, year % 100);
    p += 4;
    *p++ = ' ';
    put2(p, tm.tm_hour);
    p[2] = ':';
    put2(p + 3, tm.tm_min);
    p[5] = ':';
    put2(p + 6, tm.tm_sec);
    p += 8;
    *p++ = ' ';
    *p++ = 'G';
    *p++ = 'M';
    *p = 'T';
}

inline std::string http_date(std::time_t when) {
    std::string text(29, ' ');
    format_http_date(when, text.data());
    return text;
}

// Reads an IMF-fixdate; nullopt for anything else (the obsolete RFC 850 and
// asctime forms included), which callers treat as an absent header.
inline std::optional<std::time_t> parse_http_date(std::string_view text) noexcept {
    static constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (text.size() != 29 || text.substr(3, 2) != ", " || text.substr(25) != " GMT")
        return std::nullopt;
    auto number = [&](std::size_t at, std::size_t n) -> int {
        int v = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (text[i] < '0' || text[i] > '9') return -1;
            v = v * 10 + (text[i] - '0');
        }
        return v;
    };
    const auto month = months.find(text.substr(8, 3));
    std::tm tm{};
    tm.tm_mday = number(5, 2);
    tm.tm_year = number(12, 4) - 1900;
    tm.tm_hour = number(17, 2);
    tm.tm_min = number(20, 2);
    tm.tm_sec = number(23, 2);
    if (month == std::string_view::npos || month % 3 != 0 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_year < 0 || tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 ||
        tm.tm_sec < 0 || tm.tm_sec > 60 || text[7] != ' ' || text[11] != ' ' || text[16] != ' ' ||
        text[19] != ':' || text[22] != ':')
        return std::nullopt;
    tm.tm_mon = static_cast<int>(month / 3);
    return timegm(&tm);
}

class date_cache {
public:
    std::string_view get() noexcept {
        std::time_t now = std::time(nullptr);
        if (now != formatted_at_) {
            format_http_date(now, text_);
            formatted_at_ = now;
        }
        return {text_, 29};
    }

private:
    std::time_t formatted_at_ = -1;
    char text_[32] = {};
};

} // namespace bareasio
