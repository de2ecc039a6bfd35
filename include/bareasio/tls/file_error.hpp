// tls::file_error: a certificate or key file that cannot be read or used,
// thrown when a server loads them; what() names the file and the reason.
//     try { tls::server s(app, config); ... }
//     catch (const tls::file_error& e) { std::fprintf(stderr, "%s\n", e.what()); }
// Thread safety: an exception, as std::runtime_error.
#pragma once

#include <stdexcept>

namespace bareasio::tls {

class file_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace bareasio::tls
