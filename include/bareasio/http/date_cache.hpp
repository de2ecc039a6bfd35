// date_cache: the Date header value (IMF-fixdate), formatted at most once per
// second. One per event loop, so the hot path reads it without locking.
// Thread safety: not shared between threads; give each loop its own.
#pragma once

#include <ctime>
#include <string_view>

namespace bareasio {

class date_cache {
public:
    std::string_view get() noexcept {
        std::time_t now = std::time(nullptr);
        if (now != formatted_at_) format(now);
        return {text_, 29};
    }

private:
    void format(std::time_t now) noexcept {
        static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        std::tm tm{};
        gmtime_r(&now, &tm);
        auto put2 = [](char* at, int v) {
            at[0] = static_cast<char>('0' + v / 10);
            at[1] = static_cast<char>('0' + v % 10);
        };
        // "Sun, 06 Nov 1994 08:49:37 GMT"
        char* p = text_;
        for (int i = 0; i < 3; ++i) *p++ = days[tm.tm_wday][i];
        *p++ = ',';
        *p++ = ' ';
        put2(p, tm.tm_mday);
        p += 2;
        *p++ = ' ';
        for (int i = 0; i < 3; ++i) *p++ = months[tm.tm_mon][i];
        *p++ = ' ';
        int year = tm.tm_year + 1900;
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
        *p++ = 'T';
        formatted_at_ = now;
    }

    std::time_t formatted_at_ = -1;
    char text_[32] = {};
};

} // namespace bareasio
