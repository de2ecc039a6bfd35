#!/usr/bin/env python3
"""examples/techempower against a throw-away PostgreSQL cluster: every route
by the TechEmpower rules (Python's http.client as the client), 256 clients
at once on a pool of 8 connections, 20 requests
waiting on a locked table while others are served on the same single loop,
a client that hangs up (its query cancelled on the server),
backends terminated, the database stopped (503 at once, never a hang) and
started again, and a clean SIGTERM.

usage: test_techempower.py TECHEMPOWER_BINARY TECHEMPOWER_SQL"""
import concurrent.futures
import http.client
import json
import signal
import socket
import subprocess
import sys
import time

from e2e_support import Postgres, check, free_port, start_example, summary


def get(port, target, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", target)
    res = conn.getresponse()
    body = res.read()
    conn.close()
    return res.status, res, body


def worlds_ok(items, n):
    return (isinstance(items, list) and len(items) == n and
            all(1 <= w["id"] <= 10000 and 1 <= w["randomNumber"] <= 10000 for w in items))


def routes(port, pg):
    status, res, body = get(port, "/plaintext")
    check(status == 200 and body == b"Hello, World!" and res.getheader("server") == "bareasio"
          and res.getheader("date"), f"/plaintext ({status}, {body!r})")
    status, res, body = get(port, "/json")
    check(status == 200 and json.loads(body) == {"message": "Hello, World!"} and
          res.getheader("content-type") == "application/json", f"/json ({status}, {body!r})")
    status, _, body = get(port, "/db")
    w = json.loads(body)
    check(status == 200 and worlds_ok([w], 1), f"/db: one World row ({body!r})")
    for query, n in [("", 1), ("?queries=foo", 1), ("?queries=0", 1), ("?queries=20", 20),
                     ("?queries=501", 500)]:
        status, _, body = get(port, "/queries" + query)
        check(status == 200 and worlds_ok(json.loads(body), n),
              f"/queries{query}: {n} World rows ({status})")
    status, res, body = get(port, "/fortunes")
    html = body.decode("utf-8")
    rows = html.count("<tr>") - 1
    check(status == 200 and res.getheader("content-type") == "text/html; charset=utf-8"
          and rows == 13, f"/fortunes: 13 fortunes, UTF-8 HTML ({status}, {rows})")
    check("&lt;script&gt;alert(&quot;This should not be displayed in a browser alert box.&quot;);"
          "&lt;/script&gt;" in html and "フレームワークのベンチマーク" in html and
          "<td>0</td><td>Additional fortune added at request time.</td>" in html,
          "/fortunes: escaped, UTF-8, the added fortune")
    messages = [cell.split("</td>")[0] for cell in html.split("<td>")[2::2]]
    check(messages == sorted(messages), "/fortunes: sorted by message")
    status, _, body = get(port, "/updates?queries=20")
    items = json.loads(body)
    check(status == 200 and worlds_ok(items, 20), f"/updates?queries=20 ({status})")
    stored = {}
    for w in items:
        stored[w["id"]] = int(pg.psql(f"SELECT randomnumber FROM world WHERE id = {w['id']}")
                              .stdout.strip())
    check(all(stored[w["id"]] == w["randomNumber"] for w in items) and len(stored) >= 1,
          "/updates: every new number is stored, an id drawn twice with one number")


def locked_table(port, pg):
    """20 /db requests wait on a locked table; /json is answered meanwhile on
    the same loop; all 20 complete once the lock goes."""
    locker = subprocess.Popen(["psql", pg.url, "-q", "-c",
                               "BEGIN; LOCK TABLE world IN ACCESS EXCLUSIVE MODE; "
                               "SELECT pg_sleep(2); COMMIT;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)  # the lock is taken
    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        waiting = [pool.submit(get, port, "/db", 30) for _ in range(20)]
        time.sleep(0.2)
        answered_meanwhile, times = [], []
        for _ in range(100):
            started = time.monotonic()
            answered_meanwhile.append(get(port, "/json")[0])
            times.append(time.monotonic() - started)
        still_waiting = sum(not f.done() for f in waiting)
        times.sort()
        print(f"figure: /json while 20 /db wait on the lock: p99 {times[98] * 1000:.1f} ms")
        check(answered_meanwhile == [200] * 100 and still_waiting > 0,
              f"a locked table: /json answered while {still_waiting} /db requests wait")
        statuses = [f.result()[0] for f in waiting]
    locker.wait()
    check(statuses == [200] * 20, f"a locked table: all 20 complete after the lock ({statuses})")


def many_clients(port, pg):
    """256 clients at once on /queries?queries=20: each answered with its 20
    rows, while the pool holds PostgreSQL to its 8 connections (+ 1 to listen,
    unused here)."""
    def one(_):
        status, _, body = get(port, "/queries?queries=20", 60)
        return status == 200 and worlds_ok(json.loads(body), 20)
    with concurrent.futures.ThreadPoolExecutor(max_workers=256) as pool:
        answers = list(pool.map(one, range(256)))
    backends = int(pg.psql("SELECT count(*) FROM pg_stat_activity WHERE "
                           "backend_type = 'client backend' AND pid <> pg_backend_pid()")
                   .stdout.strip())
    check(all(answers) and backends <= 8,
          f"256 clients at once: all answered with 20 rows ({answers.count(True)}), "
          f"{backends} connections to PostgreSQL")


def waiting_selects(pg):
    """The app's World reads the server is running (here: waiting for a lock)."""
    return int(pg.psql("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND "
                       "query LIKE 'SELECT id, randomnumber FROM world%'").stdout.strip())


def client_leaves(port, pg):
    """A client that hangs up while its query waits on a locked table: the
    handler is cancelled, and its query with it, on the server."""
    locker = subprocess.Popen(["psql", pg.url, "-q", "-c",
                               "BEGIN; LOCK TABLE world IN ACCESS EXCLUSIVE MODE; "
                               "SELECT pg_sleep(3); COMMIT;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    clients = []
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /db HTTP/1.1\r\nHost: x\r\n\r\n")
        clients.append(s)
    deadline = time.monotonic() + 2
    while waiting_selects(pg) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    check(waiting_selects(pg) == 3, "a client that leaves: its query waits on the lock first")
    for s in clients:
        s.close()
    deadline = time.monotonic() + 2
    while waiting_selects(pg) > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    left = waiting_selects(pg)
    check(left == 0 and locker.poll() is None,
          f"a client that leaves: its query is cancelled on the server, the lock still held ({left})")
    locker.wait()
    check(get(port, "/db")[0] == 200, "a client that leaves: the connections serve on")


def eventually_200(port, target, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if get(port, target, 6)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def failures(port, pg):
    pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND datname = 'postgres'")
    started = time.monotonic()
    check(eventually_200(port, "/db"), "after pg_terminate_backend: served again")
    print(f"figure: served again {time.monotonic() - started:.2f} s after pg_terminate_backend")
    pg.stop()
    started = time.monotonic()
    status = get(port, "/db", 6)[0]
    check(status == 503, f"database stopped: /db answers 503 ({status})")
    print(f"figure: database stopped: 503 in {time.monotonic() - started:.3f} s")
    check(get(port, "/json")[0] == 200, "database stopped: /json is served")
    pg.start()
    started = time.monotonic()
    check(eventually_200(port, "/db"), "database back: /db is served again")
    print(f"figure: database back: served {time.monotonic() - started:.2f} s after it accepts")


def main():
    binary, sql = sys.argv[1], sys.argv[2]
    pg = Postgres()
    try:
        pg.psql(file=sql)
        proc, port = start_example(binary, "--pg", pg.url, "--threads", "1")
        try:
            routes(port, pg)
            locked_table(port, pg)
            many_clients(port, pg)
            client_leaves(port, pg)
            failures(port, pg)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
            check(proc.returncode == 0, f"SIGTERM: exit 0 ({proc.returncode}; {err[-400:]!r})")
        result = subprocess.run([binary, "--port", str(free_port()), "--pg",
                                 "postgresql://u:p@127.0.0.1:1/db"], capture_output=True,
                                text=True, timeout=30)
        check(result.returncode == 3 and "127.0.0.1:1" in result.stderr,
              f"no database at startup: exit 3 naming it ({result.returncode}, "
              f"{result.stderr[-300:]!r})")
    finally:
        pg.remove()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
