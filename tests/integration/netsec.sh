#!/bin/sh
# netsec.sh BINARY - connections and secrets against a real nginx on 127.0.0.1
# (scripts/test-nginx, test CA made at test time):
#   - deadlines: `run -j 1 --timeout 3` on a kept-alive mirror connection whose
#     downloads take ~2 s each (nginx limit_rate): every repository is stored,
#     since each request has its own deadline (the connection's first one
#     used to carry over, failing every second repository);
#   - GITHUB_TOKEN goes only over https to the API's exact origin: never to a
#     plain-http URL on the API's host (a mirror), never to an http --api-url;
#   - no URL secret is printed: credentials in a URL, a ?token= in an archive
#     or feed URL, in errors and in log lines (where the ": " between the
#     redacted URL and the cause stays);
#   - a ref is percent-encoded in API URLs ("a#b" is not "a");
#   - a 404 says "(or private: set GITHUB_TOKEN)" for GitHub only, not for a
#     mirror.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
. tests/integration/nginx.inc

NGINX_TTL=300 NGINX_SLOW_RATE=16384 nginx_up
P=$NGINX_PORT PP=$NGINX_PORT_PLAIN
R="--resolve test.invalid:$P:127.0.0.1 --resolve api.test.invalid:$P:127.0.0.1 \
--resolve codeload.test.invalid:$P:127.0.0.1 --resolve mirror.test.invalid:$P:127.0.0.1 \
--resolve api.test.invalid:$PP:127.0.0.1"
CA="--cacert $NGINX_CA"
TOKEN=tok-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
SECRET=sec-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
# a small GitHub-shaped tarball (top directory OWNER-REPO-SHA)
mkdir -p "$NGINX_WWW/gh/RepoDigest"
python3 - "$NGINX_WWW/basic.tar.gz" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz") as t:
    for name, data in (("README.md", b"# basic\n"), ("src/main.c", b"int main(void) { return 0; }\n")):
        ti = tarfile.TarInfo("RepoDigest-basic-0123456/" + name)
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
PY
cp "$NGINX_WWW/basic.tar.gz" "$NGINX_WWW/gh/RepoDigest/basic.tar.gz"
summary() { grep -o 'Pipeline complete: [^"]*' "$1" | tail -1; }

# ---------------------------------------------------------------- deadlines
# four repositories of ~40 KB of incompressible text each: at 16 KiB/s one
# download takes about 2 s, well inside --timeout 3 on its own, but two of
# them on one connection take longer than 3 s
python3 - "$NGINX_WWW/mirror" "$W/slow.json" <<'PY'
import base64, io, json, os, sys, tarfile
d, feed = sys.argv[1], sys.argv[2]
recs = []
for i in range(4):
    o, r = "slow", "repo-%d" % i
    os.makedirs(os.path.join(d, o), exist_ok=True)
    with tarfile.open(os.path.join(d, o, r + ".tar.gz"), "w:gz") as t:
        for name, data in (("README.md", b"# %s\n" % r.encode()),
                           ("pad.txt", base64.encodebytes(os.urandom(30000)))):
            ti = tarfile.TarInfo("%s-%s-0123456/%s" % (o, r, name))
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    recs.append({"owner": o, "name": r, "url": "https://github.com/%s/%s" % (o, r),
                 "pushedAt": "2025-03-0%dT00:00:00Z" % (i + 1)})
json.dump(recs, open(feed, "w"))
PY
LOG=$NGINX_DIR/logs/mirror.log
s=$(date +%s)
timeout 60 "$B" run "$W/slow.json" --out "$W/o-slow" -j 1 --timeout 3 $R $CA \
	--archive-url "https://mirror.test.invalid:$P/slow/{owner}/{repo}.tar.gz" \
	--state "$W/st-slow" --log-format json >"$W/slow.log" 2>&1
rc=$?
el=$(( $(date +%s) - s ))
[ $rc -eq 0 ] && ok || bad "slow mirror run: exit $rc: $(grep -m2 '"Failed"' "$W/slow.log")"
summary "$W/slow.log" | grep -q '^Pipeline complete: 4 total, 0 cached (0.0%), 4 processed, 0 failed' &&
	ok || bad "slow mirror: $(summary "$W/slow.log"); $(grep -m1 '"Failed"' "$W/slow.log")"
grep -q 'deadline passed' "$W/slow.log" && bad "slow mirror: a deadline passed early" || ok
grep -q '"Retrying"' "$W/slow.log" && bad "slow mirror: retried: $(grep -m1 '"Retrying"' "$W/slow.log")" || ok
# the premise: the downloads were slow (> 1 s each, from nginx's $msec) and
# at least two of them went over one kept-alive connection
python3 - "$LOG" <<'PY' && ok || bad "slow mirror premise: $(grep ' /slow/' "$LOG")"
import collections, sys
rows = [l.split() for l in open(sys.argv[1]) if " /slow/" in l]
ok = [r for r in rows if r[3] == "200"]
assert len(ok) >= 4, rows
conns = collections.Counter(r[4] for r in ok)
assert max(conns.values()) >= 2, conns
t = sorted(float(r[0]) for r in ok)
assert t[-1] - t[0] > 3, t        # four downloads, ~2 s each: the total outlasts --timeout
PY
[ $el -le 30 ] && ok || bad "slow mirror run took ${el}s"

# ---------------------------------------------------------------- the token
# an archive URL on the API's host over plain http: the request goes out, the
# token does not
: > "$NGINX_DIR/logs/plain.log"
GITHUB_TOKEN=$TOKEN timeout 30 "$B" digest -q $R $CA --api-url "https://api.test.invalid:$P" \
	--archive-url "http://api.test.invalid:$PP/gh/{owner}/{repo}.tar.gz" RepoDigest/basic >"$W/out" 2>"$W/err"
grep -q '/gh/RepoDigest/basic.tar.gz 200' "$NGINX_DIR/logs/plain.log" && ok ||
	bad "plain mirror not reached: $(cat "$NGINX_DIR/logs/plain.log") $(head -2 "$W/err")"
grep -q "$TOKEN" "$NGINX_DIR/logs/plain.log" && bad "TOKEN SENT OVER PLAIN HTTP to the API's host" || ok
# an http --api-url: whether the run refuses it or the request goes out,
# the token never travels in clear
: > "$NGINX_DIR/logs/plain.log"
printf '[{"owner":"RepoDigest","name":"basic","url":"https://github.com/RepoDigest/basic"}]' >"$W/one.json"
GITHUB_TOKEN=$TOKEN timeout 30 "$B" run "$W/one.json" --out "$W/o-plain" $R $CA \
	--api-url "http://api.test.invalid:$PP" --state "$W/st-plain" --log-format text >"$W/plain-run.log" 2>&1
grep -q "$TOKEN" "$NGINX_DIR/logs/plain.log" && bad "TOKEN SENT OVER PLAIN HTTP (--api-url http://)" || ok
grep -q "$TOKEN" "$W/plain-run.log" && bad "token in the run's output" || ok
# the GitHub flow still carries it to the API over https, and no further
: > "$NGINX_DIR/logs/api.log"; : > "$NGINX_DIR/logs/codeload.log"
GITHUB_TOKEN=$TOKEN expect_ok "token to the API" "$B" digest -q $R $CA --api-url "https://api.test.invalid:$P" RepoDigest/basic
grep -q "auth=\[token $TOKEN\]" "$NGINX_DIR/logs/api.log" && ok || bad "the API did not get the token: $(cat "$NGINX_DIR/logs/api.log")"
grep -q "$TOKEN" "$NGINX_DIR/logs/codeload.log" && bad "TOKEN SENT TO codeload" || ok

# ---------------------------------------------------------------- a ref is escaped
: > "$NGINX_DIR/logs/api.log"
GITHUB_TOKEN=$TOKEN expect_ok "ref a#b" "$B" digest -q $R $CA --api-url "https://api.test.invalid:$P" 'RepoDigest/basic@a#b'
grep -q '/repos/RepoDigest/basic/tarball/a%23b 302' "$NGINX_DIR/logs/api.log" && ok ||
	bad "ref a#b not escaped: $(cat "$NGINX_DIR/logs/api.log")"

# ---------------------------------------------------------------- no URL secret printed
expect_fail "credentials in a URL" 1 "credentials in URLs are not allowed" "$B" digest $R $CA \
	"https://user:$SECRET@test.invalid:$P/basic.tar.gz"
grep -q "$SECRET" "$W/err" && bad "the password is printed: $(cat "$W/err")" || ok
grep -q 'https://\*\*\*@test.invalid' "$W/err" && ok || bad "no redacted URL: $(cat "$W/err")"
expect_fail "404 with a query" 1 "HTTP 404" "$B" digest $R $CA "https://test.invalid:$P/nope.tar.gz?token=$SECRET"
grep -q "$SECRET" "$W/err" && bad "the query is printed: $(cat "$W/err")" || ok
grep -q 'nope.tar.gz?\*\*\*: HTTP 404 not found' "$W/err" && ok || bad "no redacted query: $(cat "$W/err")"
# the run's log line too: the query redacted, the ": " before the cause kept
printf '[{"owner":"RepoDigest","name":"nope","url":"https://github.com/RepoDigest/nope"}]' >"$W/nope-feed.json"
for fmt in json text; do
	timeout 60 "$B" run "$W/nope-feed.json" --out "$W/o-nope" $R $CA --state "$W/st-nope" --log-format $fmt \
		--archive-url "https://mirror.test.invalid:$P/mirror/{owner}/{repo}.tar.gz?token=$SECRET" >"$W/nope.log" 2>&1
	grep -q "mirror/RepoDigest/nope.tar.gz?\*\*\*: HTTP 404 not found" "$W/nope.log" && ok ||
		bad "$fmt: run's error line: $(grep -i fail "$W/nope.log" | head -2)"
	grep -q "$SECRET" "$W/nope.log" && bad "$fmt: the query is logged: $(grep "$SECRET" "$W/nope.log" | head -1)" || ok
done
# the feed URL in the run's log lines (JSON and text)
printf '[]' >"$NGINX_WWW/feed.json"
for fmt in json text; do
	timeout 30 "$B" run "https://test.invalid:$P/feed.json?token=$SECRET" --out "$W/o-feed" $R $CA \
		--state "$W/st-feed" --log-format $fmt >"$W/feed.log" 2>&1
	grep -q 'feed.json?\*\*\*' "$W/feed.log" && ok || bad "$fmt: feed URL not shown redacted: $(head -2 "$W/feed.log")"
	grep -q "$SECRET" "$W/feed.log" && bad "$fmt: the feed's token is logged: $(grep "$SECRET" "$W/feed.log" | head -2)" || ok
done
# a feed that cannot be parsed: the error line names it, redacted
printf 'not json' >"$NGINX_WWW/bad.json"
timeout 30 "$B" run "https://test.invalid:$P/bad.json?token=$SECRET" --out "$W/o-feed" $R $CA \
	--state "$W/st-feed" --log-format text >"$W/feed.log" 2>&1
grep -q 'bad.json?\*\*\*' "$W/feed.log" && ok || bad "bad feed: URL not shown redacted: $(head -3 "$W/feed.log")"
grep -q "$SECRET" "$W/feed.log" && bad "bad feed: the token is printed: $(grep "$SECRET" "$W/feed.log" | head -2)" || ok

# ---------------------------------------------------------------- the 404 hint
expect_fail "mirror 404" 1 "HTTP 404 not found" "$B" digest $R $CA \
	--archive-url "https://mirror.test.invalid:$P/mirror/{owner}/{repo}.tar.gz" RepoDigest/nope
grep -q 'GITHUB_TOKEN' "$W/err" && bad "a mirror's 404 mentions GITHUB_TOKEN: $(cat "$W/err")" || ok
GITHUB_TOKEN=$TOKEN expect_fail "API 404" 1 "(or private: set GITHUB_TOKEN)" "$B" digest $R $CA \
	--api-url "https://api.test.invalid:$P" RepoDigest/nope
finish
