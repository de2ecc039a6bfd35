// utf8_validator: RFC 3629's UTF-8, fed whole or in pieces split at every
// point, refusing at the first bad byte.
#include <bareasio/websocket/utf8.hpp>

#include "../support/doctest.hpp"

#include <string>

using namespace bareasio;
using namespace std::string_literals;

namespace {

// Whether `bytes` is valid UTF-8 fed whole, and fed split at every point.
bool valid(const std::string& bytes) {
    utf8_validator whole;
    const bool result = whole.feed(bytes) && whole.complete();
    for (std::size_t split = 0; split <= bytes.size(); ++split) {
        utf8_validator pieces;
        const bool ok = pieces.feed(bytes.substr(0, split)) && pieces.feed(bytes.substr(split)) &&
                        pieces.complete();
        CHECK(ok == result);
    }
    return result;
}

} // namespace

TEST_CASE("valid: ASCII, each length's first and last code point, noncharacters") {
    CHECK(valid(""));
    CHECK(valid("Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!"s));
    CHECK(valid("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"s)); // κόσμε
    for (const auto& s :
         {"\x00"s, "\xc2\x80"s, "\xe0\xa0\x80"s, "\xf0\x90\x80\x80"s, "\x7f"s, "\xdf\xbf"s,
          "\xef\xbf\xbf"s, "\xf4\x8f\xbf\xbf"s, "\xed\x9f\xbf"s, "\xee\x80\x80"s, "\xef\xbf\xbe"s})
        CHECK(valid(s));
    CHECK(
        valid(std::string(100, 'a') + "\xe2\x82\xac" + std::string(9, 'b'))); // past the fast path
}

TEST_CASE("invalid: overlong, surrogates, above U+10FFFF, stray and missing bytes") {
    for (const auto& s :
         {"\xc0\xaf"s, "\xe0\x80\xaf"s, "\xf0\x80\x80\xaf"s, "\xc1\xbf"s, "\xe0\x9f\xbf"s,
          "\xed\xa0\x80"s, "\xed\xbf\xbf"s, "\xf4\x90\x80\x80"s, "\xf8\x88\x80\x80\x80"s, "\x80"s,
          "\xbf"s, "\xfe"s, "\xff"s, "\xc2"s, "\xe0\xa0"s, "\xf0\x90\x80"s, "\xc2\x41"s,
          "ok\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"s})
        CHECK_FALSE(valid(s));
}

TEST_CASE("fail fast: refused at the first bad byte, and stays refused") {
    utf8_validator v;
    CHECK(v.feed("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"s));
    CHECK(v.feed("\xf4"s));       // could still be valid
    CHECK_FALSE(v.feed("\x90"s)); // U+110000 and above: no longer
    CHECK_FALSE(v.feed("a"));
    v.reset();
    CHECK(v.feed("a"));
    CHECK(v.complete());
}
