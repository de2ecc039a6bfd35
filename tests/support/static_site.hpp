// A directory of files for the static-files and compression tests: root/
// holds what is served (an index, a large file, a dotfile, symlinks in and
// out, a FIFO); root/../secret.txt lies outside it. Removed at the end.
#pragma once

#include <bareasio/bareasio.hpp>
#include <bareasio/batteries/static_files.hpp>

#include "doctest.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <stdlib.h>
#include <sys/stat.h>

namespace test {

using namespace bareasio;

namespace fs = std::filesystem;

inline void write_file(const fs::path& p, const std::string& content) {
    std::ofstream(p, std::ios::binary) << content;
}

struct site {
    fs::path base, root;
    std::string big;
    site() {
        char tmpl[] = "/tmp/bareasio-static-XXXXXX";
        base = ::mkdtemp(tmpl);
        root = base / "root";
        fs::create_directories(root / "sub");
        write_file(root / "index.html", "<h1>home</h1>");
        write_file(root / "a.txt", "hello world");
        write_file(root / "sub" / "index.html", "<h1>sub</h1>");
        write_file(root / ".env", "SECRET=1");
        write_file(root / "data.unknownext", "x");
        write_file(root / "empty.txt", "");
        for (int i = 0; i < 200'000; ++i)
            big.push_back(static_cast<char>('a' + (i * 7) % 26));
        write_file(root / "big.bin", big);
        write_file(base / "secret.txt", "outside the root");
        fs::create_symlink(base / "secret.txt", root / "escape.txt");
        fs::create_symlink(base, root / "escape-dir");
        fs::create_symlink(root / "a.txt", root / "alias.txt");
        REQUIRE(::mkfifo((root / "pipe").c_str(), 0600) == 0);
    }
    ~site() { fs::remove_all(base); }
};

inline application& static_app(application& app, const site& s) {
    auto files = static_files(s.root);
    app.http_router.add({"GET"}, "/static/{path:path}", files);
    app.http_router.add({"GET"}, "/static/", files);
    return app;
}

} // namespace test
