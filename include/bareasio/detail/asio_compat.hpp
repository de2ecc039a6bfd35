// Spells the Asio facilities bareasio uses the same way across Asio versions:
// Debian 12 ships 1.22 (as_tuple, deferred, parallel_group under
// `experimental`); the WrapDB fallback is newer, where they moved up a level.
#pragma once

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/experimental/parallel_group.hpp>

namespace bareasio::detail {

#if ASIO_VERSION >= 102400
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
inline constexpr auto deferred = asio::deferred;
template <class T>
inline constexpr bool is_deferred_v = asio::is_deferred<T>::value;
#else
inline constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
inline constexpr auto deferred = asio::experimental::deferred;
template <class T>
inline constexpr bool is_deferred_v = asio::experimental::is_deferred<T>::value;
#endif

} // namespace bareasio::detail
