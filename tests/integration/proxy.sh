#!/bin/sh
# proxy.sh BINARY - `repodigest digest` through a real HTTP proxy (Debian's
# tinyproxy, run in the foreground on 127.0.0.1 under timeout(1)) to a real
# nginx (scripts/test-nginx), musl and ASan builds:
#   - https through a CONNECT tunnel: the digest equals the direct one and
#     gitingest's golden; tinyproxy logs the CONNECT; a redirect reuses the
#     tunnel (one CONNECT, one nginx connection); GITHUB_TOKEN reaches the API
#     host through the tunnel and never the proxy's log
#   - http through HTTP_PROXY in absolute form (python3's http.server behind)
#   - `repodigest run` (the batch pipeline) through the tunnel
#   - NO_PROXY bypass leaves the proxy log untouched (names, ports, "*", CIDR blocks)
#   - a second tinyproxy with BasicAuth: 407 without credentials, a refusal
#     with wrong ones (tinyproxy answers 401 there), success with the right
#     ones; the password never appears in stdout, stderr or the proxy logs
#   - failures, one line naming the URL and the proxy, exit 1: proxy down,
#     403 (port not allowed), 5xx (target down), a proxy that hangs up,
#     https:// and socks5:// proxy URLs
#
# Names: test.invalid is pinned with --resolve. Through a tunnel the proxy
# does the connecting, so repodigest applies a pin for the *target* to the
# CONNECT line (CONNECT 127.0.0.1:PORT, as curl's --connect-to), while TLS
# still checks the name test.invalid; pins also apply to the proxy's own
# name. This keeps tinyproxy a stock proxy with no host-file tricks.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
. tests/integration/nginx.inc

# each case sets its own proxy variables; none may leak in from outside
# (the lower-case names would win over the ones set here)
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY no_proxy NO_PROXY
EXP=tests/data/gitingest/expected
BUILD=$(dirname "$BIN")
BINS="$BIN $BUILD/asan/repodigest"
for b in $BINS; do [ -x "$b" ] || { bad "missing $b"; finish; exit 1; }; done
NGINX_TTL=300 nginx_up tinyproxy python3
TINYPROXY=$(command -v tinyproxy || echo /usr/bin/tinyproxy)
P=$NGINX_PORT
bash tests/data/gitingest/make-fixtures.sh --tar "$W/fx" >/dev/null
mkdir -p "$NGINX_WWW/gh/RepoDigest"
cp "$W/fx/basic.tar.gz" "$NGINX_WWW/basic.tar.gz"
cp "$W/fx/basic.tar.gz" "$NGINX_WWW/gh/RepoDigest/basic.tar.gz"
R="--resolve test.invalid:$P:127.0.0.1 --resolve api.test.invalid:$P:127.0.0.1 --resolve codeload.test.invalid:$P:127.0.0.1"
CA="--cacert $NGINX_CA"
TOKEN=tok-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
PASS=pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

# free ports: two proxies, the plain http server, the hang-up proxy
set -- $(python3 -c '
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
PP=$1 PA=$2 HP=$3 HUP=$4

# tinyproxy NAME PORT [EXTRA]: a foreground proxy under a 300 s TTL
tinyproxy_start() {
	cat > "$W/$1.conf" <<EOF
Port $2
Listen 127.0.0.1
Timeout 30
LogFile "$W/$1.log"
LogLevel Info
MaxClients 16
Allow 127.0.0.1
ConnectPort $P
ConnectPort $NGINX_PORT_CLOSED
DisableViaHeader Yes
${3:-}
EOF
	timeout -s TERM 300 "$TINYPROXY" -d -c "$W/$1.conf" </dev/null >"$W/$1.out" 2>&1 &
	PIDS="$PIDS $!"
}
tinyproxy_start plain "$PP"
tinyproxy_start auth "$PA" "BasicAuth alice $PASS"
# plain http origin for HTTP_PROXY (absolute-form requests)
timeout -s TERM 300 python3 -m http.server --bind 127.0.0.1 --directory "$NGINX_WWW" "$HP" \
    </dev/null >"$W/http.out" 2>&1 &
PIDS="$PIDS $!"
# a "proxy" that reads the CONNECT and hangs up (tunnel closed), or, for
# junk.invalid, says 200 and sends bytes the target cannot have sent
python3 - "$HUP" <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); s.settimeout(60)
end = time.time() + 120
while time.time() < end:
    try: c = s.accept()[0]
    except Exception: break
    c.settimeout(5)
    try:
        if b"junk.invalid" in c.recv(65536):
            c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200 OK\r\n")
            time.sleep(0.5)
    except Exception: pass
    c.close()
PY
PIDS="$PIDS $!"
i=0
until python3 -c '
import socket, sys
for p in sys.argv[1:]:
    socket.create_connection(("127.0.0.1", int(p)), 1).close()' "$PP" "$PA" "$HP" "$HUP" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -ge 100 ]; then bad "proxies did not start: $(cat "$W"/*.out)"; finish; exit 1; fi
	sleep 0.1
done

PX=http://127.0.0.1:$PP
lines() { grep -c '' "$1"; }
since() { tail -n +$(($2 + 1)) "$1"; }       # since FILE LINES: what came after

for B in $BINS; do
	tag=$(basename "$(dirname "$B")")/$(basename "$B")
	URL=https://test.invalid:$P/basic.tar.gz

	# direct, then through the tunnel: the same digest, the golden one
	expect_ok "$tag direct" "$B" digest -q $R $CA --repo RepoDigest/basic "$URL" &&
		cp "$W/out" "$W/direct"
	t0=$(lines "$W/plain.log")
	HTTPS_PROXY=$PX expect_ok "$tag tunnel" "$B" digest -q $R $CA --repo RepoDigest/basic "$URL" &&
		{ cmp -s "$W/out" "$W/direct" && cmp -s "$W/out" "$EXP/basic/remote-digest.txt" && ok ||
			bad "$tag tunnel: digest differs"; }
	since "$W/plain.log" "$t0" > "$W/new"
	grep -q "Request (file descriptor [0-9]*): CONNECT 127.0.0.1:$P HTTP/1.1" "$W/new" && ok ||
		bad "$tag: no CONNECT in the proxy log: $(tail -5 "$W/new")"
	# lower-case name, and a redirect on one tunnel: one CONNECT, one
	# nginx connection for both requests
	t0=$(lines "$W/plain.log"); n0=$(lines "$NGINX_DIR/logs/test.log")
	https_proxy=$PX expect_ok "$tag tunnel keep-alive" "$B" digest -q $R $CA --repo RepoDigest/basic \
	    "https://test.invalid:$P/redirect" &&
		{ cmp -s "$W/out" "$W/direct" && ok || bad "$tag redirect via tunnel: digest differs"; }
	c=$(since "$W/plain.log" "$t0" | grep -c ': CONNECT ')
	since "$NGINX_DIR/logs/test.log" "$n0" > "$W/reqs"
	if [ "$c" -eq 1 ] && [ "$(lines "$W/reqs")" -eq 2 ] &&
	   [ "$(sed 's/.*conn=\([0-9]*\).*/\1/' "$W/reqs" | sort -u | grep -c '')" -eq 1 ]; then ok
	else bad "$tag tunnel reuse: $c CONNECTs; $(cat "$W/reqs")"; fi

	# --resolve applies to the proxy's own name as well
	t0=$(lines "$W/plain.log")
	HTTPS_PROXY=http://proxy.invalid:$PP expect_ok "$tag pinned proxy name" "$B" digest -q $R $CA \
	    --resolve "proxy.invalid:$PP:127.0.0.1" --repo RepoDigest/basic "$URL" &&
		{ cmp -s "$W/out" "$W/direct" && ok || bad "$tag pinned proxy name: digest differs"; }
	[ "$(lines "$W/plain.log")" -gt "$t0" ] && ok || bad "$tag pinned proxy name: the proxy was not used"

	# the GitHub flow through the tunnel: the token reaches the API host,
	# the proxy never sees it
	: > "$NGINX_DIR/logs/api.log"
	GITHUB_TOKEN=$TOKEN HTTPS_PROXY=$PX expect_ok "$tag github via proxy" "$B" digest -q $R $CA \
	    --api-url "https://api.test.invalid:$P" RepoDigest/basic &&
		{ cmp -s "$W/out" "$W/direct" && ok || bad "$tag github via proxy: digest differs"; }
	grep -q "auth=\[token $TOKEN\]" "$NGINX_DIR/logs/api.log" && ok || bad "$tag: the API host did not get the token"
	grep -q "$TOKEN" "$W/plain.log" "$W/plain.out" && bad "$tag: TOKEN IN THE PROXY LOG" || ok
	grep -q "$TOKEN" "$W/err" && bad "$tag: token in stderr" || ok

	# http:// through HTTP_PROXY: absolute-form, seen by the proxy
	t0=$(lines "$W/plain.log")
	HTTP_PROXY=$PX expect_ok "$tag http via proxy" "$B" digest -q --repo RepoDigest/basic \
	    "http://127.0.0.1:$HP/basic.tar.gz" &&
		{ cmp -s "$W/out" "$W/direct" && ok || bad "$tag http via proxy: digest differs"; }
	since "$W/plain.log" "$t0" | grep -q "Request (file descriptor [0-9]*): GET http://127.0.0.1:$HP/basic.tar.gz HTTP/1.1" &&
		ok || bad "$tag: no absolute-form GET in the proxy log"

	# NO_PROXY CIDR blocks, for a host given as an address: 127.0.0.0/8
	# goes direct, 10.0.0.0/8 does not cover it
	t0=$(lines "$W/plain.log")
	HTTP_PROXY=$PX NO_PROXY=10.0.0.0/8,127.0.0.0/8 expect_ok "$tag NO_PROXY CIDR" "$B" digest -q --repo RepoDigest/basic \
	    "http://127.0.0.1:$HP/basic.tar.gz" &&
		{ cmp -s "$W/out" "$W/direct" && ok || bad "$tag NO_PROXY CIDR: digest differs"; }
	[ "$(lines "$W/plain.log")" -eq "$t0" ] && ok || bad "$tag NO_PROXY=127.0.0.0/8: the proxy was used"
	HTTP_PROXY=$PX NO_PROXY=10.0.0.0/8 expect_ok "$tag NO_PROXY other block" "$B" digest -q --repo RepoDigest/basic \
	    "http://127.0.0.1:$HP/basic.tar.gz"
	[ "$(lines "$W/plain.log")" -gt "$t0" ] && ok || bad "$tag NO_PROXY=10.0.0.0/8 bypassed the proxy"

	# NO_PROXY: the proxy log does not move (domain suffix, then "*")
	for np in .invalid test.invalid:$P '*'; do
		t0=$(lines "$W/plain.log")
		HTTPS_PROXY=$PX NO_PROXY=$np expect_ok "$tag NO_PROXY=$np" "$B" digest -q $R $CA --repo RepoDigest/basic "$URL" &&
			{ cmp -s "$W/out" "$W/direct" && ok || bad "$tag NO_PROXY=$np: digest differs"; }
		[ "$(lines "$W/plain.log")" -eq "$t0" ] && ok || bad "$tag NO_PROXY=$np: the proxy was used"
	done
	# an entry for another port does not bypass
	t0=$(lines "$W/plain.log")
	HTTPS_PROXY=$PX no_proxy=test.invalid:1 expect_ok "$tag no_proxy other port" "$B" digest -q $R $CA "$URL"
	[ "$(lines "$W/plain.log")" -gt "$t0" ] && ok || bad "$tag no_proxy=test.invalid:1 bypassed the proxy"

	# BasicAuth: 407 without credentials or with wrong ones, fine with them
	HTTPS_PROXY=http://127.0.0.1:$PA expect_fail "$tag 407" 1 \
	    "basic.tar.gz: proxy authentication required or refused (proxy http://127.0.0.1:$PA answered 407 Proxy Authentication Required, no credentials in its URL)" \
	    "$B" digest $R $CA "$URL"
	HTTPS_PROXY=http://alice:wrong-$PASS@127.0.0.1:$PA expect_fail "$tag 407 wrong password" 1 \
	    "proxy authentication required or refused (proxy http://127.0.0.1:$PA answered 40[17] .*credentials refused)" \
	    "$B" digest $R $CA "$URL"
	grep -q "$PASS" "$W/out" "$W/err" && bad "$tag: password in output" || ok
	HTTPS_PROXY=http://alice:$PASS@127.0.0.1:$PA expect_ok "$tag proxy credentials" "$B" digest $R $CA \
	    --repo RepoDigest/basic "$URL" &&
		{ cmp -s "$W/out" "$W/direct" && ok || bad "$tag with proxy credentials: digest differs"; }
	grep -q "$PASS" "$W/out" "$W/err" && bad "$tag: password in output" || ok
	# a bad proxy URL with a password in it: the error names the variable only
	HTTPS_PROXY=socks5://alice:$PASS@127.0.0.1:$PA expect_fail "$tag socks5 proxy" 1 \
	    "basic.tar.gz: unsupported proxy scheme (http:// only) (HTTPS_PROXY)" "$B" digest $R $CA "$URL"
	grep -q "$PASS" "$W/out" "$W/err" && bad "$tag: password in the socks5 error" || ok
	HTTPS_PROXY=https://127.0.0.1:$PP expect_fail "$tag https proxy" 1 \
	    "unsupported proxy scheme (http:// only) (HTTPS_PROXY)" "$B" digest $R $CA "$URL"
	https_proxy=http://127.0.0.1:$PP/x expect_fail "$tag proxy URL with a path" 1 \
	    "malformed proxy URL (want http://HOST\[:PORT\], optionally USER:PASS@HOST) (https_proxy)" "$B" digest $R $CA "$URL"

	# failures naming the URL and the proxy
	HTTPS_PROXY=http://127.0.0.1:$NGINX_PORT_CLOSED expect_fail "$tag proxy down" 1 \
	    "basic.tar.gz: connection refused (.*via proxy http://127.0.0.1:$NGINX_PORT_CLOSED)" "$B" digest $R $CA "$URL"
	HTTPS_PROXY=$PX expect_fail "$tag 403" 1 \
	    "test.invalid:$NGINX_PORT_WRONG/basic.tar.gz: proxy refused the tunnel (proxy $PX answered 403 " \
	    "$B" digest --resolve "test.invalid:$NGINX_PORT_WRONG:127.0.0.1" $CA "https://test.invalid:$NGINX_PORT_WRONG/basic.tar.gz"
	HTTPS_PROXY=$PX expect_fail "$tag target down" 1 \
	    "test.invalid:$NGINX_PORT_CLOSED/basic.tar.gz: proxy could not reach the server (proxy $PX answered 5" \
	    "$B" digest --resolve "test.invalid:$NGINX_PORT_CLOSED:127.0.0.1" $CA "https://test.invalid:$NGINX_PORT_CLOSED/basic.tar.gz"
	HTTPS_PROXY=http://127.0.0.1:$HUP expect_fail "$tag tunnel closed" 1 \
	    "basic.tar.gz: proxy closed the connection (proxy http://127.0.0.1:$HUP)" "$B" digest $R $CA "$URL"
	HTTPS_PROXY=http://127.0.0.1:$HUP expect_fail "$tag bytes after 200" 1 \
	    "junk.invalid/x.tar.gz: proxy sent data after its CONNECT answer (proxy http://127.0.0.1:$HUP)" \
	    "$B" digest "https://junk.invalid/x.tar.gz"
	# the TLS checks still run inside the tunnel
	HTTPS_PROXY=$PX expect_fail "$tag untrusted via proxy" 1 \
	    "server certificate is untrusted .*via proxy $PX" "$B" digest $R "$URL"
done

# the batch run honours the proxy too (its fetch clients get the same
# settings): one repository from a mirror template, through the tunnel
printf '[{"owner": "RepoDigest", "name": "basic", "url": "https://github.com/RepoDigest/basic", "pushedAt": "2025-01-01T00:00:00Z"}]\n' > "$W/feed.json"
t0=$(lines "$W/plain.log")
HTTPS_PROXY=$PX expect_ok "run via proxy" "$BIN" run "$W/feed.json" --out "$W/ro" --state "$W/rs" -j 1 $R $CA \
    --archive-url "https://codeload.test.invalid:$P/{owner}/{repo}/tar.gz/{ref}"
grep -q 'Pipeline complete: 1 total, 0 cached (0.0%), 1 processed, 0 failed' "$W/out" && ok ||
	bad "run via proxy: $(grep -o 'Pipeline complete: [^"]*' "$W/out")"
[ -s "$W/ro/gitingest/RepoDigest/basic/summary.txt" ] && ok || bad "run via proxy: no object"
since "$W/plain.log" "$t0" | grep -q ": CONNECT 127.0.0.1:$P HTTP/1.1" && ok || bad "run: no CONNECT in the proxy log"

grep -q "$PASS" "$W/auth.log" "$W/plain.log" && bad "password in a proxy log" || ok
finish
