#!/bin/sh
# https.sh BINARY - `repodigest digest` over HTTPS against a real nginx on
# 127.0.0.1 (scripts/test-nginx, test CA made at test time), musl and ASan
# builds: archive URLs with Content-Length and chunked bodies, a same-host
# redirect on one kept-alive connection, the GitHub flow (API redirect to
# codeload) with a token that reaches the API host only, 404 (the GitHub hint
# for the API, not for a mirror) / 429 / redirect
# loop / untrusted CA / stalled and truncating servers, file:// URLs.
# Every digest must equal gitingest's golden output byte for byte.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
. tests/integration/nginx.inc

EXP=tests/data/gitingest/expected
BUILD=$(dirname "$BIN")
BINS="$BIN $BUILD/asan/repodigest"
for b in $BINS; do [ -x "$b" ] || { bad "missing $b"; finish; exit 1; }; done

NGINX_TTL=300 nginx_up
P=$NGINX_PORT
bash tests/data/gitingest/make-fixtures.sh --tar "$W/fx" >/dev/null
mkdir -p "$NGINX_WWW/gh/RepoDigest" "$NGINX_WWW/chunked"
for f in basic mixed symlinks; do
	cp "$W/fx/$f.tar.gz" "$NGINX_WWW/$f.tar.gz"
	cp "$W/fx/$f.tar.gz" "$NGINX_WWW/chunked/$f.tar.gz"
	cp "$W/fx/$f.tar.gz" "$NGINX_WWW/gh/RepoDigest/$f.tar.gz"
done
R="--resolve test.invalid:$P:127.0.0.1 --resolve api.test.invalid:$P:127.0.0.1 --resolve codeload.test.invalid:$P:127.0.0.1"
CA="--cacert $NGINX_CA"
TOKEN=tok-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

# A listener that accepts and then says nothing, and one that promises 10000
# bytes, sends 100 and hangs up. Both stop by themselves.
python3 - "$W/stall.port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
s.settimeout(60)
end = time.time() + 60
conns = []
while time.time() < end:
    try: conns.append(s.accept()[0])
    except Exception: break
PY
PIDS="$PIDS $!"
python3 - "$W/trunc.port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
s.settimeout(60)
for _ in range(4):
    try: c = s.accept()[0]
    except Exception: break
    c.settimeout(5)
    try: c.recv(65536)
    except Exception: pass
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n" + b"\x1f\x8b" + b"x" * 98)
    c.close()
PY
PIDS="$PIDS $!"
i=0; while [ $i -lt 50 ] && { [ ! -s "$W/stall.port" ] || [ ! -s "$W/trunc.port" ]; }; do sleep 0.1; i=$((i + 1)); done
SP=$(cat "$W/stall.port"); TP=$(cat "$W/trunc.port")

for B in $BINS; do
	tag=$(basename "$(dirname "$B")")/$(basename "$B")
	# archive URLs: Content-Length and chunked bodies
	for f in basic mixed symlinks; do
		expect_ok "$tag $f (Content-Length)" "$B" digest -q $R $CA --repo RepoDigest/$f "https://test.invalid:$P/$f.tar.gz" &&
			{ cmp -s "$W/out" "$EXP/$f/remote-digest.txt" && ok || bad "$tag $f: digest differs"; }
		expect_ok "$tag $f (chunked)" "$B" digest -q $R $CA --repo RepoDigest/$f "https://test.invalid:$P/chunked/$f.tar.gz" &&
			{ cmp -s "$W/out" "$EXP/$f/remote-digest.txt" && ok || bad "$tag $f chunked: digest differs"; }
	done
	# by address (an S3 endpoint such as https://10.0.0.5:9000): the
	# certificate's IP:127.0.0.1 entry is what is checked
	expect_ok "$tag by address" "$B" digest -q $CA --repo RepoDigest/basic "https://127.0.0.1:$P/basic.tar.gz" &&
		{ cmp -s "$W/out" "$EXP/basic/remote-digest.txt" && ok || bad "$tag by address: digest differs"; }
	# a redirect on the same host reuses the connection (nginx's connection serial)
	: > "$NGINX_DIR/logs/test.log.mark"
	before=$(wc -l < "$NGINX_DIR/logs/test.log")
	expect_ok "$tag redirect" "$B" digest -q $R $CA --repo RepoDigest/basic "https://test.invalid:$P/redirect" &&
		{ cmp -s "$W/out" "$EXP/basic/remote-digest.txt" && ok || bad "$tag redirect: digest differs"; }
	# nginx logs a request once it has sent the response, which may be after
	# the client has read it all: up to 5 s for the second line
	i=0
	while :; do
		tail -n +$((before + 1)) "$NGINX_DIR/logs/test.log" > "$W/reqs"
		[ "$(grep -c '' "$W/reqs")" -lt 2 ] && [ $i -lt 50 ] || break
		sleep 0.1; i=$((i + 1))
	done
	if [ "$(grep -c '' "$W/reqs")" -eq 2 ] &&
	   [ "$(sed 's/.*conn=\([0-9]*\).*/\1/' "$W/reqs" | sort -u | grep -c '')" -eq 1 ]; then ok
	else bad "$tag keep-alive: $(cat "$W/reqs")"; fi

	# the GitHub flow: token to the API host only, then codeload without it
	: > "$NGINX_DIR/logs/api.log"; : > "$NGINX_DIR/logs/codeload.log"
	GITHUB_TOKEN=$TOKEN expect_ok "$tag github+token" "$B" digest -q $R $CA --api-url "https://api.test.invalid:$P" RepoDigest/basic &&
		{ cmp -s "$W/out" "$EXP/basic/remote-digest.txt" && ok || bad "$tag github: digest differs"; }
	grep -q "auth=\[token $TOKEN\]" "$NGINX_DIR/logs/api.log" && ok || bad "$tag: the API host did not get the token"
	grep -q "legacy.tar.gz/HEAD 200" "$NGINX_DIR/logs/codeload.log" && ok || bad "$tag: codeload not reached"
	grep -q "$TOKEN" "$NGINX_DIR/logs/codeload.log" && bad "$tag: TOKEN SENT TO ANOTHER HOST" || ok
	grep -q "$TOKEN" "$W/err" && bad "$tag: token in stderr" || ok
	# summary of a GitHub source: the remote flavour
	GITHUB_TOKEN=$TOKEN "$B" digest $R $CA --api-url "https://api.test.invalid:$P" RepoDigest/basic 2>"$W/sum" >/dev/null
	grep -q '^Repository: repodigest/basic$' "$W/sum" && grep -q '^Commit: [0-9a-f]\{40\}$' "$W/sum" && ok || bad "$tag github summary: $(cat "$W/sum")"
	# mirror template, no token
	expect_ok "$tag --archive-url" "$B" digest -q $R $CA --archive-url "https://codeload.test.invalid:$P/{owner}/{repo}/tar.gz/{ref}" RepoDigest/symlinks@main &&
		{ cmp -s "$W/out" "$EXP/symlinks/remote-digest.txt" && ok || bad "$tag mirror: digest differs"; }

	# failures: one clear line each, exit 1, bounded time
	# a mirror's 404 is only a 404: the GITHUB_TOKEN hint is GitHub's
	expect_fail "$tag 404" 1 "nope/tar.gz/HEAD: HTTP 404 not found (HTTP 404)" "$B" digest $R $CA \
		--archive-url "https://codeload.test.invalid:$P/{owner}/{repo}/tar.gz/{ref}" RepoDigest/nope
	GITHUB_TOKEN=$TOKEN expect_fail "$tag API 404" 1 "HTTP 404 not found (or private: set GITHUB_TOKEN)" "$B" digest $R $CA \
		--api-url "https://api.test.invalid:$P" RepoDigest/nope
	expect_fail "$tag 429" 1 "throttle: HTTP request throttled (408/429) (HTTP 429, retry after 7 s)" "$B" digest $R $CA "https://test.invalid:$P/throttle"
	expect_fail "$tag redirect loop" 1 "too many redirects" "$B" digest $R $CA "https://test.invalid:$P/loop"
	expect_fail "$tag untrusted" 1 "server certificate is untrusted" "$B" digest $R "https://test.invalid:$P/basic.tar.gz"
	expect_fail "$tag wrong name" 1 "does not match the host name" "$B" digest --resolve other.invalid:$P:127.0.0.1 $CA "https://other.invalid:$P/basic.tar.gz"
	s=$(date +%s)
	expect_fail "$tag stalled server" 1 "timed out" "$B" digest --timeout 2 "http://127.0.0.1:$SP/x.tar.gz"
	[ $(( $(date +%s) - s )) -le 10 ] && ok || bad "$tag stall: took too long"
	expect_fail "$tag truncated body" 1 "truncated body" "$B" digest "http://127.0.0.1:$TP/x.tar.gz"
	expect_ok "$tag file://" "$B" digest -q --repo RepoDigest/basic "file://$W/fx/basic.tar.gz" &&
		{ cmp -s "$W/out" "$EXP/basic/remote-digest.txt" && ok || bad "$tag file://: digest differs"; }
done
finish
