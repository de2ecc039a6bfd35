#!/usr/bin/env python3
"""Deployment behind nginx: two instances of the seed's example behind
Debian's nginx as a reverse proxy, on loopback. While clients keep sending
requests through nginx, each instance in turn gets SIGTERM and is started
again (a rolling restart). No request may be lost.

usage: test_behind_nginx.py EVENT_TOGGLE
"""
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from e2e_support import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def wait_listening(port, proc=None, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"process on port {port} exited: {proc.communicate()}")
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on port {port}")


def start_instance(binary, port):
    proc = subprocess.Popen([binary, "--port", str(port), "--trusted-proxy", "127.0.0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_listening(port, proc)
    return proc


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    upstream bareasio {{
        server 127.0.0.1:{a} max_fails=0;
        server 127.0.0.1:{b} max_fails=0;
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://bareasio;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"""


def main():
    binary = sys.argv[1]
    workdir = tempfile.mkdtemp(prefix="bareasio-nginx-")
    ports = {"a": free_port(), "b": free_port()}
    front = free_port()
    with open(os.path.join(workdir, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF.format(dir=workdir, a=ports["a"], b=ports["b"], port=front))
    instances = {name: start_instance(binary, port) for name, port in ports.items()}
    nginx = subprocess.Popen([NGINX, "-e", os.path.join(workdir, "error.log"), "-p", workdir,
                              "-c", os.path.join(workdir, "nginx.conf")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    failures = []
    counts = {"ok": 0, "lost": 0}
    lock = threading.Lock()
    stop = threading.Event()

    def client(n):
        conn = http.client.HTTPConnection("127.0.0.1", front, timeout=10)
        while not stop.is_set():
            try:
                conn.request("GET", "/")
                res = conn.getresponse()
                body = res.read()
                ok = res.status == 200 and b"<button" in body
            except (OSError, http.client.HTTPException) as e:
                ok, body = False, repr(e).encode()
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", front, timeout=10)
            with lock:
                if ok:
                    counts["ok"] += 1
                else:
                    counts["lost"] += 1
                    failures.append(f"client {n}: {body[:200]!r}")
        conn.close()

    try:
        wait_listening(front, nginx)
        threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        restart_ms = {}
        for name in ("a", "b"):
            started = time.monotonic()
            instances[name].send_signal(signal.SIGTERM)
            out, err = instances[name].communicate(timeout=30)
            if instances[name].returncode != 0:
                failures.append(f"instance {name} exited {instances[name].returncode}: {err}")
            instances[name] = start_instance(binary, ports[name])
            restart_ms[name] = round((time.monotonic() - started) * 1000)
            time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
    finally:
        stop.set()
        nginx.send_signal(signal.SIGQUIT)
        try:
            nginx.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            nginx.kill()
        for proc in instances.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.communicate(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"rolling restart behind nginx: {counts['ok']} requests answered, "
          f"{counts['lost']} lost; restart took {restart_ms} ms per instance")
    if counts["ok"] < 20:
        failures.append(f"too little load went through: {counts['ok']} requests")
    for f in failures[:20]:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
