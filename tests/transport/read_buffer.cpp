// read_buffer and buffer_pool: bytes not yet parsed, in buffers the loop's
// pool lends and takes back.
#include <bareasio/transport/read_buffer.hpp>

#include "../support/doctest.hpp"

#include <cstring>

using namespace bareasio;

namespace {
void put(read_buffer& in, std::string_view bytes) {
    auto space = in.free_space();
    REQUIRE(space.size() >= bytes.size());
    std::memcpy(space.data(), bytes.data(), bytes.size());
    in.commit(bytes.size());
}
} // namespace

TEST_CASE("read_buffer: holds no buffer until bytes come, and gives it back when drained") {
    buffer_pool pool(8);
    read_buffer in(pool);
    CHECK_FALSE(in.has_storage());
    CHECK(in.empty());
    in.adopt("GET");
    CHECK(in.has_storage());
    CHECK(in.unparsed() == "GET");
    in.consume(3);
    in.prepare(false); // not idle: keeps the buffer
    CHECK(in.has_storage());
    in.prepare(true); // idle and drained: back to the pool
    CHECK_FALSE(in.has_storage());
    in.acquire(); // the pool's buffer again, not a new one
    CHECK(in.free_space().size() == 8);
}

TEST_CASE("read_buffer: a full buffer moves its unparsed bytes to the front") {
    buffer_pool pool(8);
    read_buffer in(pool);
    in.acquire();
    put(in, "abcdefgh");
    CHECK(in.full());
    CHECK(in.free_space().size() == 0);
    in.consume(5);
    in.prepare(true); // unparsed bytes: never given back
    CHECK(in.unparsed() == "fgh");
    CHECK(in.free_space().size() == 5);
    put(in, "ij");
    CHECK(in.unparsed() == "fghij");
    in.release_if_empty();
    CHECK(in.has_storage());
    in.consume(5);
    in.release_if_empty();
    CHECK_FALSE(in.has_storage());
}

TEST_CASE("buffer_pool: keeps a bounded number of buffers of its size") {
    buffer_pool pool(16, 1);
    auto a = pool.take();
    auto b = pool.take();
    CHECK(a.size() == 16);
    const char* kept = a.data();
    pool.give(std::move(a));
    pool.give(std::move(b)); // beyond `keep`: freed
    CHECK(pool.take().data() == kept);
    pool.give(std::vector<char>(3)); // another size: not kept
    CHECK(pool.take().size() == 16);
}
