#!/bin/sh
# page.sh - the service's own page (GET /) in real browsers, the same steps
# in each (page_client.py): Debian's chromium, headless, driven by
# chromium-driver and python3-selenium, and Debian's firefox-esr, headless,
# driven over WebDriver BiDi (Firefox's own WebSocket: Debian has no
# geckodriver) with python3-websockets; against `repodigest serve` ingesting
# from nginx over HTTPS on 127.0.0.1:
#   - the assets with curl: gzip when accepted (and identity when not, the
#     same bytes), the Content-Security-Policy, nosniff, ETag and 304, no
#     token needed for the page while the data routes need it, the page's
#     compressed size within its budget
#   - in each browser, against a service of its own: a repository ingested
#     through the form, its bar to 100% and its row completed; a slow job's
#     bar with phase and bytes, cancelled from the page, retried, cancelled
#     again; counts by state; filters by state and repository; paging; a
#     search
#   - with a token, in each browser: the page without it shows the prompt and
#     no data; with it, the data, the token in sessionStorage only
#   - the schedule panel, in each browser: hidden without --feed (a flow
#     step); with `serve --feed` of two repositories, shown, its bar full
#     after the first pass
#   - each browser's network log: no request off the service's origin
# Screenshots of each step are saved in the test's temporary directory, one
# directory per browser (PAGE_SHOTS=DIR keeps them there instead).
# Usage: page.sh BINARY (tests/run runs it for the musl and ASan builds).
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
. tests/integration/nginx.inc
. tests/integration/svcrun.inc
CLIENT=tests/integration/page_client.py
SHOTS=${PAGE_SHOTS:-$W/shots}
mkdir -p "$SHOTS"
# the browsers' profiles in the test's directory too: gone with it, whatever
# stopped the browser
export TMPDIR="$W"
NGINX_TTL=600 NGINX_SLOW_RATE=4096 nginx_up curl python3 chromium chromium-driver python3-selenium firefox-esr
# One template, two speeds: OWNER "mirror" is nginx's /mirror/ (full speed),
# OWNER "slow" its /slow/ (the same files at NGINX_SLOW_RATE bytes/s).
M=$NGINX_WWW/mirror
mkdir -p "$W/src/hello-main/src" "$W/src/big-main"
printf '# hello\n\nA small repository for the page test.\n' >"$W/src/hello-main/README.md"
printf 'int quokka_lantern(void)\n{\n\treturn 42; /* quokka lantern */\n}\n' \
    >"$W/src/hello-main/src/quokka.c"
# 256 KiB that does not compress: about a minute at the slow rate
head -c 262144 /dev/urandom | od -An -tx1 | head -c 262144 >"$W/src/big-main/data.txt"
tar -C "$W/src" -czf "$M/hello.tar.gz" hello-main
tar -C "$W/src" -czf "$M/big.tar.gz" big-main
# paging: more jobs than the page's 20 a page
i=0; while [ $i -lt 22 ]; do cp "$M/hello.tar.gz" "$M/p$i.tar.gz"; i=$((i + 1)); done
ARGS="--archive-url https://mirror.test.invalid:$NGINX_PORT/{owner}/{repo}.tar.gz
    --resolve mirror.test.invalid:$NGINX_PORT:127.0.0.1 --cacert $NGINX_CA -j 2 --grace 1"

# hdr NAME PATTERN: the last response head ($W/head) has a line matching PATTERN
hdr() {
	tr -d '\r' <"$W/head" | grep -qi -- "$2" && ok || bad "$1: no '$2' in: $(tr -d '\r' <"$W/head" | head -12)"
}

# browser BROWSER COMMAND ARGS...: a page_client.py part in BROWSER
# (chromium or firefox; svcrun.inc's client) against the service on PORT,
# its screenshots in $SHOTS/BROWSER; with PAGE_SHOTS, its output is kept
# beside them
browser() {
	br=$1 cmd=$2; shift 2
	mkdir -p "$SHOTS/$br"
	client "$br/$cmd" 300 "$br" "$cmd" "$PORT" "$SHOTS/$br" "$@"
	[ "$cmd" = flow ] && echo "$br: $(sed -n 's/^browser //p' "$W/py.out")"
	[ -z "${PAGE_SHOTS:-}" ] || cp "$W/py.out" "$SHOTS/$br/$cmd.out"
}

# more jobs than the page's 20 a page, for paging, before the browser comes
paging_jobs() {
	i=0
	while [ $i -lt 22 ]; do
		curl -sS --max-time 10 -o /dev/null --json "{\"repo\":\"mirror/p$i\"}" "$U/v1/jobs"
		i=$((i + 1))
	done
}

unset REPODIGEST_API_TOKEN REPODIGEST_WEBHOOK_SECRET

# ------------------------------------------------------------ the assets
# shellcheck disable=SC2086 # ARGS: words
start a --db "$W/a.db" --out "$W/out" $ARGS || { finish; exit 1; }
A=$PID
for p in / /app.js /style.css; do
	curl -sS --max-time 10 -D "$W/head" -o "$W/$p.gz" -H 'Accept-Encoding: gzip' "$U$p" 2>"$W/curl.err"
	hdr "$p gzip" '^HTTP/1.1 200'
	hdr "$p gzip" '^Content-Encoding: gzip$'
	hdr "$p CSP" "^Content-Security-Policy: default-src 'self'; connect-src 'self' ws://127.0.0.1:$PORT wss://127.0.0.1:$PORT;"
	hdr "$p nosniff" '^X-Content-Type-Options: nosniff$'
	hdr "$p cache" '^Cache-Control: no-cache$'
	hdr "$p vary" '^Vary: Accept-Encoding$'
	tag=$(tr -d '\r' <"$W/head" | sed -n 's/^ETag: //p')
	curl -sS --max-time 10 -D "$W/head" -o "$W/$p.id" "$U$p" 2>>"$W/curl.err"
	hdr "$p identity" '^HTTP/1.1 200'
	tr -d '\r' <"$W/head" | grep -qi '^Content-Encoding' && bad "$p: coded without Accept-Encoding" || ok
	gzip -dc <"$W/$p.gz" | cmp -s - "$W/$p.id" && ok || bad "$p: gzip and identity differ"
	curl -sS --max-time 10 -D "$W/head" -o /dev/null -H 'Accept-Encoding: gzip' \
	    -H "If-None-Match: $tag" "$U$p" 2>>"$W/curl.err"
	hdr "$p revalidated" '^HTTP/1.1 304'
	tr -d '\r' <"$W/head" | grep -qi '^Content-Length' && bad "$p: 304 with a length" || ok
done
cmp -s "$W/.id" src/svc/page/index.html && cmp -s "$W/app.js.id" src/svc/page/app.js && ok ||
	bad "the page served is not src/svc/page"
grep -q '<script src="/app.js"' "$W/.id" && ! grep -qiE '<script>|<style|style=| on[a-z]+=' "$W/.id" && ok ||
	bad "index.html: inline script or style"
grep -qE 'https?://|//[a-z]' "$W/.id" "$W/app.js.id" "$W/style.css.id" &&
	bad "an absolute URL in the page: $(grep -hoE 'https?://[^ ]*' "$W/.id" "$W/app.js.id" | head -3)" || ok
sz=$(cat "$W/.gz" "$W/app.js.gz" "$W/style.css.gz" | wc -c)
[ "$sz" -gt 1000 ] && [ "$sz" -le 49152 ] && ok || bad "the page is $sz bytes compressed (budget 49152)"
echo "page: $sz bytes compressed, $(cat "$W/.id" "$W/app.js.id" "$W/style.css.id" | wc -c) identity"
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$U/favicon.ico")
[ "$code" = 404 ] && ok || bad "an unknown asset: $code"

# ------------------------------------------------------------ the browsers
# each against a service of its own: the steps count the rows they make
paging_jobs
browser chromium flow mirror/hello slow/big quokka
stop "$A" a
# shellcheck disable=SC2086 # ARGS: words
start f --db "$W/f.db" --out "$W/f-out" $ARGS || { finish; exit 1; }
F=$PID
paging_jobs
browser firefox flow mirror/hello slow/big quokka
stop "$F" f

# ------------------------------------------------------------ with a token
TOKEN=page-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
# shellcheck disable=SC2086
REPODIGEST_API_TOKEN=$TOKEN start b --db "$W/a.db" --out "$W/out" $ARGS || { finish; exit 1; }
B_PID=$PID
for p in / /app.js /style.css /healthz; do
	code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$U$p")
	[ "$code" = 200 ] && ok || bad "$p with a token set: $code, want 200 (open)"
done
for p in /v1/jobs /metrics "/v1/jobs?access_token=$TOKEN"; do
	code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$U$p")
	[ "$code" = 401 ] && ok || bad "$p without the header: $code, want 401"
done
browser chromium token "$TOKEN"
browser firefox token "$TOKEN"
grep -q "$TOKEN" "$W/b.log" && bad "the token in the log" || ok
stop "$B_PID" b

# ------------------------------------------------------------ the schedule panel
printf '[{"owner":"mirror","name":"hello","url":"https://github.com/mirror/hello","pushedAt":"2026-01-01T00:00:00Z"},
{"owner":"mirror","name":"p0","url":"https://github.com/mirror/p0","pushedAt":"2026-01-01T00:00:00Z"}]\n' >"$W/feed.json"
# shellcheck disable=SC2086
start c --db "$W/c.db" --out "$W/out-c" $ARGS --feed "$W/feed.json" --every 1h || { finish; exit 1; }
browser chromium schedule 2
browser firefox schedule 2
stop "$PID" c
for br in chromium firefox; do
	n=$(find "$SHOTS/$br" -name '*.png' | wc -l)
	[ "$n" -ge 10 ] && ok || bad "$br: screenshots: $n of 10"
done
finish
