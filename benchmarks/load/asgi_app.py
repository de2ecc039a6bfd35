"""The uvicorn peer: a plain ASGI app (what bareASGI sits on), the same two
routes. Run: /usr/bin/python3 -m uvicorn asgi_app:app --port PORT"""
import json


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/plaintext":
        body, kind = b"Hello, World!", b"text/plain"
    elif path == "/json":
        body, kind = json.dumps({"message": "Hello, World!"}).encode(), b"application/json"
    else:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
