// Spells the Asio facilities bareasio uses the same way across Asio versions:
// Debian 12 ships 1.22 (as_tuple, deferred, parallel_group under
// `experimental`); the WrapDB fallback is newer, where they moved up a level.
// It includes only those: each header includes the rest of Asio it uses.
#pragma once

#include <asio/use_awaitable.hpp>
#include <asio/version.hpp>
#if ASIO_VERSION >= 102400
#include <asio/as_tuple.hpp>
#include <asio/deferred.hpp>
#else
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/deferred.hpp>
#endif

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
