// output_queue: responses waiting to be written together, and the storage
// it lends an idle connection's first read.
#include <bareasio/transport/output_queue.hpp>

#include "../support/doctest.hpp"

using bareasio::output_queue;

TEST_CASE("output_queue: what is unsent shrinks as writes report progress") {
    output_queue out;
    CHECK(out.empty());
    out.append("HTTP/1.1 200 OK\r\n\r\n");
    out.append("next");
    CHECK(out.unsent().size() == 23);
    out.sent(13);
    CHECK_FALSE(out.all_sent());
    CHECK(std::string_view(static_cast<const char*>(out.unsent().data()), out.unsent().size()) ==
          "OK\r\n\r\nnext");
    out.sent(10);
    CHECK(out.all_sent());
    out.clear();
    CHECK(out.empty());
    CHECK(out.unsent().size() == 0);
}

TEST_CASE("output_queue: lends its storage up to a bound, and keeps it unless it grew huge") {
    output_queue out;
    out.append(std::string(1000, 'x'));
    out.clear();
    auto lent = out.lend(2048); // as large as the last response, at most the bound
    CHECK(lent.size() >= 1000);
    CHECK(lent.size() <= 2048);
    out.clear();
    CHECK(out.lend(100).size() == 100);
    out.clear();

    out.append(std::string(5 * output_queue::flush_threshold, 'y'));
    out.clear(); // one huge response does not pin its memory
    CHECK(out.lend(1 << 20).size() < output_queue::flush_threshold);
}
