// The async primitives alone: event, wait_for, stop_token and task_group.
// Cheap to include: it pulls in Asio but nothing of the HTTP server.
#pragma once

#include <bareasio/async/error.hpp>
#include <bareasio/async/event.hpp>
#include <bareasio/async/notifier.hpp>
#include <bareasio/async/stop_token.hpp>
#include <bareasio/async/task_group.hpp>
#include <bareasio/async/wait_for.hpp>
