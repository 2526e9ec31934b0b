#!/bin/sh
# service.sh - `repodigest serve` end to end against independent clients on
# 127.0.0.1 (curl, python3-websockets, the sqlite3 shell), jobs from a
# file:// mirror and from nginx over HTTPS into a local directory:
#   - start: the listen rule (off loopback without the token: exit 2 naming
#     the variable), a bad mirror template (exit 2), the warning on loopback
#   - /v1 jobs: POST (three repo forms, formats, bad bodies), GET one and the
#     list (filters, paging), the stored objects, "cached" for a commit id
#     already stored, DELETE of a finished job (409), retry of a failed one
#   - the original routes: ingest answer, history (one project and "all")
#   - events: SSE of a finished job (snapshot, then the stream ends); /ws
#     messages in the original's shape and words while a job runs
#   - the table read by the sqlite3 shell while the server runs
#   - the token: 401 without it, Bearer, ?access_token for SSE, open health
#     routes, the token never in the log
#   - 413 over the body limit, an unmasked WebSocket frame (1002), 1,000 idle
#     connections
#   - a cancel mid-download (nginx's slow mirror): cancelled within a
#     generous bound, nothing stored
#   - the singleton under a burst: 100 POSTs for 20 repositories at once,
#     the mirror slow so none finishes: exactly 20 jobs
#   - SIGKILL mid-job: after a restart the job completes (attempt 2), its
#     object stored once; SIGTERM: exit 0
#   - into radosgw (tests/s3-server): objects stored, /readyz,
#     DELETE through signed S3 DELETEs, a wrong secret makes /readyz 503
# Usage: service.sh BINARY (tests/run runs it for the musl and ASan builds).
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
. tests/integration/nginx.inc
. tests/integration/svcrun.inc
CLIENT=tests/integration/service_client.py
NGINX_TTL=600 NGINX_SLOW_RATE=2048 nginx_up curl python3 python3-websockets sqlite3
FEED=tests/data/feeds/sample-repos.json
# the project's own files (the queries below search for their words)
MIRROR_FIXTURES=project scripts/make-mirror "$FEED" "$NGINX_WWW/mirror" >"$W/mm.log" 2>&1 ||
	{ bad "make-mirror: $(tail -3 "$W/mm.log")"; finish; exit 1; }
# 20 more repositories for the burst: copies of one archive
REPO=SampleAgency/hello-world
TGZ=$NGINX_WWW/mirror/$REPO.tar.gz
[ -f "$TGZ" ] || { bad "no $REPO in the mirror"; finish; exit 1; }
mkdir -p "$NGINX_WWW/mirror/burst"
i=0; while [ $i -lt 20 ]; do cp "$TGZ" "$NGINX_WWW/mirror/burst/r$i.tar.gz"; i=$((i + 1)); done
FILE="--archive-url file://$NGINX_WWW/mirror/{owner}/{repo}.tar.gz"
NET="--resolve mirror.test.invalid:$NGINX_PORT:127.0.0.1 --cacert $NGINX_CA"
HTTPS="--archive-url https://mirror.test.invalid:$NGINX_PORT/mirror/{owner}/{repo}.tar.gz"
SLOW="--archive-url https://mirror.test.invalid:$NGINX_PORT/slow/{owner}/{repo}.tar.gz"

# expect NAME WANT_STATUS PATTERN CURL_ARGS...: one request; body in $W/body
expect() {
	n=$1 want=$2 pat=$3; shift 3
	code=$(curl -sS -o "$W/body" -w '%{http_code}' --max-time 10 "$@" 2>"$W/curl.err")
	# shellcheck disable=SC2254 # WANT may be a pattern: 20[02]
	case $code in $want) code_ok=1 ;; *) code_ok=0 ;; esac
	if [ $code_ok -eq 0 ]; then
		bad "$n: status $code, want $want: $(head -c 300 "$W/body") $(cat "$W/curl.err")"
	elif ! grep -q -- "$pat" "$W/body"; then
		bad "$n: body lacks '$pat': $(head -c 300 "$W/body")"
	else
		ok
	fi
}

# jf FILE PATH: a field of a JSON document ("result.cached"), as JSON
jf() {
	$PY -c 'import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    d = d[int(k)] if isinstance(d, list) else d.get(k) if d is not None else None
print(json.dumps(d) if not isinstance(d, str) else d)' "$1" "$2" 2>/dev/null
}

# wait_job NAME ID WANT [SECS] [TOKEN]: poll until the job has ended (or
# WANT is "running": until it runs); the job in $W/job
wait_job() {
	n=$1 id=$2 want=$3 secs=${4:-30} tok=${5:-}
	i=0 st=
	while [ $i -lt $((secs * 10)) ]; do
		if [ -n "$tok" ]; then
			curl -sS --max-time 5 -H "Authorization: Bearer $tok" "$U/v1/jobs/$id" >"$W/job" 2>/dev/null
		else
			curl -sS --max-time 5 "$U/v1/jobs/$id" >"$W/job" 2>/dev/null
		fi
		st=$(jf "$W/job" status)
		case $st in
		completed|failed|cancelled) break ;;
		running) [ "$want" = running ] && [ "$(jf "$W/job" phase)" != null ] && break ;;
		esac
		sleep 0.1; i=$((i + 1))
	done
	[ "$st" = "$want" ] && ok || bad "$n: job $id is $st, want $want: $(head -c 400 "$W/job")"
}

# py NAME ARGS...: a service_client.py part (svcrun.inc's client)
py() {
	n=$1; shift
	client "$n" 150 "$@"
}

unset REPODIGEST_API_TOKEN REPODIGEST_WEBHOOK_SECRET

# ------------------------------------------------------------ start rules
expect_fail "off loopback without a token" 2 'REPODIGEST_API_TOKEN' \
    "$B" serve --listen 0.0.0.0:0 --db "$W/x.db" --out "$W/x"
expect_fail "a mirror template without a scheme" 2 'archive-url' \
    "$B" serve --db "$W/x.db" --out "$W/x" --archive-url 'ftp://m/{owner}/{repo}'
expect_fail "bad --listen" 2 'listen' "$B" serve --listen nonsense --db "$W/x.db"

# ------------------------------------------------------------ /v1 jobs
DB=$W/a.db OUT=$W/store
SECRET=hook-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
REPODIGEST_WEBHOOK_SECRET=$SECRET start a --db "$DB" --out "$OUT" $FILE -j 2 || { finish; exit 1; }
A=$PID
grep -q '"No REPODIGEST_API_TOKEN set' "$W/a.log" && ok || bad "no warning about the missing token"
expect_fail "a second server on the same table" 1 "^repodigest serve: $DB: database in use by another repodigest process" \
    "$B" serve --listen 127.0.0.1:0 --db "$DB" --out "$OUT"
printf 'not a database, just text\n' >"$W/text.db"
expect_fail "a file that is not a table" 1 "^repodigest serve: $W/text.db: " \
    "$B" serve --listen 127.0.0.1:0 --db "$W/text.db" --out "$OUT"
expect "healthz" 200 '"status":"ok"' "$U/healthz"
expect "readyz" 200 '"status":"ready"' "$U/readyz"
expect "job: posted" 202 '"status":"queued","repository":"SampleAgency/hello-world","ref":"HEAD","formats":\["full","chunks"\]' \
    --json "{\"repo\":\"https://github.com/$REPO\",\"formats\":[\"chunks\",\"full\"]}" "$U/v1/jobs"
ID=$(jf "$W/body" jobId)
wait_job "job: runs to the end" "$ID" completed
[ "$(jf "$W/job" result.objects)" = 2 ] && [ "$(jf "$W/job" result.cached)" = false ] &&
    [ "$(jf "$W/job" progress)" = 100 ] && [ "$(jf "$W/job" attempts)" = 1 ] && ok ||
	bad "job: result: $(head -c 600 "$W/job")"
[ -s "$OUT/gitingest/$REPO/summary.txt" ] && [ -s "$OUT/gitingest/$REPO/chunks.jsonl" ] &&
    [ -s "$OUT/gitingest/$REPO/summary.txt.meta" ] && ok || bad "job: objects not stored: $(find "$OUT" | head)"
COMMIT=$(jf "$W/job" result.commit)
case $COMMIT in [0-9a-f]*) ok ;; *) bad "job: no commit in the result: $COMMIT" ;; esac
# the same request again: a new job (the first has ended), downloaded again
# (no commit known without the API); a commit id: stored once, then cached
expect "job: by commit" 202 "\"ref\":\"$COMMIT\"" --json "{\"repo\":\"$REPO\",\"ref\":\"$COMMIT\"}" "$U/v1/jobs"
wait_job "job: by commit, first" "$(jf "$W/body" jobId)" completed
[ "$(jf "$W/job" result.cached)" = false ] && ok || bad "job: by commit, first: $(head -c 400 "$W/job")"
expect "job: by commit again" 202 "\"ref\":\"$COMMIT\"" --json "{\"repo\":\"$REPO\",\"ref\":\"$COMMIT\"}" "$U/v1/jobs"
wait_job "job: by commit, again" "$(jf "$W/body" jobId)" completed
[ "$(jf "$W/job" result.cached)" = true ] && ok || bad "job: by commit, again, not cached: $(head -c 400 "$W/job")"
[ -s "$OUT/gitingest/$REPO/@$COMMIT/summary.txt" ] && ok || bad "job: by commit: not under @COMMIT"
expect "job: index true adds chunks" 202 '"formats":\["full","chunks"\]' --json "{\"repo\":\"$REPO\",\"ref\":\"$COMMIT\",\"index\":true}" "$U/v1/jobs"
wait_job "job: index true" "$(jf "$W/body" jobId)" completed
expect "job: index not a boolean" 400 'index: want true or false' --json '{"repo":"o/r","index":1}' "$U/v1/jobs"
expect "job: bad repo" 400 '"message":"repo: ' --json '{"repo":"not a repo"}' "$U/v1/jobs"
expect "job: unknown field" 400 'formt: unknown field' --json '{"repo":"o/r","formt":["full"]}' "$U/v1/jobs"
expect "job: not JSON" 400 'want one JSON object' --json '{"repo":' "$U/v1/jobs"
expect "job: form-encoded" 415 'application/json' -d '{"repo":"o/r"}' "$U/v1/jobs"
head -c 70000 /dev/zero | tr '\0' 'a' >"$W/big"
expect "job: body over 64 KiB" 413 '"code":"body_too_large"' -H 'Content-Type: application/json' --data-binary @"$W/big" "$U/v1/jobs"
expect "job: unknown id" 404 '"code":"not_found"' "$U/v1/jobs/00000000-0000-4000-8000-000000000000"
expect "job: not an id" 404 'no such job' "$U/v1/jobs/abc"
expect "job: finished: DELETE is 409" 409 '"code":"conflict"' -X DELETE "$U/v1/jobs/$ID"
# a repository the mirror lacks: failed at once (not retryable), then retried
expect "job: missing repository" 202 '"status":"queued"' --json '{"repo":"nobody/missing","priority":3}' "$U/v1/jobs"
FID=$(jf "$W/body" jobId)
wait_job "job: missing repository fails" "$FID" failed
grep -q 'no such file' "$W/job" && ok || bad "job: failed without the cause: $(head -c 300 "$W/job")"
expect "retry" 202 "\"origin\":\"retry\"" -X POST "$U/v1/jobs/$FID/retry"
grep -q "\"retryOf\":\"$FID\"" "$W/body" && ok || bad "retry: no retryOf: $(head -c 300 "$W/body")"
wait_job "retry: fails again" "$(jf "$W/body" jobId)" failed
expect "retry of a completed job: 409" 409 'conflict' -X POST "$U/v1/jobs/$ID/retry"
# the list: newest first, filters, paging
expect "list" 200 '"jobs":\[' "$U/v1/jobs"
n=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["jobs"]))' "$W/body")
[ "$n" = 6 ] && ok || bad "list: $n jobs, want 6"
expect "list: status" 200 '"jobs":\[' "$U/v1/jobs?status=failed"
[ "$(grep -o '"status":"[a-z]*"' "$W/body" | sort -u)" = '"status":"failed"' ] && ok || bad "list: status filter: $(head -c 300 "$W/body")"
expect "list: repo" 200 '"jobs":\[' "$U/v1/jobs?repo=nobody/MISSING"
[ "$(grep -o '"jobId"' "$W/body" | wc -l)" = 2 ] && ok || bad "list: repo filter: $(head -c 300 "$W/body")"
expect "list: page 1" 200 '"next":[0-9]' "$U/v1/jobs?limit=4"
NEXT=$(jf "$W/body" next)
expect "list: page 2" 200 '"next":null' "$U/v1/jobs?limit=4&before=$NEXT"
[ "$(grep -o '"jobId"' "$W/body" | wc -l)" = 2 ] && ok || bad "list: page 2: $(head -c 300 "$W/body")"
expect "list: bad status" 400 'status: want' "$U/v1/jobs?status=done"
expect "list: bad limit" 400 'limit: want' "$U/v1/jobs?limit=0"
# the table as operators read it, while the server runs
out=$(sqlite3 "$DB" 'select state, count(*) from jobs group by 1 order by 1' 2>&1)
[ "$out" = "$(printf 'completed|4\nfailed|2')" ] && ok || bad "sqlite3: $out"

# ------------------------------------------------------------ the original routes
expect "ingest" 202 '"status":"queued","message":"GitHub ingest job queued","project":"p1","dataset":"ds1","repository":"SampleAgency/hello-world","branch":"HEAD","scope":"project"' \
    --json "{\"repo\":\"github.com/$REPO\",\"dataset\":\"ds1\"}" "$U/projects/p1/ingest/github"
wait_job "ingest: runs" "$(jf "$W/body" jobId)" completed
expect "history" 200 '"source":"github","project":"p1","dataset":"ds1","scope":"project","status":"completed"' "$U/projects/p1/ingest/history"
grep -q '"summary":"SampleAgency/hello-world (HEAD)"' "$W/body" && ok || bad "history: summary: $(head -c 300 "$W/body")"
[ "$(grep -o '"id"' "$W/body" | wc -l)" = 1 ] && ok || bad "history: one project's: $(head -c 300 "$W/body")"
expect "history: all" 200 '"status":"failed"' "$U/projects/all/ingest/history"
[ "$(grep -o '"id"' "$W/body" | wc -l)" = 7 ] && ok || bad "history: all: $(head -c 300 "$W/body")"
expect "ingest: bad project" 400 'project: want' --json "{\"repo\":\"$REPO\"}" "$U/projects/a%20b/ingest/github"

# DELETE by dataset: the objects and the index chunks no membership holds
# (a repository no other test's membership holds)
REPO2=burst/r0
expect "ingest p2" 202 '"project":"p2","dataset":"ds2"' --json "{\"repo\":\"$REPO2\",\"dataset\":\"ds2\"}" "$U/projects/p2/ingest/github"
wait_job "ingest p2: runs" "$(jf "$W/body" jobId)" completed
IX=$W/repodigest-index.db
nchunks=$(sqlite3 "$IX" "select count(*) from chunks c join files f on c.file_id = f.id join repos r on f.repo_id = r.id where r.project = 'p2'" 2>&1)
[ "${nchunks:-0}" -gt 0 ] 2>/dev/null && ok || bad "index: no chunks for p2: $nchunks"
# the query route against `repodigest query` on the same index
expect "query" 200 '"results":\[{"repo":"burst/r0"' --json '{"query":"tar archive","k":3}' "$U/projects/p2/query"
$PY -c 'import json,sys; [print(json.dumps(r, sort_keys=True)) for r in json.load(open(sys.argv[1]))["results"]]' "$W/body" >"$W/q.route"
"$B" query --index "$IX" --project p2 -k 3 --format json tar archive 2>"$W/q.err" |
    $PY -c 'import json,sys; [print(json.dumps(json.loads(l), sort_keys=True)) for l in sys.stdin]' >"$W/q.cli"
[ -s "$W/q.cli" ] && cmp -s "$W/q.route" "$W/q.cli" && ok || bad "query: route and CLI differ: $(diff "$W/q.route" "$W/q.cli" | head -c 400) $(cat "$W/q.err")"
expect "query /v1" 200 '"results":\[{' --json '{"query":"tar archive","k":3,"project":"p2"}' "$U/v1/query"
expect "query: k" 400 'k: want' --json '{"query":"x","k":0}' "$U/v1/query"
# per_file: the CLI's --per-file (the same answer), validated
expect "query: per_file" 200 '"results":\[{' --json '{"query":"tar archive","k":6,"per_file":1}' "$U/projects/p2/query"
$PY -c 'import json,sys; [print(json.dumps(r, sort_keys=True)) for r in json.load(open(sys.argv[1]))["results"]]' "$W/body" >"$W/q.route"
"$B" query --index "$IX" --project p2 -k 6 --per-file 1 --format json tar archive 2>"$W/q.err" |
    $PY -c 'import json,sys; [print(json.dumps(json.loads(l), sort_keys=True)) for l in sys.stdin]' >"$W/q.cli"
[ -s "$W/q.cli" ] && cmp -s "$W/q.route" "$W/q.cli" && ok || bad "query per_file: route and CLI differ: $(diff "$W/q.route" "$W/q.cli" | head -c 400) $(cat "$W/q.err")"
$PY -c 'import json,sys; p=[(r["repo"],r["path"]) for r in json.load(open(sys.argv[1]))["results"]]; sys.exit(len(p) != len(set(p)))' "$W/body" &&
    ok || bad "query per_file 1: a file twice: $(head -c 300 "$W/body")"
expect "query: per_file negative" 400 'per_file: want a whole number from 0 to 1000' --json '{"query":"x","per_file":-1}' "$U/v1/query"
expect "query: per_file a string" 400 'per_file: want' --json '{"query":"x","per_file":"2"}' "$U/v1/query"
expect "query: per_file a fraction" 400 'per_file: want' --json '{"query":"x","per_file":1.5}' "$U/v1/query"
expect "query: empty" 400 'query: want' --json '{"query":""}' "$U/v1/query"
expect "query: syntax is searched for" 200 '"results":' --json '{"query":"\" NEAR( * AND -"}' "$U/v1/query"
expect "delete: dataset" 200 "\"project\":\"p2\",\"dataset\":\"ds2\",\"repository\":null,\"deleted\":1,\"objectsDeleted\":2,\"chunksDeleted\":$nchunks" \
    -X DELETE --json '{"dataset":"ds2"}' "$U/projects/p2/ingest/github"
[ -e "$OUT/gitingest/$REPO2/chunks.jsonl" ] && bad "delete: chunks.jsonl still there" || ok
expect "delete: query after" 200 '"results":\[\]' --json '{"query":"tar archive"}' "$U/projects/p2/query"
expect "delete: again is 404" 404 'nothing ingested matches' -X DELETE --json '{"dataset":"ds2"}' "$U/projects/p2/ingest/github"
# two datasets hold the repository: removing one deletes nothing
expect "ingest p3 d1" 202 '"dataset":"d1"' --json "{\"repo\":\"$REPO2\",\"dataset\":\"d1\"}" "$U/projects/p3/ingest/github"
wait_job "ingest p3 d1" "$(jf "$W/body" jobId)" completed
expect "ingest p3 d2" 202 '"dataset":"d2"' --json "{\"repo\":\"$REPO2\",\"dataset\":\"d2\"}" "$U/projects/p3/ingest/github"
wait_job "ingest p3 d2" "$(jf "$W/body" jobId)" completed
expect "delete: one of two" 200 '"deleted":1,"objectsDeleted":0,"chunksDeleted":0' -X DELETE --json '{"dataset":"d1"}' "$U/projects/p3/ingest/github"
[ -s "$OUT/gitingest/$REPO2/summary.txt" ] && ok || bad "delete: one of two removed the objects"
expect "delete: by repo" 200 '"repository":"burst/r0","deleted":1,"objectsDeleted":2,"chunksDeleted":[1-9]' \
    -X DELETE --json "{\"repo\":\"github.com/$REPO2\"}" "$U/projects/p3/ingest/github"

# ------------------------------------------------------------ webhooks
# hook NAME WANT PATTERN EVENT BODY [SECRET]: a delivery signed with Python's hmac
hook() {
	n=$1 want=$2 pat=$3 ev=$4 body=$5 sec=${6:-$SECRET}
	printf '%s' "$body" >"$W/hook.json"
	sig=$($PY -c 'import hmac, hashlib, sys
print("sha256=" + hmac.new(sys.argv[1].encode(), open(sys.argv[2], "rb").read(), hashlib.sha256).hexdigest())' "$sec" "$W/hook.json")
	expect "$n" "$want" "$pat" -H "X-GitHub-Event: $ev" -H "X-Hub-Signature-256: $sig" \
	    -H 'Content-Type: application/json' --data-binary @"$W/hook.json" "$U/v1/webhooks/github"
}
push() {        # push REF AFTER: a push payload for $REPO
	echo "{\"ref\":\"$1\",\"after\":\"$2\",\"deleted\":false,\"repository\":{\"full_name\":\"$REPO\",\"default_branch\":\"main\"}}"
}
C1=1111111111111111111111111111111111111111
hook "webhook: ping" 200 '"event":"ping"' ping '{"zen":"x","hook_id":1}'
hook "webhook: bad signature" 401 'signature does not match' push "$(push refs/heads/main $C1)" wrong-secret
expect "webhook: unsigned" 401 'X-Hub-Signature-256' -H 'X-GitHub-Event: push' --json "$(push refs/heads/main $C1)" "$U/v1/webhooks/github"
hook "webhook: tag ignored" 202 '"ignored":"a tag"' push "$(push refs/tags/v1 $C1)"
hook "webhook: other branch ignored" 202 '"ignored":"a push to a branch' push "$(push refs/heads/feature $C1)"
# a new commit: the mirror's archive of REPO says C1 (git archive's pax
# comment) until the push's job has run
cp "$TGZ" "$W/orig.tar.gz"
gzip -dc "$W/orig.tar.gz" | $PY -c 'import sys
d = sys.stdin.buffer.read(); o = sys.argv[1].encode(); i = d.find(b"comment=" + o, 0, 4096)
sys.exit("no commit in the archive") if i < 0 else sys.stdout.buffer.write(d[:i + 8] + sys.argv[2].encode() + d[i + 48:])' \
    "$COMMIT" "$C1" | gzip -n >"$TGZ" || bad "webhook: the archive at a new commit not made"
hook "webhook: push" 202 "\"origin\":\"webhook\",\"commit\":\"$C1\"" push "$(push refs/heads/main $C1)"
grep -q '"ref":"HEAD"' "$W/body" && ok || bad "webhook: not the default branch's job: $(head -c 300 "$W/body")"
# the repository was stored as full and chunks: the push refreshes both
grep -q '"formats":\["full","chunks"\]' "$W/body" && ok || bad "webhook: not the stored formats: $(head -c 300 "$W/body")"
wait_job "webhook: job runs" "$(jf "$W/body" jobId)" completed
for o in summary.txt chunks.jsonl; do
	grep -q "\"commit\": *\"$C1\"" "$OUT/gitingest/$REPO/$o.meta" && ok ||
	    bad "webhook: $o not at the pushed commit: $(cat "$OUT/gitingest/$REPO/$o.meta")"
done
ic=$(sqlite3 "$W/repodigest-index.db" "select count(*) from repos where repo = '$REPO' and commit_id = '$C1'" 2>&1)
[ "$ic" = 1 ] && ok || bad "webhook: the index has $ic rows at the pushed commit, want 1"
cp "$W/orig.tar.gz" "$TGZ"

# ------------------------------------------------------------ events
# a finished job's stream: its snapshot, then the server ends it
timeout 10 curl -sS -N "$U/v1/jobs/$ID/events" >"$W/sse" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '^event: job$' "$W/sse" && grep -q "^data: {\"jobId\":\"$ID\",\"status\":\"completed\"" "$W/sse" &&
    ok || bad "sse: finished job (exit $rc): $(head -c 300 "$W/sse")"
py "websocket" ws "$PORT" "$REPO"
py "bad frames" badframes "$PORT"
py "idle" idle "$PORT" 1000
expect "metrics" 200 'repodigest_jobs{state="completed"}' "$U/metrics"
grep -q '^repodigest_job_duration_seconds_count [1-9]' "$W/body" && grep -q '^repodigest_queue_depth 0' "$W/body" &&
    ok || bad "metrics: $(head -c 600 "$W/body")"
stop "$A" a
grep -q '"message":"Stopped"' "$W/a.log" && ok || bad "no Stopped line"
$PY -c 'import json,sys
for l in open(sys.argv[1]):
    json.loads(l)' "$W/a.log" && ok || bad "log: not JSON lines"
grep -q '"method":"POST","path":"/v1/jobs","status":"202"' "$W/a.log" && ok || bad "log: no request line"

# ------------------------------------------------------------ token
TOK=tok-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
REPODIGEST_API_TOKEN=$TOK start b --db "$W/b.db" --out "$W/outb" $HTTPS $NET -j 1 || { finish; exit 1; }
B_PID=$PID
expect "token: missing" 401 '"code":"unauthorized"' "$U/v1/jobs"
expect "token: wrong" 401 '"code":"unauthorized"' -H "Authorization: Bearer x$TOK" "$U/v1/jobs"
expect "token: healthz open" 200 'ok' "$U/healthz"
expect "webhook: off without a secret" 404 'not enabled' -H 'X-GitHub-Event: ping' --json '{}' "$U/v1/webhooks/github"
expect "token: readyz open" 200 'ready' "$U/readyz"
expect "token: Bearer" 202 '"status":"queued"' -H "Authorization: Bearer $TOK" --json "{\"repo\":\"$REPO\"}" "$U/v1/jobs"
TID=$(jf "$W/body" jobId)
# nginx over HTTPS with the test CA
wait_job "https mirror: job completes" "$TID" completed 30 "$TOK"
[ -s "$W/outb/gitingest/$REPO/summary.txt" ] && ok || bad "https mirror: not stored"
cmp -s "$W/outb/gitingest/$REPO/summary.txt" "$OUT/gitingest/$REPO/summary.txt" && ok ||
	bad "https mirror: body differs from the file:// one"
expect "token: query parameter on SSE" 200 'event: job' --max-time 5 -N "$U/v1/jobs/$TID/events?access_token=$TOK"
expect "token: query parameter refused elsewhere" 401 'unauthorized' "$U/v1/jobs?access_token=$TOK"
py "websocket with a token" ws "$PORT" "$REPO" "$TOK"
stop "$B_PID" b
grep -q -- "$TOK" "$W/b.log" && bad "token in the log" || ok

# ------------------------------------------------------------ cancel, burst
REPODIGEST_WEBHOOK_SECRET=$SECRET start c --db "$W/c.db" --out "$W/outc" $SLOW $NET -j 2 --grace 1 || { finish; exit 1; }
C=$PID
expect "cancel: posted" 202 'queued' --json "{\"repo\":\"$REPO\"}" "$U/v1/jobs"
CID=$(jf "$W/body" jobId)
wait_job "cancel: downloading" "$CID" running 30
# its event stream, open while it runs, ends with it
timeout 30 curl -sS -N "$U/v1/jobs/$CID/events" >"$W/sse2" 2>&1 &
sse_pid=$!
i=0; while ! grep -qs '^event: progress$' "$W/sse2" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
t0=$(date +%s%N)
expect "cancel: DELETE" 202 '"cancelRequested":true' -X DELETE "$U/v1/jobs/$CID"
wait_job "cancel: cancelled" "$CID" cancelled 10
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 5000 ] && ok || bad "cancel: took $ms ms"
wait $sse_pid
rc=$?
[ $rc -eq 0 ] && grep -q '^event: progress$' "$W/sse2" &&
    grep '^data: ' "$W/sse2" | tail -1 | grep -q "^data: {\"jobId\":\"$CID\",\"status\":\"cancelled\"" &&
    ok || bad "sse: a running job's stream (exit $rc): $(tail -c 400 "$W/sse2")"
[ -e "$W/outc/gitingest/$REPO/summary.txt" ] && bad "cancel: an object was stored" || ok
expect "cancel: DELETE again: no change" 200 '"status":"cancelled"' -X DELETE "$U/v1/jobs/$CID"
set --
i=0; while [ $i -lt 20 ]; do set -- "$@" "burst/r$i"; i=$((i + 1)); done
py "burst" burst "$PORT" 100 "$@"
# a burst of pushes for one repository coalesces: one running, one queued
# follow-up at the newest commit
REPODIGEST_WEBHOOK_SECRET=$SECRET
for c in 1 2 3 4 5 6; do
	hook "webhook burst $c" '20[02]' '"jobId"' push "$(push refs/heads/main $(printf '%040d' $c))"
done
n=$(sqlite3 "$W/c.db" "select count(*) from jobs where origin = 'webhook'" 2>&1)
[ "$n" -le 2 ] 2>/dev/null && [ "$n" -ge 1 ] && ok || bad "webhook burst: $n jobs"
last=$(sqlite3 "$W/c.db" "select target_commit from jobs where origin = 'webhook' order by seq desc limit 1" 2>&1)
[ "$last" = "$(printf '%040d' 6)" ] && ok || bad "webhook burst: newest job's commit $last"
n=$(sqlite3 "$W/c.db" "select count(*) from jobs where repo like 'burst/%'" 2>&1)
[ "$n" = 20 ] && ok || bad "burst: $n jobs in the table, want 20"
stop "$C" c
# the grace is over for slow downloads: they were queued again, not lost
n=$(sqlite3 "$W/c.db" "select count(*) from jobs where repo like 'burst/%' and state = 'queued'" 2>&1)
[ "$n" = 20 ] && ok || bad "after SIGTERM: $n burst jobs queued, want 20"
n=$(sqlite3 "$W/c.db" "select count(*) from jobs where state = 'running'" 2>&1)
[ "$n" = 0 ] && ok || bad "after SIGTERM: $n jobs still running"

# ------------------------------------------------------------ SIGKILL
start d --db "$W/d.db" --out "$W/outd" $SLOW $NET -j 1 || { finish; exit 1; }
expect "sigkill: posted" 202 'queued' --json "{\"repo\":\"$REPO\"}" "$U/v1/jobs"
KID=$(jf "$W/body" jobId)
wait_job "sigkill: downloading" "$KID" running 30
kill -9 "$PID"; wait "$PID" 2>/dev/null
start d2 --db "$W/d.db" --out "$W/outd" $FILE -j 1 || { finish; exit 1; }
wait_job "sigkill: completes after the restart" "$KID" completed 30
[ "$(jf "$W/job" attempts)" = 2 ] && ok || bad "sigkill: attempts $(jf "$W/job" attempts), want 2"
n=$(find "$W/outd" -name summary.txt | wc -l)
[ "$n" = 1 ] && ok || bad "sigkill: $n summary.txt stored, want 1"
out=$(sqlite3 "$W/d.db" "select outcome from attempts where job_id = '$KID' order by n" 2>&1 | tr '\n' ' ')
[ "$out" = "interrupted completed " ] && ok || bad "sigkill: attempts: $out"
stop "$PID" d2

# ------------------------------------------------------------ into radosgw
. tests/integration/s3srv.inc
. scripts/hermetic-env.inc
hermetic_env
trap 's3srv_stop; cleanup' EXIT
if ! "$S3SRV" install >"$W/install.log" 2>&1 || ! scripts/setup python3-boto3 >"$W/setup3.log" 2>&1 ||
    ! S3_SERVER_TTL=300 "$S3SRV" start "$W/s3" >"$W/s3.env" 2>"$W/s3.err"; then
	bad "radosgw: $(tail -n 3 "$W/install.log" "$W/s3.err")"; finish; exit 1
fi
. "$W/s3.env"
s3ls mb svc >"$W/mb.log" 2>&1 && ok || bad "make bucket: $(tail -2 "$W/mb.log")"
REPO3=burst/r1
R2_ENDPOINT=$S3_ENDPOINT R2_ACCESS_KEY=$S3_ACCESS_KEY R2_SECRET_KEY=$S3_SECRET_KEY REPODIGEST_S3_REGION=$S3_REGION \
    start s --db "$W/s.db" --out s3://svc $FILE -j 2 || { finish; exit 1; }
S=$PID
expect "s3: readyz" 200 '"status":"ready"' "$U/readyz"
expect "s3: ingest" 202 '"dataset":"dss"' --json "{\"repo\":\"$REPO3\",\"dataset\":\"dss\"}" "$U/projects/ps/ingest/github"
wait_job "s3: job completes" "$(jf "$W/body" jobId)" completed
keys=$(s3ls ls svc | sort | tr '\n' ' ')
[ "$keys" = "gitingest/$REPO3/chunks.jsonl gitingest/$REPO3/summary.txt " ] && ok || bad "s3: objects: $keys"
expect "s3: query" 200 '"results":\[{"repo":"burst/r1"' --json '{"query":"tar archive","k":2}' "$U/projects/ps/query"
expect "s3: delete" 200 '"deleted":1,"objectsDeleted":2,"chunksDeleted":[1-9]' -X DELETE --json '{"dataset":"dss"}' "$U/projects/ps/ingest/github"
keys=$(s3ls ls svc | tr '\n' ' ')
[ -z "$keys" ] && ok || bad "s3: left after the delete: $keys"
expect "s3: delete again" 404 'nothing ingested' -X DELETE --json '{"dataset":"dss"}' "$U/projects/ps/ingest/github"
grep -q -- "$S3_SECRET_KEY" "$W/s.log" && bad "s3: the secret key in the log" || ok
stop "$S" s
# wrong credentials: the service starts (no request at start) and is not ready
R2_ENDPOINT=$S3_ENDPOINT R2_ACCESS_KEY=$S3_ACCESS_KEY R2_SECRET_KEY="x$S3_SECRET_KEY" REPODIGEST_S3_REGION=$S3_REGION \
    start s2 --db "$W/s2.db" --out s3://svc $FILE -j 1 || { finish; exit 1; }
expect "s3: readyz with a wrong secret" 503 'SignatureDoesNotMatch\|403' "$U/readyz"
stop "$PID" s2

finish
