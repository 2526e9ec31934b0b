#!/usr/bin/python3
# service_client.py - the independent clients tests/integration/service.sh
# drives against `repodigest serve`: Debian's python3-websockets 10.4 for the
# /ws messages (asyncio API, extra_headers=), http.client for concurrent
# POSTs and plain sockets for idle connections. Talks to 127.0.0.1 only;
# every wait has a timeout.
#
# Usage: service_client.py COMMAND PORT [ARGS]; prints "ok NAME" or
# "bad NAME: why" per check (service.sh counts them); exit 1 on any bad.
#   ws REPO [TOKEN]      subscribe (project "default", all jobs), POST a job
#                        for REPO, expect its messages in the original's shape
#                        and words, ending "completed" with progress 100
#   burst N REPOS...     N POSTs at once spread over REPOS: one job per repo
#   idle N               N idle connections held; /healthz still answers
#   badframes            malformed WebSocket frames get their close codes
import asyncio
import http.client
import json
import os
import socket
import struct
import sys
import threading
import time

import serve_client
from serve_client import bad, check, ok  # the same ok/bad lines and count

PORT = 0


def request(method, path, body=None, token=None, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    h = {}
    if body is not None:
        h["Content-Type"] = "application/json"
    if token:
        h["Authorization"] = "Bearer " + token
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


async def ws_case(repo, token):
    import websockets
    hdrs = {"Authorization": "Bearer " + token} if token else {}
    url = "ws://127.0.0.1:%d/ws" % PORT
    async with websockets.connect(url, extra_headers=hdrs, open_timeout=10,
                                  close_timeout=5) as ws:
        await ws.send(json.dumps({"action": "subscribe", "project": "default",
                                  "topics": ["github:progress"]}))
        m = json.loads(await asyncio.wait_for(ws.recv(), 10))
        check("ws subscribed", m.get("type") == "subscribed", repr(m))
        loop = asyncio.get_event_loop()
        st, body = await loop.run_in_executor(
            None, lambda: request("POST", "/v1/jobs", {"repo": repo}, token))
        check("ws: job posted", st in (200, 202), "%d %r" % (st, body[:200]))
        job = json.loads(body).get("jobId", "")
        seen = []
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                raw = await asyncio.wait_for(ws.recv(), deadline - time.time())
            except asyncio.TimeoutError:
                break
            m = json.loads(raw)
            d = m.get("data", {})
            if d.get("jobId") != job:
                continue
            seen.append(m)
            if d.get("status") in ("completed", "failed", "cancelled"):
                break
        words = [m["data"]["status"] for m in seen]
        check("ws: messages in the original's shape",
              seen and all(m.get("type") == "github:progress" and
                           isinstance(m.get("timestamp"), str) and
                           set(("jobId", "status", "progress", "phase",
                                "currentFile")) <= set(m["data"])
                           for m in seen), repr(seen[:2]))
        check("ws: the original's status words",
              words and words[0] == "pending" and "in_progress" in words and
              words[-1] == "completed" and
              not (set(words) & {"queued", "running"}), repr(words))
        check("ws: ends at progress 100",
              seen and seen[-1]["data"]["progress"] == 100,
              repr(seen[-1:]))
        prog = [m["data"]["progress"] for m in seen]
        check("ws: progress never goes back",
              all(a <= b for a, b in zip(prog, prog[1:])), repr(prog))


def cmd_ws(args):
    asyncio.get_event_loop().run_until_complete(
        ws_case(args[0], args[1] if len(args) > 1 else None))


def cmd_burst(args):
    n = int(args[0])
    repos = args[1:]
    ids = {}
    errs = []
    lock = threading.Lock()
    start = threading.Event()

    def one(i):
        repo = repos[i % len(repos)]
        start.wait(10)
        try:
            st, body = request("POST", "/v1/jobs", {"repo": repo}, timeout=30)
            j = json.loads(body)
            with lock:
                if st not in (200, 202):
                    errs.append("%d %r" % (st, body[:100]))
                else:
                    ids.setdefault(repo, set()).add(j["jobId"])
        except Exception as e:  # noqa: BLE001 - reported as a failure
            with lock:
                errs.append(repr(e))

    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    start.set()
    for t in ts:
        t.join(60)
    check("burst: every POST answered", not errs, repr(errs[:3]))
    check("burst: one job per repository",
          len(ids) == len(repos) and all(len(v) == 1 for v in ids.values()),
          repr({k: len(v) for k, v in ids.items()}))
    print("ids " + " ".join(sorted(next(iter(v)) for v in ids.values())))


def cmd_idle(args):
    n = int(args[0])
    socks = []
    for _ in range(n):
        socks.append(socket.create_connection(("127.0.0.1", PORT), timeout=10))
    t0 = time.time()
    worst = 0.0
    for _ in range(20):
        t = time.time()
        st, _ = request("GET", "/healthz")
        worst = max(worst, time.time() - t)
        if st != 200:
            bad("healthz while %d idle" % n, "status %d" % st)
            break
    took = time.time() - t0
    check("healthz while %d connections idle" % n, took < 5 and worst < 1,
          "20 requests in %.2f s, worst %.3f s" % (took, worst))
    for s in socks:
        s.close()


def cmd_badframes(args):
    # an unmasked client frame must be refused with close 1002
    s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        c = s.recv(4096)
        if not c:
            break
        head += c
    check("ws handshake", head.startswith(b"HTTP/1.1 101"), repr(head[:80]))
    s.sendall(b"\x81\x05hello")     # text, not masked
    data = b""
    try:
        while len(data) < 4:
            c = s.recv(4096)
            if not c:
                break
            data += c
    except socket.timeout:
        pass
    code = struct.unpack("!H", data[2:4])[0] if len(data) >= 4 and \
        data[0] == 0x88 else None
    check("unmasked frame: close 1002", code == 1002, repr(data[:16]))
    s.close()


def main():
    global PORT
    cmd, PORT = sys.argv[1], int(sys.argv[2])
    {"ws": cmd_ws, "burst": cmd_burst, "idle": cmd_idle,
     "badframes": cmd_badframes}[cmd](sys.argv[3:])
    sys.exit(1 if serve_client.FAILS else 0)


if __name__ == "__main__":
    main()
