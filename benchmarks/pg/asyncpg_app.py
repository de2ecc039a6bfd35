"""The Python peer of examples/techempower.cpp: a plain ASGI app (what
bareASGI sits on) with an asyncpg pool, the same four database routes by
the same rules. Run: PG_URL=... python3 -m uvicorn asyncpg_app:app --port PORT"""
import html
import json
import os
import random

import asyncpg

SELECT_WORLD = "SELECT id, randomnumber FROM world WHERE id = $1"
UPDATE_WORLD = "UPDATE world SET randomnumber = $1 WHERE id = $2"
pool = None


def count(scope):
    for part in scope["query_string"].decode().split("&"):
        name, _, value = part.partition("=")
        if name == "queries":
            try:
                return min(max(int(value), 1), 500)
            except ValueError:
                return 1
    return 1


async def db_route(_):
    async with pool.acquire() as c:
        row = await c.fetchrow(SELECT_WORLD, random.randint(1, 10000))
    return json.dumps({"id": row[0], "randomNumber": row[1]}), "application/json"


async def queries_route(scope):
    async with pool.acquire() as c:
        rows = [await c.fetchrow(SELECT_WORLD, random.randint(1, 10000))
                for _ in range(count(scope))]
    return json.dumps([{"id": r[0], "randomNumber": r[1]} for r in rows]), "application/json"


async def fortunes_route(_):
    async with pool.acquire() as c:
        rows = await c.fetch("SELECT id, message FROM fortune")
    rows = [(r[0], r[1]) for r in rows] + [(0, "Additional fortune added at request time.")]
    rows.sort(key=lambda r: r[1])
    cells = "".join(f"<tr><td>{i}</td><td>{html.escape(m)}</td></tr>" for i, m in rows)
    page = ("<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
            f"<tr><th>id</th><th>message</th></tr>{cells}</table></body></html>")
    return page, "text/html; charset=utf-8"


async def updates_route(scope):
    async with pool.acquire() as c:
        rows = [await c.fetchrow(SELECT_WORLD, random.randint(1, 10000))
                for _ in range(count(scope))]
        worlds = [(r[0], random.randint(1, 10000)) for r in rows]
        await c.executemany(UPDATE_WORLD, [(n, i) for i, n in worlds])
    return json.dumps([{"id": i, "randomNumber": n} for i, n in worlds]), "application/json"


ROUTES = {"/db": db_route, "/queries": queries_route, "/fortunes": fortunes_route,
          "/updates": updates_route}


async def app(scope, receive, send):
    global pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                pool = await asyncpg.create_pool(os.environ["PG_URL"], min_size=8, max_size=8)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    route = ROUTES.get(scope["path"])
    if route is None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    text, kind = await route(scope)
    body = text.encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", kind.encode()), (b"server", b"uvicorn"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
