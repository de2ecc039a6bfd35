// A file of handlers only, as a new user's application grows them: five
// routes' handlers and no serve() (that lives in main.cpp, which includes
// <bareasio/bareasio.hpp>); it includes <bareasio/app.hpp>, as the README
// says files of handlers should. Its compile
// time, against the bare Asio echo server, is what each such file of an
// application costs (benchmarks/compile_time.sh).
#include <bareasio/app.hpp>

#include <string>

using namespace bareasio;
using namespace std::chrono_literals;

struct notes_state {
    event changed;
    std::vector<std::string> notes;
};

awaitable<response> list_notes(request& req) {
    auto& st = req.info<notes_state>();
    std::string out;
    for (const auto& note : st.notes)
        out += note + "\n";
    co_return response{200, {}, text_writer(std::move(out))};
}

awaitable<response> get_note(request& req) {
    auto& st = req.info<notes_state>();
    const auto id = req.matches().get<int>("id");
    if (id < 0 || static_cast<std::size_t>(id) >= st.notes.size())
        throw http_error(404, "no such note");
    co_return response{200, {}, text_writer(st.notes[static_cast<std::size_t>(id)])};
}

awaitable<response> add_note(request& req) {
    auto& st = req.info<notes_state>();
    std::string text = co_await text_reader(req);
    st.notes.push_back(std::move(text));
    st.changed.set();
    co_return response{201, {{"location", "/notes/" + std::to_string(st.notes.size() - 1)}}};
}

awaitable<response> wait_for_change(request& req) {
    auto& st = req.info<notes_state>();
    const bool changed = co_await st.changed.wait_for(10s);
    co_return response{200, {}, text_writer(changed ? "changed" : "quiet")};
}

awaitable<response> stream_notes(request& req) {
    auto& st = req.info<notes_state>();
    co_return response{200,
                       {},
                       stream_writer(
                           [&st](body_sink& out) -> awaitable<void> {
                               for (const auto& note : st.notes)
                                   co_await out.write(note + "\n");
                           },
                           "text/plain")};
}
