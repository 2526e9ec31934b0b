#!/usr/bin/python3
# serve_client.py - the independent clients tests/integration/serve.sh drives
# against the probe server (tests/integration/serve_probe.c): raw sockets for
# malformed HTTP and WebSocket frames, Debian's python3-websockets 10.4 for
# real WebSocket sessions (asyncio API, extra_headers=), http.client for
# plain requests. Talks to 127.0.0.1 only; every wait has a timeout.
#
# Usage: serve_client.py COMMAND PORT [ARGS]; prints "ok NAME" or
# "bad NAME: why" per check (serve.sh counts them); exit 1 on any bad.
import asyncio
import base64
import hashlib
import hmac
import http.client
import json
import os
import socket
import struct
import sys
import time

PORT = 0
FAILS = 0


def ok(name):
    print("ok " + name, flush=True)


def bad(name, why):
    global FAILS
    FAILS += 1
    print("bad %s: %s" % (name, why), flush=True)


def check(name, cond, why=""):
    if cond:
        ok(name)
    else:
        bad(name, why)


def conn(timeout=10):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
    return s


LEFT = {}


def read_response(s, limit=1 << 20):
    """Status, head text and body of one response (Content-Length or
    close); bytes after it are kept for the next call on s."""
    data = LEFT.pop(s, b"")
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > limit:
            break
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split(" ")[1])
    except (IndexError, ValueError):
        return 0, head.decode("latin-1"), b""
    n = None
    for l in lines[1:]:
        k, _, v = l.partition(":")
        if k.strip().lower() == "content-length":
            n = int(v.strip())
    while n is not None and len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    if n is not None and len(rest) > n:
        LEFT[s] = rest[n:]
        rest = rest[:n]
    return status, head.decode("latin-1"), rest


def closed(s, timeout=5):
    """True if the server closes s (EOF or reset) within timeout."""
    s.settimeout(timeout)
    try:
        while True:
            if not s.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def get(path, headers=None, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r, body


# ---------------------------------------------------------------- raw HTTP

H = "Host: a\r\n"
RAW = [
    ("bad request line", "GET /\r\n" + H + "\r\n", 400),
    ("nul in a field", "GET /healthz HTTP/1.1\r\n" + H + "X: a\0b\r\n\r\n", 400),
    ("obs-fold", "GET /healthz HTTP/1.1\r\n" + H + "X: a\r\n b\r\n\r\n", 400),
    ("content-length with chunked",
     "POST /test/echo HTTP/1.1\r\n" + H + "Content-Length: 3\r\n"
     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("two content-lengths",
     "POST /test/echo HTTP/1.1\r\n" + H + "Content-Length: 3\r\n"
     "Content-Length: 4\r\n\r\nabcd", 400),
    ("bare lf", "GET /healthz HTTP/1.1\n" + H + "\n", 400),
    ("space before colon", "GET /healthz HTTP/1.1\r\nHost : a\r\n\r\n", 400),
    ("no host", "GET /healthz HTTP/1.1\r\n\r\n", 400),
    ("http/2", "GET /healthz HTTP/2.0\r\n" + H + "\r\n", 505),
    ("gzip coding", "POST /test/echo HTTP/1.1\r\n" + H +
     "Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
    ("expectation", "POST /test/echo HTTP/1.1\r\n" + H +
     "Expect: magic\r\nContent-Length: 1\r\n\r\nx", 417),
    ("long target", "GET /" + "a" * 5000 + " HTTP/1.1\r\n" + H + "\r\n", 414),
    ("large head", "GET /healthz HTTP/1.1\r\n" + H +
     "".join("X-%d: %s\r\n" % (i, "v" * 200) for i in range(100)) + "\r\n",
     431),
    ("too many fields", "GET /healthz HTTP/1.1\r\n" + H +
     "".join("X-%d: v\r\n" % i for i in range(70)) + "\r\n", 431),
    ("bad chunk", "POST /test/echo HTTP/1.1\r\n" + H +
     "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    ("body over the route's limit", "POST /test/echo HTTP/1.1\r\n" + H +
     "Content-Length: 70000\r\n\r\n", 413),
    ("chunked over the limit", "POST /test/echo HTTP/1.1\r\n" + H +
     "Transfer-Encoding: chunked\r\n\r\n" + ("8000\r\n" + "y" * 0x8000 +
                                            "\r\n") * 3, 413),
]


def cmd_raw(args):
    for name, req, want in RAW:
        s = conn()
        s.sendall(req.encode("latin-1"))
        st, head, body = read_response(s)
        check("raw " + name, st == want and b'"error"' in body,
              "status %d want %d: %r" % (st, want, body[:200]))
        # a refused request ends its connection; other clients go on
        check("raw " + name + ": closed", closed(s), "left open")
        s.close()
    st, _, body = get("/healthz")
    check("raw: others unharmed", st == 200, "healthz %d" % st)

    # pipelining: three requests in one write, three answers in order
    s = conn()
    s.sendall(("GET /v1/jobs/p1 HTTP/1.1\r\n" + H + "\r\n"
               "GET /v1/jobs/p2 HTTP/1.1\r\n" + H + "\r\n"
               "GET /v1/jobs/p3 HTTP/1.1\r\n" + H +
               "Connection: close\r\n\r\n").encode())
    got = []
    for _ in range(3):
        st, head, body = read_response(s)
        got.append(json.loads(body or b"{}").get("jobId"))
    check("pipelined answers in order", got == ["p1", "p2", "p3"], repr(got))
    check("pipelined: close honoured", closed(s), "left open")
    s.close()

    # a 404 on a kept-alive connection does not end it
    s = conn()
    s.sendall(("GET /nope HTTP/1.1\r\n" + H + "\r\nGET /healthz HTTP/1.1\r\n" +
               H + "\r\n").encode())
    st1, _, _ = read_response(s)
    st2, _, _ = read_response(s)
    check("keep-alive after 404", (st1, st2) == (404, 200), "%d %d" % (st1, st2))
    s.close()

    # HTTP/1.0 without keep-alive: answered, then closed
    s = conn()
    s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
    st, head, _ = read_response(s)
    check("http/1.0", st == 200 and "Connection: close" in head, head)
    check("http/1.0 closed", closed(s), "left open")
    s.close()

    # Expect: 100-continue: the interim answer, then the real one
    s = conn()
    s.sendall(("POST /test/echo HTTP/1.1\r\n" + H +
               "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n").encode())
    s.settimeout(5)
    interim = s.recv(4096)
    s.sendall(b"hello")
    st, _, body = read_response(s)
    check("100-continue", interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
          and st == 200 and json.loads(body) == {"bytes": 5},
          "%r %d %r" % (interim, st, body))
    s.close()

    # chunked body in odd pieces, with an extension and a trailer
    s = conn()
    s.sendall(("POST /test/echo HTTP/1.1\r\n" + H +
               "Transfer-Encoding: chunked\r\n\r\n").encode())
    for piece in [b"3;x=y\r\nab", b"c\r\n1", b"0\r\n", b"0123456789abcdef\r\n",
                  b"0\r\nX-T: 1\r\n", b"\r\n"]:
        s.sendall(piece)
        time.sleep(0.02)
    st, _, body = read_response(s)
    check("chunked in pieces", st == 200 and json.loads(body) == {"bytes": 19},
          "%d %r" % (st, body))
    s.close()

    # HEAD: the head only, its Content-Length the GET's
    s = conn()
    s.sendall(("HEAD /healthz HTTP/1.1\r\n" + H + "\r\nGET /healthz HTTP/1.1\r\n"
               + H + "Connection: close\r\n\r\n").encode())
    s.settimeout(5)
    data = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        data += c
    check("HEAD without a body", data.count(b"HTTP/1.1 200") == 2 and
          data.count(b'{"status":"ok"}') == 1, repr(data))
    s.close()
    return FAILS == 0


def cmd_slowloris(args):
    request_ms, idle_ms = int(args[0]), int(args[1])
    # a head that never ends: 408 within the request deadline, then closed
    s = conn(timeout=request_ms / 1000 + 10)
    t0 = time.time()
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Slow: ")
    for _ in range(3):
        time.sleep(request_ms / 4000)
        try:
            s.sendall(b"x")
        except OSError:
            break
    st, _, body = read_response(s)
    took = time.time() - t0
    check("slowloris: 408", st == 408, "status %d" % st)
    check("slowloris: in time", request_ms / 1000 - 0.2 <= took <=
          request_ms / 1000 + 3, "%.2f s" % took)
    check("slowloris: closed", closed(s), "left open")
    s.close()
    # a body that stops coming: the same deadline
    s = conn(timeout=request_ms / 1000 + 10)
    s.sendall(b"POST /test/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n"
              b"\r\nabc")
    st, _, _ = read_response(s)
    check("slow body: 408", st == 408, "status %d" % st)
    s.close()
    # an idle keep-alive connection: closed without a word after idle_ms
    s = conn(timeout=idle_ms / 1000 + 10)
    t0 = time.time()
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    read_response(s)
    ok_closed = closed(s, idle_ms / 1000 + 5)
    took = time.time() - t0
    check("idle close", ok_closed and idle_ms / 1000 - 0.2 <= took <=
          idle_ms / 1000 + 3, "closed %s after %.2f s" % (ok_closed, took))
    s.close()
    # a handler that never answers: 503 after the handler deadline
    st, _, body = get("/test/never", timeout=30)
    check("handler timeout: 503", st == 503 and b"unavailable" in body,
          "%d %r" % (st, body))
    return FAILS == 0


# ---------------------------------------------------------------- WebSocket

def mask_frame(op, payload, fin=True, rsv=0, masked=True, length_form=None):
    b0 = (0x80 if fin else 0) | (rsv << 4) | op
    n = len(payload)
    m = 0x80 if masked else 0
    if length_form == 16 or (length_form is None and 125 < n < 65536):
        head = struct.pack("!BBH", b0, m | 126, n)
    elif length_form == 64 or (length_form is None and n >= 65536):
        head = struct.pack("!BBQ", b0, m | 127, n)
    else:
        head = struct.pack("!BB", b0, m | n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))


def read_head(s):
    """The head of what s receives (up to the blank line) and the rest."""
    data = b""
    while b"\r\n\r\n" not in data:
        c = s.recv(4096)
        if not c:
            break
        data += c
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def ws_raw(path="/ws", extra=""):
    s = conn()
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n%s\r\n" % (path, PORT, key, extra)
               ).encode())
    head, rest = read_head(s)
    want = base64.b64encode(hashlib.sha1(
        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
    return s, head, rest, want


def read_frames(s, rest=b"", timeout=5, until_close=True):
    """Frames (opcode, payload) until a close frame or EOF."""
    s.settimeout(timeout)
    buf = rest
    frames = []
    while True:
        while len(buf) >= 2:
            n = buf[1] & 0x7f
            at = 2
            if n == 126:
                if len(buf) < 4:
                    break
                n = struct.unpack("!H", buf[2:4])[0]
                at = 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n = struct.unpack("!Q", buf[2:10])[0]
                at = 10
            if len(buf) < at + n:
                break
            frames.append((buf[0] & 0x0f, buf[at:at + n]))
            buf = buf[at + n:]
            if frames[-1][0] == 8 and until_close:
                return frames
        try:
            c = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            return frames
        if not c:
            return frames
        buf += c


def close_code(frames):
    for op, p in frames:
        if op == 8:
            return struct.unpack("!H", p[:2])[0] if len(p) >= 2 else 1005
    return None


FRAMES = [
    ("unmasked frame", lambda: mask_frame(1, b"hi", masked=False), 1002),
    ("reserved bit", lambda: mask_frame(1, b"hi", rsv=4), 1002),
    ("reserved opcode", lambda: mask_frame(3, b""), 1002),
    ("ping of 126 bytes", lambda: mask_frame(9, b"x" * 126), 1002),
    ("fragmented ping", lambda: mask_frame(9, b"x", fin=False), 1002),
    ("continuation first", lambda: mask_frame(0, b"x"), 1002),
    ("text inside text", lambda: mask_frame(1, b"a", fin=False) +
     mask_frame(1, b"b"), 1002),
    ("non-minimal length", lambda: mask_frame(1, b"hello", length_form=16),
     1002),
    ("invalid utf-8", lambda: mask_frame(1, b"ok\xff"), 1007),
    ("utf-8 cut across fragments", lambda: mask_frame(1, b"\xe2", fin=False) +
     mask_frame(0, b"\x82"), 1007),
    ("message over the limit", lambda: mask_frame(1, b"a" * 70000), 1009),
    ("fragments over the limit", lambda: mask_frame(2, b"a" * 40000, fin=False)
     + mask_frame(0, b"a" * 40000), 1009),
    ("close code 1005", lambda: mask_frame(8, b"\x03\xed"), 1002),
    ("close reason not utf-8", lambda: mask_frame(8, b"\x03\xe8\xff"), 1007),
]


def cmd_frames(args):
    for name, make, want in FRAMES:
        s, head, rest, acc = ws_raw()
        if not head.startswith(b"HTTP/1.1 101") or acc not in head:
            bad("frames " + name, "handshake: %r" % head)
            continue
        s.sendall(make())
        code = close_code(read_frames(s, rest))
        check("frames " + name, code == want, "close %s want %d" % (code, want))
        check("frames " + name + ": closed", closed(s), "left open")
        s.close()
    # a clean close is echoed; a ping answered, also between fragments
    s, head, rest, acc = ws_raw()
    s.sendall(mask_frame(1, b"{\"action\":", fin=False) + mask_frame(9, b"hey") +
              mask_frame(0, b"\"subscribe\"}") + mask_frame(8, b"\x03\xe8bye"))
    fr = read_frames(s, rest)
    ops = [op for op, _ in fr]
    check("ping between fragments, then close echoed",
          (10, b"hey") in fr and ops[-1] == 8 and close_code(fr) == 1000 and
          any(op == 1 and b"subscribed" in p for op, p in fr), repr(fr))
    s.close()
    # handshakes refused
    for name, extra, path, want in [
            ("wrong version", None, "/ws", 426),
            ("no key", "nokey", "/ws", 400),
            ("cross-origin", "Origin: http://evil.example\r\n", "/ws", 403),
            ("plain GET on /ws", "plain", "/ws", 400)]:
        s = conn()
        if extra is None:
            req = ("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: "
                   "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n"
                   "\r\n")
        elif extra == "nokey":
            req = ("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n")
        elif extra == "plain":
            req = "GET /ws HTTP/1.1\r\nHost: a\r\n\r\n"
        else:
            s.close()
            s, head, rest, acc = ws_raw(path, extra)
            st = int(head.split(b" ")[1])
            check("handshake " + name, st == want, head.decode("latin-1"))
            s.close()
            continue
        s.sendall(req.encode())
        st, head, body = read_response(s)
        check("handshake " + name, st == want and
              (want != 426 or "Sec-WebSocket-Version: 13" in head),
              "%d %s" % (st, head))
        s.close()
    # same-origin (what a page of ours sends) is fine
    s, head, rest, acc = ws_raw("/ws", "Origin: http://127.0.0.1:%d\r\n" % PORT)
    check("handshake same origin", head.startswith(b"HTTP/1.1 101"), repr(head))
    s.close()
    return FAILS == 0


async def ws_session(token):
    import websockets
    url = "ws://127.0.0.1:%d/ws" % PORT
    hdrs = {}
    if token:
        url += "?access_token=" + token
    async with websockets.connect(url, extra_headers=hdrs, open_timeout=10,
                                  close_timeout=5) as ws:
        await ws.send(json.dumps({"action": "subscribe", "project": "default",
                                  "topics": ["github:progress"]}))
        r = json.loads(await asyncio.wait_for(ws.recv(), 10))
        check("ws subscribe answered", r.get("type") == "subscribed", repr(r))
        st, _, _ = get("/test/emit?n=5&job=w1&project=default" +
                       ("&access_token=" + token if token else ""),
                       headers={"Authorization": "Bearer " + token}
                       if token else None)
        check("emit accepted", st == 202, str(st))
        seqs = []
        for _ in range(5):
            m = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if m.get("type") != "github:progress":
                bad("ws event type", repr(m))
                break
            d = m["data"]
            seqs.append(d["seq"])
            if d["jobId"] != "w1" or d["status"] != "in_progress" or \
                    d["currentFile"] != 'src/"quoted"\n.c' or \
                    "timestamp" not in m:
                bad("ws event shape", repr(m))
        check("ws events in order", seqs == [0, 1, 2, 3, 4], repr(seqs))
        await ws.send("not json")
        r = json.loads(await asyncio.wait_for(ws.recv(), 10))
        check("ws bad message answered, connection kept",
              r.get("type") == "error" and "JSON" in r.get("message", ""),
              repr(r))
        await ws.send(json.dumps({"action": "subscribe", "topics": ["nope"]}))
        r = json.loads(await asyncio.wait_for(ws.recv(), 10))
        check("ws unknown topic named", r.get("type") == "error" and
              "topics" in r.get("message", ""), repr(r))
        pong = await ws.ping(b"p")
        await asyncio.wait_for(pong, 10)
        ok("ws ping answered")
        await ws.close()
        check("ws clean close", ws.close_code == 1000, str(ws.close_code))


def cmd_ws(args):
    token = args[0] if args else ""
    asyncio.run(ws_session(token))
    return FAILS == 0


async def ws_refused(token):
    import websockets
    try:
        async with websockets.connect("ws://127.0.0.1:%d/ws" % PORT,
                                      open_timeout=10):
            bad("ws without the token", "accepted")
    except websockets.exceptions.InvalidStatusCode as e:
        check("ws without the token", e.status_code == 401, str(e))
    # the token as a header works too (extra_headers=, websockets 10.4)
    async with websockets.connect(
            "ws://127.0.0.1:%d/ws" % PORT, open_timeout=10,
            extra_headers={"Authorization": "Bearer " + token}) as ws:
        await ws.send(json.dumps({"action": "subscribe"}))
        r = json.loads(await asyncio.wait_for(ws.recv(), 10))
        check("ws with a Bearer header", r.get("type") == "subscribed", repr(r))


def cmd_wsauth(args):
    asyncio.run(ws_refused(args[0]))
    return FAILS == 0


# ---------------------------------------------------------------- load

def cmd_idle(args):
    n = int(args[0])
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        socks.append(s)
    # a few bytes of a head on some: neither idle nor done
    for s in socks[: n // 10]:
        s.sendall(b"GET /healthz HTTP/1.1\r\n")
    t0 = time.time()
    worst = 0.0
    for _ in range(20):
        t = time.time()
        st, _, _ = get("/healthz")
        worst = max(worst, time.time() - t)
        if st != 200:
            bad("probe while %d idle" % n, "status %d" % st)
            break
    took = time.time() - t0
    check("probe while %d connections idle" % n, took < 5 and worst < 1,
          "20 requests in %.2f s, worst %.3f s" % (took, worst))
    st, r, body = get("/metrics")
    conns = [l for l in body.decode().splitlines()
             if l.startswith("probe_connections ")]
    check("all %d held" % n, conns and int(conns[0].split()[1]) >= n,
          repr(conns))
    for s in socks:
        s.close()
    return FAILS == 0


def cmd_cap(args):
    cap = int(args[0])
    socks = []
    for _ in range(cap):
        socks.append(socket.create_connection(("127.0.0.1", PORT), timeout=10))
    time.sleep(0.3)
    # the answer comes unasked, at accept (sending first could meet the
    # close and lose the answer to a reset)
    s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    st, _, body = read_response(s)
    check("over the connection cap: 503", st == 503 and
          b"too many connections" in body, "%d %r" % (st, body))
    s.close()
    for x in socks:
        x.close()
    time.sleep(0.3)
    st, _, _ = get("/healthz")
    check("below the cap again", st == 200, str(st))
    return FAILS == 0


async def slow_case(n, size):
    import websockets
    # the slow one: subscribes, then reads nothing, a small window
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect(("127.0.0.1", PORT))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % key).encode())
    s.sendall(mask_frame(1, json.dumps({"action": "subscribe",
                                        "jobId": "slow"}).encode()))
    time.sleep(0.3)
    async with websockets.connect("ws://127.0.0.1:%d/ws" % PORT,
                                  open_timeout=10, max_size=None,
                                  max_queue=None) as ws:
        await ws.send(json.dumps({"action": "subscribe", "jobId": "slow"}))
        await asyncio.wait_for(ws.recv(), 10)
        t0 = time.time()
        st, _, _ = get("/test/emit?n=%d&size=%d&job=slow&interval_us=100" %
                       (n, size))
        check("burst accepted", st == 202, str(st))
        seqs = []
        while len(seqs) < n:
            m = json.loads(await asyncio.wait_for(ws.recv(), 30))
            seqs.append(m["data"]["seq"])
        took = time.time() - t0
        check("a fast subscriber got all %d, in order" % n,
              seqs == list(range(n)), "%d events" % len(seqs))
        check("a fast subscriber kept up", took < 20, "%.1f s" % took)
    st, _, body = get("/metrics")
    drops = [l for l in body.decode().splitlines()
             if l.startswith("probe_dropped_slow_total")]
    check("the slow subscriber was dropped", drops and
          int(drops[0].split()[1]) >= 1, repr(drops))
    # what the slow one finds when it reads at last: its 101, events, 1008
    head, rest = read_head(s)
    check("slow subscriber: its handshake", head.startswith(b"HTTP/1.1 101"),
          repr(head[:100]))
    fr = read_frames(s, rest, timeout=10)
    code = close_code(fr)
    got = sum(1 for op, _ in fr if op == 1)
    check("slow subscriber: close 1008 after what it had",
          code == 1008 and got < n, "close %s after %d events" % (code, got))
    s.close()


def cmd_slow(args):
    asyncio.run(slow_case(int(args[0]), int(args[1])))
    return FAILS == 0


# ---------------------------------------------------------------- webhooks

def post_hook(body, event, sig):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    h = {"Content-Type": "application/json", "X-GitHub-Event": event,
         "X-GitHub-Delivery": "d-1"}
    if sig is not None:
        h["X-Hub-Signature-256"] = sig
    c.request("POST", "/v1/webhooks/github", body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def cmd_hook(args):
    secret = args[0].encode()

    def sign(b):
        return "sha256=" + hmac.new(secret, b, hashlib.sha256).hexdigest()
    ping = json.dumps({"zen": "Keep it logically awesome.",
                       "hook_id": 1}).encode()
    st, body = post_hook(ping, "ping", sign(ping))
    check("hook ping", st == 200 and json.loads(body).get("event") == "ping",
          "%d %r" % (st, body))
    push = json.dumps({
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
        "deleted": False,
        "repository": {"full_name": "octo/hello-world",
                       "default_branch": "main"},
        "commits": [{"id": "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
                     "message": "x" * 20000}],
    }).encode()
    st, body = post_hook(push, "push", sign(push))
    j = json.loads(body) if st == 202 else {}
    check("hook push verified and parsed", st == 202 and
          j.get("repository") == "octo/hello-world" and
          j.get("after") == "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3" and
          j.get("deleted") is False and j.get("defaultBranch") == "main",
          "%d %r" % (st, body[:300]))
    st, body = post_hook(push, "push", sign(push + b" "))
    check("hook bad signature", st == 401 and b"does not match" in body,
          "%d %r" % (st, body))
    st, body = post_hook(push + b" ", "push", sign(push))
    check("hook body changed", st == 401, "%d %r" % (st, body))
    st, body = post_hook(push, "push", None)
    check("hook unsigned", st == 401, "%d %r" % (st, body))
    st, body = post_hook(push, "push",
                         "sha1=" + hmac.new(secret, push, "sha1").hexdigest())
    check("hook sha1 only", st == 401, "%d %r" % (st, body))
    other = b'{"action":"opened"}'
    st, body = post_hook(other, "issues", sign(other))
    check("hook other event ignored", st == 202 and b"ignored" in body,
          "%d %r" % (st, body))
    bad_push = b'{"ref":"refs/heads/main","after":"zz"}'
    st, body = post_hook(bad_push, "push", sign(bad_push))
    check("hook bad payload named", st == 400 and b"repository.full_name" in body,
          "%d %r" % (st, body))
    return FAILS == 0


def cmd_nohook(args):
    b = b"{}"
    st, body = post_hook(b, "ping", "sha256=" + "0" * 64)
    check("hook without a secret: 404", st == 404, "%d %r" % (st, body))
    return FAILS == 0


# ---------------------------------------------------------------- shutdown

async def hold_until_close(ready):
    import websockets
    async with websockets.connect("ws://127.0.0.1:%d/ws" % PORT,
                                  open_timeout=10) as ws:
        await ws.send(json.dumps({"action": "subscribe"}))
        await asyncio.wait_for(ws.recv(), 10)
        with open(ready, "w") as f:
            f.write("ready\n")
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 20)
        except websockets.exceptions.ConnectionClosed:
            pass
        check("shutdown: close 1001 to WebSocket clients",
              ws.close_code == 1001, str(ws.close_code))


def cmd_shutdown(args):
    asyncio.run(hold_until_close(args[0]))
    return FAILS == 0


def main():
    global PORT
    cmd, PORT = sys.argv[1], int(sys.argv[2])
    fn = globals().get("cmd_" + cmd)
    if fn is None:
        print("usage: serve_client.py COMMAND PORT [ARGS]", file=sys.stderr)
        return 2
    try:
        fn(sys.argv[3:])
    except Exception as e:      # a crash is a failed check, with its cause
        bad(cmd, "%s: %s" % (type(e).__name__, e))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
