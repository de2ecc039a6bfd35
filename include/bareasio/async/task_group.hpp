// task_group: structured concurrency for background services. spawn() starts
// a named coroutine with its own stop_token; stop_and_join() requests stop,
// waits for a grace period, cancels what is left through Asio cancellation
// and waits until every task has ended. Nothing is detached and forgotten: a
// task that throws is logged with its name and its error kept for failures();
// a cancellation the group itself sent is not a failure.
// Every task runs, and every join resumes, on the group's executor.
// Thread safety: spawn() and the awaiting functions run on the group's
// executor; request_stop(), cancel() and task_handle::request_stop() are
// safe from any thread. Destroying a group that still has running tasks is
// a programming error (asserted in debug builds): co_await stop_and_join().
#pragma once

#include <bareasio/async/event.hpp>
#include <bareasio/async/stop_token.hpp>
#include <bareasio/detail/log.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>

#include <asio/dispatch.hpp>

#include <cassert>
#include <chrono>
#include <exception>
#include <list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace bareasio {

namespace detail {
struct group_task {
    explicit group_task(std::string n) : name(std::move(n)) {}
    std::string name;
    stop_source stop;
    asio::cancellation_signal cancel;
    bool cancelled_by_group = false;
    event finished;
    std::exception_ptr error;
};
} // namespace detail

// A handle on one spawned task: stop it, wait for it, see how it ended.
class task_handle {
public:
    task_handle() = default;
    const std::string& name() const { return task_->name; }
    bool running() const noexcept { return task_ && !task_->finished.is_set(); }
    void request_stop() const { task_->stop.request_stop(); }
    // Waits until the task has ended; rethrows the exception it ended with.
    // Resumes on the calling coroutine's executor.
    asio::awaitable<void> join() const {
        auto task = task_;
        co_await task->finished.wait();
        if (task->error) std::rethrow_exception(task->error);
    }

private:
    friend class task_group;
    explicit task_handle(std::shared_ptr<detail::group_task> t) : task_(std::move(t)) {}
    std::shared_ptr<detail::group_task> task_;
};

class task_group {
public:
    explicit task_group(asio::any_io_executor ex) : state_(std::make_shared<state>(std::move(ex))) {
        state_->idle.set();
    }
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;

    // A group must be joined before it dies (asserted in debug builds). In
    // release builds the stragglers are stopped and cancelled; they end on
    // their executor with nobody waiting.
    ~task_group() {
        assert(state_->running == 0 && "task_group destroyed with running tasks: "
                                       "co_await stop_and_join() first");
        cancel_all(*state_);
    }

    // Starts `fn(stop_token)` (a coroutine returning awaitable<void>) on the
    // group's executor. The callable is kept alive until the task ends.
    template <class F>
    task_handle spawn(std::string name, F&& fn) {
        auto task = std::make_shared<detail::group_task>(std::move(name));
        auto st = state_;
        st->tasks.push_back(task);
        auto pos = std::prev(st->tasks.end());
        if (st->running++ == 0) st->idle.clear();
        asio::co_spawn(
            st->ex,
            [f = std::forward<F>(fn), token = task->stop.token()]() mutable { return f(token); },
            asio::bind_cancellation_slot(
                task->cancel.slot(), [st, task, pos](std::exception_ptr error) {
                    if (error && task->cancelled_by_group && detail::is_aborted(error))
                        error = nullptr; // the group asked for it: not a failure
                    task->error = error;
                    if (error) {
                        detail::log_line("bareasio: service '" + task->name +
                                         "' failed: " + detail::describe(error));
                        st->failures.emplace_back(task->name, error);
                    }
                    task->finished.set();
                    st->tasks.erase(pos);
                    if (--st->running == 0) st->idle.set();
                }));
        return task_handle(std::move(task));
    }

    // Asks every running task to stop (sets their stop tokens). Any thread.
    void request_stop() {
        asio::dispatch(state_->ex, [st = state_] {
            for (auto& t : st->tasks)
                t->stop.request_stop();
        });
    }

    // Sends Asio terminal cancellation to every running task. Any thread.
    void cancel() {
        asio::dispatch(state_->ex, [st = state_] { cancel_all(*st); });
    }

    std::size_t running() const noexcept { return state_->running; }

    // Waits until no task is running. Resumes on the caller's executor.
    asio::awaitable<void> join() {
        auto st = state_;
        while (st->running != 0)
            co_await st->idle.wait();
    }

    // Requests stop, gives the tasks `grace` to end by themselves, cancels
    // the rest (terminal cancellation) and waits until every one has ended.
    // Resumes on the caller's executor; does not throw for task failures
    // (see failures()).
    template <class Rep, class Period>
    asio::awaitable<void> stop_and_join(std::chrono::duration<Rep, Period> grace) {
        auto st = state_;
        for (auto& t : st->tasks)
            t->stop.request_stop();
        bool ended = st->running == 0;
        if (!ended) ended = co_await st->idle.wait_for(grace);
        if (!ended) cancel_all(*st);
        co_await join();
    }

    // The tasks that ended with an exception, in the order they ended.
    const std::vector<std::pair<std::string, std::exception_ptr>>& failures() const noexcept {
        return state_->failures;
    }

private:
    struct state;
    static void cancel_all(state& st) {
        for (auto& t : st.tasks) {
            t->stop.request_stop();
            t->cancelled_by_group = true;
            t->cancel.emit(asio::cancellation_type::terminal);
        }
    }

    struct state {
        explicit state(asio::any_io_executor e) : ex(std::move(e)) {}
        asio::any_io_executor ex;
        std::list<std::shared_ptr<detail::group_task>> tasks;
        std::size_t running = 0;
        event idle;
        std::vector<std::pair<std::string, std::exception_ptr>> failures;
    };
    std::shared_ptr<state> state_;
};

} // namespace bareasio
