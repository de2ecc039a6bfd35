// loop_context: what the connections of one event loop share: the config,
// the clock its deadlines are measured in, the read-buffer pool, the
// trusted proxies, the handler, the application's
// info, the Date cache, the access log, the graceful-stop flag and the
// second protocol (HTTP/2) if one is offered. The
// server makes one per loop; tests and the fuzzer make their own to drive
// connections without a listener.
//     loop_context loop(config, handler, app.info_handle());
// Thread safety: one per event loop, used only there.
#pragma once

#include <bareasio/async/stop_token.hpp>
#include <bareasio/http/date_cache.hpp>
#include <bareasio/http/handler.hpp>
#include <bareasio/http/shared_info.hpp>
#include <bareasio/server/access_log.hpp>
#include <bareasio/server/config.hpp>
#include <bareasio/server/second_protocol.hpp>
#include <bareasio/server/trusted_proxies.hpp>
#include <bareasio/transport/buffer_pool.hpp>
#include <bareasio/transport/clock.hpp>

#include <memory>
#include <stdexcept>
#include <string>

namespace bareasio {

struct loop_context {
    // Throws std::invalid_argument for a bad trusted proxy or a read buffer
    // of 0 bytes, std::system_error
    // for an access log file that cannot be opened. `config` and `handler`
    // must outlive the context.
    loop_context(const server_config& cfg, const http_handler& h, shared_info shared)
        : config(&cfg), buffers(cfg.read_buffer_bytes),
          proxies(cfg.trusted_proxies, cfg.forwarded_header), handler(&h), info(std::move(shared)) {
        if (cfg.read_buffer_bytes == 0)
            throw std::invalid_argument("server_config::read_buffer_bytes must not be 0");
        if (!cfg.access_log.empty()) access = std::make_shared<access_log>(cfg.access_log);
    }
    loop_context(const loop_context&) = delete;
    loop_context& operator=(const loop_context&) = delete;

    const server_config* config;
    loop_clock clock;    // tests freeze it (transport/clock.hpp)
    buffer_pool buffers; // of config->read_buffer_bytes each
    trusted_proxies proxies;
    const http_handler* handler;
    shared_info info;
    date_cache dates;
    // Graceful stop requested: finish, then close. Requests carry its token
    // (request::stopping()).
    stop_source draining;
    bool stopping() const noexcept { return draining.stop_requested(); }
    // The access log, when config->access_log names one; its timestamp and
    // line buffer are the loop's, so logging takes no lock but stdio's.
    std::shared_ptr<access_log> access;
    // HTTP/2 when the server offers it (server/second_protocol.hpp).
    std::shared_ptr<const second_protocol> second;
    access_time access_clock;
    std::string access_line;
};

} // namespace bareasio
