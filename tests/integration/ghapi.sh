#!/bin/sh
# ghapi.sh - `repodigest serve` asks the GitHub API for a ref's commit
# (GET /repos/OWNER/REPO/commits/REF, the "sha" media type) at --api-url, here
# nginx over HTTPS on loopback (scripts/test-nginx: api.test.invalid answers
# with files, the mirror logs every download and the Authorization header):
#   - the job records the API's commit; a second job at the same commit is a
#     cache hit without a download; a new commit downloads
#   - an API that fails (404, GitHub's 403 of a used-up rate limit, an answer
#     that is not a commit id, a redirect to another host): the job downloads
#     from the mirror, never cached, and the log names the cause
#   - GITHUB_TOKEN goes over https to the --api-url origin only (README: the
#     token is sent there): nginx's $http_authorization shows it at the API and
#     never at the mirror or at the host a redirect names; a plain-http
#     --api-url is refused at start; the token is never in the log, the /v1
#     answers, the job table or the stored objects
# Usage: ghapi.sh BINARY (tests/run runs it for the musl build).
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
. tests/integration/nginx.inc
. tests/integration/svcrun.inc
NGINX_TTL=300 nginx_up curl python3 sqlite3 git
LOGS=$NGINX_DIR/logs
MIR=$NGINX_WWW/mirror
API=$NGINX_WWW/api

# a repository with two commits: the mirror's archive is at the commit the
# API names (git archive puts it in the pax header, as GitHub's does)
G=$W/repo
git init -q "$G" && printf 'one\n' >"$G/a.txt" && git -C "$G" add a.txt &&
    git -C "$G" -c user.name=t -c user.email=t@t.invalid commit -qm one ||
	{ bad "git: the test repository"; finish; exit 1; }
CA=$(git -C "$G" rev-parse HEAD)
printf 'two\n' >"$G/b.txt" && git -C "$G" add b.txt &&
    git -C "$G" -c user.name=t -c user.email=t@t.invalid commit -qm two || bad "git: second commit"
CB=$(git -C "$G" rev-parse HEAD)
mkdir -p "$MIR/acme" "$MIR/ratelimited" "$MIR/moved" "$API/acme/widget/commits" "$API/acme/garbage/commits"
archive() { # COMMIT OWNER/REPO
	git -C "$G" archive --format=tar.gz --prefix="widget-$1/" "$1" >"$MIR/$2.tar.gz"
}
archive "$CA" acme/widget
for r in acme/noapi acme/garbage ratelimited/widget moved/widget; do archive "$CA" "$r"; done
printf '%s\n' "$CA" >"$API/acme/widget/commits/HEAD"
printf '{"sha": [not json\n' >"$API/acme/garbage/commits/HEAD"

GT=ghp_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
NET="--resolve api.test.invalid:$NGINX_PORT:127.0.0.1 --resolve mirror.test.invalid:$NGINX_PORT:127.0.0.1 --resolve test.invalid:$NGINX_PORT:127.0.0.1 --cacert $NGINX_CA"
SRC="--archive-url https://mirror.test.invalid:$NGINX_PORT/mirror/{owner}/{repo}.tar.gz --api-url https://api.test.invalid:$NGINX_PORT"
unset REPODIGEST_API_TOKEN REPODIGEST_WEBHOOK_SECRET

GITHUB_TOKEN=$GT expect_fail "a plain-http --api-url" 2 'api-url' \
    "$B" serve --db "$W/x.db" --out "$W/x" --api-url "http://127.0.0.1:$NGINX_PORT_PLAIN"

OUT=$W/store
GITHUB_TOKEN=$GT start g --db "$W/g.db" --out "$OUT" $SRC $NET -j 1 || { finish; exit 1; }

# job NAME REPO: POST it, wait for its end (at most 30 s); the job in $W/job
job() {
	curl -sS --max-time 10 -o "$W/post" --json "{\"repo\":\"$2\"}" "$U/v1/jobs" 2>"$W/curl.err"
	id=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobId"])' "$W/post" 2>/dev/null)
	[ -n "$id" ] || { bad "$1: no job: $(head -c 300 "$W/post") $(cat "$W/curl.err")"; return 1; }
	i=0 st=
	while [ $i -lt 300 ]; do
		curl -sS --max-time 5 -o "$W/job" "$U/v1/jobs/$id" 2>/dev/null
		st=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$W/job" 2>/dev/null)
		case $st in completed|failed|cancelled) break ;; esac
		sleep 0.1; i=$((i + 1))
	done
	[ "$st" = completed ] && ok || bad "$1: job $id is $st: $(head -c 400 "$W/job")"
}
# field PATH: a field of $W/job ("result.cached")
field() {
	$PY -c 'import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    d = d.get(k) if isinstance(d, dict) else None
print(json.dumps(d) if not isinstance(d, str) else d)' "$W/job" "$1" 2>/dev/null
}
# downloads OWNER/REPO: the mirror's GETs of its archive so far
downloads() { grep -c "GET /mirror/$1.tar.gz 200 " "$LOGS/mirror.log"; }

# ------------------------------------------------------------ the API's commit
job "api: first job" acme/widget
[ "$(field result.commit)" = "$CA" ] && [ "$(field result.cached)" = false ] && ok ||
	bad "api: first job: commit $(field result.commit), cached $(field result.cached), want $CA, false"
grep -q "\"commit\": \"$CA\"" "$OUT/gitingest/acme/widget/summary.txt.meta" && ok ||
	bad "api: the sidecar lacks the commit: $(cat "$OUT/gitingest/acme/widget/summary.txt.meta")"
[ "$(downloads acme/widget)" = 1 ] && ok || bad "api: first job: $(downloads acme/widget) downloads, want 1"
job "api: same commit" acme/widget
[ "$(field result.cached)" = true ] && [ "$(field result.commit)" = "$CA" ] && ok ||
	bad "api: same commit not cached: $(head -c 400 "$W/job")"
[ "$(downloads acme/widget)" = 1 ] && ok || bad "api: a cached job downloaded: $(downloads acme/widget) downloads"
n=$(grep -c '/repos/acme/widget/commits/HEAD 200 ' "$LOGS/api.log")
[ "$n" = 2 ] && ok || bad "api: $n lookups of acme/widget, want 2"
# a push upstream: the API names a new commit, the mirror has its archive
archive "$CB" acme/widget
printf '%s\n' "$CB" >"$API/acme/widget/commits/HEAD"
job "api: new commit" acme/widget
[ "$(field result.cached)" = false ] && [ "$(field result.commit)" = "$CB" ] && ok ||
	bad "api: new commit: $(head -c 400 "$W/job")"
[ "$(downloads acme/widget)" = 2 ] && ok || bad "api: new commit: $(downloads acme/widget) downloads, want 2"
grep -q 'b\.txt' "$OUT/gitingest/acme/widget/summary.txt" && ok || bad "api: new commit: its file not in the digest"

# ------------------------------------------------------------ the API fails
# fails REPO WHY: the job downloads (not cached) and the log names WHY
fails() {
	before=$(downloads "$1")
	job "api fails ($2): job" "$1" || return
	[ "$(field result.cached)" = false ] && [ "$(downloads "$1")" = $((before + 1)) ] && ok ||
		bad "api fails ($2): cached $(field result.cached), $(downloads "$1") downloads"
	grep '"Commit lookup through the GitHub API failed: downloading"' "$W/g.log" |
	    grep "\"repo\":\"$1\"" | grep -q -- "$2" && ok ||
		bad "api fails ($2): no warning naming it: $(grep -i 'lookup' "$W/g.log" | tail -2)"
}
fails acme/noapi 'HTTP 404'
fails ratelimited/widget "HTTP 403 (the API's rate limit is used up)"
fails acme/garbage 'the answer is not a commit id'
fails moved/widget 'not a commit id'
grep -q '^api.test.invalid /repos/ratelimited/widget/commits/HEAD 403 ' "$LOGS/api.log" && ok ||
	bad "api: the rate-limited lookup not seen by nginx"

# ------------------------------------------------------------ the token
# at the API's origin, over https: present (README: sent there)
n=$(grep '/repos/acme/widget/commits/HEAD ' "$LOGS/api.log" | grep -c "auth=\[Bearer $GT\]")
[ "$n" = 3 ] && ok || bad "token: $n of 3 lookups carried it: $(head -3 "$LOGS/api.log")"
# the mirror (another host) and the host a redirect named: never
[ -s "$LOGS/mirror-auth.log" ] && ! grep -v 'auth=\[-\]$' "$LOGS/mirror-auth.log" | grep -q . && ok ||
	bad "token: the mirror received an Authorization header: $(grep -v 'auth=\[-\]$' "$LOGS/mirror-auth.log" | head -2)"
grep -q '^test.invalid /hello.txt 200 .* auth=\[-\]$' "$LOGS/test.log" &&
    ! grep -q "$GT" "$LOGS/test.log" && ok || bad "token: the redirect's host: $(cat "$LOGS/test.log")"
curl -sS --max-time 10 -o "$W/list" "$U/v1/jobs?limit=100"
grep -q '"jobId"' "$W/list" && ok || bad "token: no job list: $(head -c 200 "$W/list")"
stop "$PID" g
for f in "$W/g.log" "$W/list" "$W/g.db"; do
	grep -q "$GT" "$f" && bad "token: in $(basename "$f")" || ok
done
sqlite3 "$W/g.db" .dump >"$W/dump" 2>&1 && ! grep -q "$GT" "$W/dump" && ok || bad "token: in the job table"
grep -rq "$GT" "$OUT" && bad "token: in the stored objects" || ok
finish
