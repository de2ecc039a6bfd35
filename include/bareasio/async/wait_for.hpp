// wait_for / wait_until: run an awaitable, or any Asio async operation in
// its deferred form, with a deadline: the analogue of Python's
// asyncio.wait_for. until_stopped: the same with a stop_token for deadline.
//     co_await wait_for(ev.wait(), 100ms);
//     auto n = co_await wait_for(socket.async_read_some(buf, bareasio::deferred), 5s);
// On expiry the inner operation is cancelled (Asio terminal cancellation)
// and *finished* before wait_for returns; then timeout_error is thrown. A
// result the inner operation produced is never lost, an inner error
// propagates at once, and cancellation of the caller propagates as
// operation_aborted.
// Resumes on the calling coroutine's executor. Throws timeout_error (code
// errc::timeout) on expiry, the inner operation's own exception if it
// failed, and system_error(operation_aborted) if the caller was cancelled.
// Thread safety: each call is independent; the deadline timer lives on the
// caller's executor.
#pragma once

#include <bareasio/async/error.hpp>
#include <bareasio/async/stop_token.hpp>
#include <bareasio/detail/asio_compat.hpp>

#include <asio/co_spawn.hpp>
#include <asio/experimental/parallel_group.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <system_error>
#include <type_traits>
#include <variant>

namespace bareasio {

// Thrown by wait_for when the deadline passed first; the analogue of
// asyncio.TimeoutError. Distinct from asio::error::operation_aborted.
class timeout_error : public std::system_error {
public:
    timeout_error() : std::system_error(make_error_code(errc::timeout)) {}
};

// Tag for the non-throwing form: wait_for(op, d, ignore_timeout) returns
// std::optional<T> (bool for void): empty/false when the deadline passed.
struct ignore_timeout_t {
    explicit ignore_timeout_t() = default;
};
inline constexpr ignore_timeout_t ignore_timeout{};

namespace detail {

template <class T>
using wait_value_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// What the throwing form returns (T) and the non-throwing one (optional<T>,
// bool for void).
template <class T, bool Throw>
using wait_result_t =
    std::conditional_t<Throw, T, std::conditional_t<std::is_void_v<T>, bool, std::optional<T>>>;

// What races the operation: a timer to a deadline, or a stop token. start()
// makes its deferred operation (the rival keeps what it needs alive: it
// lives in run_until's frame); lost() is what the throwing form throws.
struct deadline_rival {
    std::chrono::steady_clock::time_point deadline;
    std::optional<asio::steady_timer> timer;

    auto start(const asio::any_io_executor& ex) {
        timer.emplace(ex, deadline);
        return timer->async_wait(deferred);
    }
    [[noreturn]] static void lost() { throw timeout_error(); }
};

struct stop_rival {
    stop_token stop;

    auto start(const asio::any_io_executor& ex) {
        return asio::co_spawn(ex, stop.wait(), deferred);
    }
};

// Runs `op` against its rival. One coroutine frame of its own: the public
// functions below return this awaitable directly rather than awaiting it,
// since each extra frame is an allocation once Asio's per-thread cache
// (four blocks per kind, ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE from the build)
// is full.
// The deadline of a timeout, fixed now on the steady clock, before anything runs.
template <class Rep, class Period>
std::chrono::steady_clock::time_point deadline_after(std::chrono::duration<Rep, Period> timeout) {
    return std::chrono::steady_clock::now() +
           std::chrono::ceil<std::chrono::steady_clock::duration>(timeout);
}

template <class T, bool Throw, class Rival>
asio::awaitable<wait_result_t<T, Throw>> run_until(asio::awaitable<T> op, Rival rival) {
    auto ex = co_await asio::this_coro::executor;
    // The group cancels the loser and waits for it to finish before it
    // completes, so the inner operation never outlives this call.
    auto group = asio::experimental::make_parallel_group(
        asio::co_spawn(ex, std::move(op), deferred), rival.start(ex));
    auto results =
        co_await group.async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    const auto& order = std::get<0>(results);
    const std::exception_ptr& failure = std::get<1>(results);
    const auto& rival_failure = std::get<std::tuple_size_v<decltype(results)> - 1>(results);
    if (!failure) { // it produced its result: return it even if the rival also fired
        if constexpr (Throw && std::is_void_v<T>)
            co_return;
        else if constexpr (Throw)
            co_return std::move(std::get<2>(results));
        else if constexpr (std::is_void_v<T>)
            co_return true;
        else
            co_return std::optional<T>(std::move(std::get<2>(results)));
    }
    const bool rival_fired = order[0] == 1 && !rival_failure;
    if (!rival_fired || !is_aborted(failure))
        std::rethrow_exception(failure); // inner error, or the caller was cancelled
    if constexpr (Throw)
        Rival::lost();
    else if constexpr (std::is_void_v<T>)
        co_return false;
    else
        co_return std::nullopt;
}

} // namespace detail

template <class T>
asio::awaitable<T> wait_until(asio::awaitable<T> op,
                              std::chrono::steady_clock::time_point deadline) {
    return detail::run_until<T, true>(std::move(op), detail::deadline_rival{deadline, {}});
}

template <class T, class Rep, class Period>
asio::awaitable<T> wait_for(asio::awaitable<T> op, std::chrono::duration<Rep, Period> timeout) {
    return detail::run_until<T, true>(std::move(op),
                                      detail::deadline_rival{detail::deadline_after(timeout), {}});
}

template <class T, class Rep, class Period>
asio::awaitable<std::conditional_t<std::is_void_v<T>, bool, std::optional<T>>>
wait_for(asio::awaitable<T> op, std::chrono::duration<Rep, Period> timeout, ignore_timeout_t) {
    return detail::run_until<T, false>(std::move(op),
                                       detail::deadline_rival{detail::deadline_after(timeout), {}});
}

// Runs `op` until `stop` is requested, whichever ends first: the form of
// wait_for whose deadline is a stop (the server draining, a service
// stopping). Returns std::optional<T> (bool for void): empty/false when the
// stop came first, after `op` was cancelled and finished. A result `op`
// produced is never lost; its error propagates.
//     bool changed = co_await until_stopped(change.wait(), req.stopping());
template <class T>
asio::awaitable<std::conditional_t<std::is_void_v<T>, bool, std::optional<T>>>
until_stopped(asio::awaitable<T> op, stop_token stop) {
    return detail::run_until<T, false>(std::move(op), detail::stop_rival{std::move(stop)});
}

// The completion token that turns an Asio operation into one wait_for takes.
inline constexpr auto deferred = detail::deferred;

// Any Asio async operation, given with the `deferred` token: it runs as a
// coroutine on the caller's executor, and its result (the handler's
// arguments after the error_code) is returned as the awaitable's would be.
template <class Op, class Rep, class Period>
requires detail::is_deferred_v<std::decay_t<Op>>
auto wait_for(Op&& op, std::chrono::duration<Rep, Period> timeout) {
    return bareasio::wait_for(std::forward<Op>(op)(asio::use_awaitable), timeout);
}

template <class Op, class Rep, class Period>
requires detail::is_deferred_v<std::decay_t<Op>>
auto wait_for(Op&& op, std::chrono::duration<Rep, Period> timeout, ignore_timeout_t tag) {
    return bareasio::wait_for(std::forward<Op>(op)(asio::use_awaitable), timeout, tag);
}

} // namespace bareasio
