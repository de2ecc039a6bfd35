// pg::transaction: queries that hold one connection of a pool alone,
// between BEGIN and COMMIT. Made by pool::transaction, which commits when
// the body returns and rolls back when it throws (or its coroutine is
// cancelled):
//     int moved = co_await db.transaction([&](pg::transaction& tx) -> asio::awaitable<int> {
//         co_await tx.execute("UPDATE account SET n = n - $1 WHERE id = $2", 10, from);
//         co_await tx.execute("UPDATE account SET n = n + $1 WHERE id = $2", 10, to);
//         co_return 10;
//     });
// While it lasts, the pool's other queries go to its other connections
// (or wait for one, when every connection holds a transaction). A query
// that fails leaves the transaction aborted: later ones fail until the
// body gives up. If the connection is lost, every later query of the
// transaction fails (it never runs outside it).
// Thread safety: one coroutine at a time.
#pragma once

#include <bareasio/pg/pending.hpp>

#include <asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace bareasio::pg {

namespace detail {
class pool_link;
class connection_link;
std::shared_ptr<pending_query> send_in(const std::shared_ptr<pool_link>& pool,
                                       const std::shared_ptr<connection_link>& link,
                                       std::uint64_t session, std::string sql, params values);
void end_transaction(pool_link& pool, const std::shared_ptr<connection_link>& link,
                     std::uint64_t session, bool roll_back);
} // namespace detail

class transaction : public detail::query_methods<transaction> {
public:
    transaction(std::shared_ptr<detail::pool_link> pool,
                std::shared_ptr<detail::connection_link> link, std::uint64_t session) noexcept
        : pool_(std::move(pool)), link_(std::move(link)), session_(session) {}
    transaction(transaction&& other) noexcept
        : pool_(std::move(other.pool_)), link_(std::move(other.link_)), session_(other.session_),
          open_(std::exchange(other.open_, false)) {}
    transaction& operator=(transaction&&) = delete;
    // Not committed: rolled back, and the connection given back.
    ~transaction() {
        if (open_) detail::end_transaction(*pool_, link_, session_, true);
    }

    // Sends the query now, within the transaction (see pg::pending).
    template <class... Args>
    pending send(std::string_view sql, const Args&... args) {
        return pending(detail::send_in(pool_, link_, session_, std::string(sql),
                                       detail::make_params(args...)));
    }

    // COMMIT; the connection goes back to the pool, committed or not.
    asio::awaitable<void> commit();

private:
    std::shared_ptr<detail::pool_link> pool_;
    std::shared_ptr<detail::connection_link> link_;
    std::uint64_t session_;
    bool open_ = true;
};

} // namespace bareasio::pg
