// The HTTP layer alone: request, response, headers, readers, writers, the
// llhttp adapter and the serialiser. No server, no routing.
#pragma once

#include <bareasio/http/body_stream.hpp>
#include <bareasio/http/body_writer.hpp>
#include <bareasio/http/date_cache.hpp>
#include <bareasio/http/error_response.hpp>
#include <bareasio/http/handler.hpp>
#include <bareasio/http/header_list.hpp>
#include <bareasio/http/http_error.hpp>
#include <bareasio/http/readers.hpp>
#include <bareasio/http/request.hpp>
#include <bareasio/http/request_parser.hpp>
#include <bareasio/http/response.hpp>
#include <bareasio/http/serializer.hpp>
#include <bareasio/http/status.hpp>
#include <bareasio/http/url.hpp>
#include <bareasio/http/with_timeout.hpp>
#include <bareasio/http/writers.hpp>
