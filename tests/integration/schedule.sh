#!/bin/sh
# schedule.sh - `repodigest serve --feed FEED --every DURATION` end to end
# against real peers on 127.0.0.1 (nginx over HTTPS for the feed and the
# mirror, curl, python3 for JSON and webhook signatures, the sqlite3 shell):
#   - start rules: a bad --every (exit 2), --every without --feed, --feed -,
#     --format without --feed, a bad --format
#   - two passes over a feed of N repositories fetched from nginx (its URL
#     carries a secret query): the first downloads all N (nginx's access log
#     counts the requests), one repository is then changed (its tarball and
#     its pushedAt); the second downloads exactly that one, the other N-1 are
#     unchanged (no job row: the sqlite3 shell counts them), its stored
#     summary is the new tarball's; GET /v1/schedule (token rule, the feed
#     redacted, the figures of the last pass) and /metrics
#   - priority: a backlog of scheduled jobs on -j 1 with a slow mirror, then
#     a signed webhook push for another repository: its job runs next, before
#     the scheduled ones still queued (the start order read from the table),
#     which run first come first; with --format full,chunks every scheduled
#     job stores summary.txt and chunks.jsonl
#   - a feed that cannot be read, then one that is not JSON: the pass fails
#     with the error in /v1/schedule, the server answers on, and a pass after
#     the feed is fixed completes
#   - SIGTERM while a pass reads a slow feed: the pass ends "stopped",
#     nothing queued, exit 0 within 10 s
#   - without --feed: GET /v1/schedule is a JSON 404; SIGTERM: exit 0
# Every wait is bounded. Usage: schedule.sh BINARY (tests/run: the musl, ASan
# and TSan builds).
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
. tests/integration/nginx.inc
. tests/integration/svcrun.inc
# /slow/ at 8 KiB/s: a 23 KB tarball takes about 3 s (the backlog below)
NGINX_TTL=600 NGINX_SLOW_RATE=8192 nginx_up curl python3 sqlite3
MIR=$NGINX_WWW/mirror
NET="--resolve mirror.test.invalid:$NGINX_PORT:127.0.0.1 --cacert $NGINX_CA"
HTTPS="--archive-url https://mirror.test.invalid:$NGINX_PORT/mirror/{owner}/{repo}.tar.gz"
SLOW="--archive-url https://mirror.test.invalid:$NGINX_PORT/slow/{owner}/{repo}.tar.gz"
ACCESS=$W/nginx/logs/mirror.log
N=6

# feed FILE OWNER COUNT [CHANGED_INDEX STAMP]: COUNT records OWNER/r0.. with
# pushedAt, one bad record among them; written whole, then renamed into place
feed() {
	$PY - "$@" <<'EOF'
import json, os, sys
path, owner, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
changed = int(sys.argv[4]) if len(sys.argv) > 4 else -1
recs = []
for i in range(n):
    stamp = sys.argv[5] if i == changed else "2026-01-%02dT10:00:00Z" % (i + 1)
    recs.append({"owner": owner, "name": "r%d" % i,
                 "url": "https://github.com/%s/r%d" % (owner, i),
                 "pushedAt": stamp, "description": "repository %d" % i})
recs.insert(2, {"owner": owner, "name": "bad/name", "url": "x"})
with open(path + ".tmp", "w") as f:
    json.dump(recs, f)
os.rename(path + ".tmp", path)
EOF
}

# the mirror: project tarballs (scripts/make-mirror); every repository of
# OWNER gets tarball K of .fixtures
feed "$W/seed.json" seed 1
MIRROR_FIXTURES=project scripts/make-mirror "$W/seed.json" "$MIR" >"$W/mm.log" 2>&1 ||
	{ bad "make-mirror: $(tail -3 "$W/mm.log")"; finish; exit 1; }
# fixture K: the Kth tarball of the set (sorted)
fixture() { find "$MIR/.fixtures" -name '*.tar.gz' | sort | sed -n "${1}p"; }
mirror() {      # mirror OWNER COUNT K
	mkdir -p "$MIR/$1"
	i=0; while [ $i -lt "$2" ]; do cp "$(fixture "$3")" "$MIR/$1/r$i.tar.gz"; i=$((i + 1)); done
}

# sj [TOKEN]: GET /v1/schedule into $W/sched, the status in $code
sj() {
	if [ -n "${1:-}" ]; then
		code=$(curl -sS -o "$W/sched" -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $1" "$U/v1/schedule" 2>/dev/null)
	else
		code=$(curl -sS -o "$W/sched" -w '%{http_code}' --max-time 5 "$U/v1/schedule" 2>/dev/null)
	fi
}
# jq_ FILE EXPR: a Python expression over the JSON document d, printed
jq_() {
	$PY -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v) if not isinstance(v, str) else v)' "$1" "$2" 2>/dev/null
}
# wait_sched NAME EXPR SECS [TOKEN]: poll /v1/schedule until EXPR is true
wait_sched() {
	n=$1 e=$2 secs=$3 tok=${4:-}
	i=0
	while [ $i -lt $((secs * 5)) ]; do
		sj "$tok"
		[ "$code" = 200 ] && [ "$(jq_ "$W/sched" "$e")" = true ] && { ok; return 0; }
		sleep 0.2; i=$((i + 1))
	done
	bad "$n: not ($e) within ${secs}s: $(head -c 600 "$W/sched")"
	return 1
}
# downloads OWNER: tarball requests of OWNER's repositories in nginx's log
downloads() { grep -c " GET /[a-z]*/$1/r[0-9]*\.tar\.gz 200 " "$ACCESS" 2>/dev/null; }

unset REPODIGEST_API_TOKEN REPODIGEST_WEBHOOK_SECRET

# ------------------------------------------------------------ start rules
expect_fail "bad --every: unit" 2 'every.*unit' \
    "$B" serve --db "$W/x.db" --out "$W/x" --feed "$W/seed.json" --every 10y
expect_fail "bad --every: no number" 2 'every' \
    "$B" serve --db "$W/x.db" --out "$W/x" --feed "$W/seed.json" --every h
expect_fail "bad --every: out of range" 2 'out of range' \
    "$B" serve --db "$W/x.db" --out "$W/x" --feed "$W/seed.json" --every 400d
expect_fail "--every without --feed" 2 'needs --feed' \
    "$B" serve --db "$W/x.db" --out "$W/x" --every 1h
expect_fail "--feed from standard input" 2 'standard input' \
    "$B" serve --db "$W/x.db" --out "$W/x" --feed -
expect_fail "--format without --feed" 2 'needs --feed' \
    "$B" serve --db "$W/x.db" --out "$W/x" --format chunks
expect_fail "a bad --format" 2 'full, chunks or full,chunks' \
    "$B" serve --db "$W/x.db" --out "$W/x" --feed "$W/seed.json" --format text

# ------------------------------------------------------------ two passes
mirror pass $N 4
feed "$MIR/pass.json" pass $N
QSECRET=sig-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
FEEDURL="https://mirror.test.invalid:$NGINX_PORT/mirror/pass.json?sig=$QSECRET"
TOKEN=tok-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
DB=$W/a.db OUT=$W/store
REPODIGEST_API_TOKEN=$TOKEN start a --db "$DB" --out "$OUT" $HTTPS $NET -j 2 \
    --feed "$FEEDURL" --every 4s || { finish; exit 1; }
A=$PID
sj
[ "$code" = 401 ] && ok || bad "schedule: status $code without the token, want 401"
wait_sched "pass 1 ends" 'd["lastPass"] is not None and d["lastPass"]["outcome"] == "completed"' 60 "$TOKEN"
cp "$W/sched" "$W/pass1.json"
d1=$(downloads pass)
sum1=$(cksum <"$OUT/gitingest/pass/r3/summary.txt")
# between passes (at once: the next is due 4 s after this one began): r3
# changes, its tarball first, then its pushedAt in the feed
cp "$(fixture 2)" "$MIR/pass/r3.tar.gz"
feed "$MIR/pass.json" pass $N 3 2026-06-01T12:00:00Z
CHANGED=$($PY -c 'import datetime; print(datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z")')
[ "$(jq_ "$W/pass1.json" '[d["lastPass"][k] for k in ("records", "queued", "unchanged", "skipped", "completed", "failed")]')" = "[$N, $N, 0, 1, $N, 0]" ] && ok ||
	bad "pass 1 figures: $(head -c 600 "$W/pass1.json")"
[ "$(jq_ "$W/pass1.json" '[d["every"], d["everySeconds"], d["lastPass"]["error"]]')" = '["4s", 4, null]' ] && ok ||
	bad "pass 1: period or error: $(head -c 600 "$W/pass1.json")"
# the feed's query is a secret: redacted in the answer and the log
f=$(jq_ "$W/pass1.json" 'd["feed"]')
case $f in *"$QSECRET"*) bad "schedule shows the feed's secret: $f" ;;
	*mirror.test.invalid*pass.json*'***'*) ok ;;
	*) bad "schedule's feed: $f" ;; esac
grep -q "$QSECRET" "$W/a.log" && bad "the feed's secret in the log" || ok
[ "$d1" = $N ] && ok || bad "pass 1: nginx served $d1 tarballs, want $N"
i=0; while [ $i -lt $N ]; do
	[ -s "$OUT/gitingest/pass/r$i/summary.txt" ] || bad "pass 1: no summary of pass/r$i"
	i=$((i + 1))
done
P1=$(jq_ "$W/pass1.json" 'd["passes"]')
wait_sched "pass 2 ends" "d['lastPass']['startedAt'] > '$CHANGED' and d['passes'] > $P1" 60 "$TOKEN"
cp "$W/sched" "$W/pass2.json"
[ "$(jq_ "$W/pass2.json" '[d["lastPass"][k] for k in ("records", "queued", "unchanged", "skipped", "completed", "failed")]')" = "[$N, 1, $((N - 1)), 1, 1, 0]" ] && ok ||
	bad "pass 2 figures: $(head -c 600 "$W/pass2.json")"
d2=$(downloads pass)
[ "$d2" = $((N + 1)) ] && ok || bad "pass 2: nginx served $((d2 - d1)) more tarballs, want 1"
tail -n +1 "$ACCESS" | grep ' GET /mirror/pass/r[0-9]*\.tar\.gz 200 ' | tail -1 | grep -q '/pass/r3\.tar\.gz' && ok ||
	bad "pass 2: the last download is not r3: $(grep 'tar.gz' "$ACCESS" | tail -2)"
[ "$(cksum <"$OUT/gitingest/pass/r3/summary.txt")" != "$sum1" ] && ok ||
	bad "pass 2: r3's summary did not change"
# the table: one job row per download; the unchanged ones only checked
n=$(sqlite3 "$DB" "select count(*) from jobs where origin = 'schedule' and state = 'completed' and priority < -1000" 2>&1)
[ "$n" = $((N + 1)) ] && ok || bad "table: $n scheduled jobs, want $((N + 1))"
n=$(sqlite3 "$DB" "select last_pushed_at from repositories where name = 'pass/r3'" 2>&1)
[ "$n" = 2026-06-01T12:00:00Z ] && ok || bad "table: r3's pushedAt is '$n'"
# checked by pass 2: seen after every job of pass 1 had ended
n=$(sqlite3 "$DB" "select count(*) from repositories where name like 'pass/r%' and name != 'pass/r3' and last_checked > (select max(finished_at) from jobs where seq <= $N)" 2>&1)
[ "$n" = $((N - 1)) ] && ok || bad "table: $n repositories checked by pass 2, want $((N - 1))"
curl -sS --max-time 5 -H "Authorization: Bearer $TOKEN" "$U/metrics" >"$W/metrics" 2>/dev/null
grep -q '^repodigest_schedule_passes_total{outcome="completed"} [2-9]' "$W/metrics" &&
    grep -q '^repodigest_schedule_records_total{result="unchanged"} [1-9]' "$W/metrics" && ok ||
	bad "metrics: $(grep schedule "$W/metrics" | head -5)"
stop $A a

# ------------------------------------------------------------ webhook overtakes a scheduled backlog
mirror prio 4 4
mkdir -p "$MIR/hook"; cp "$(fixture 4)" "$MIR/hook/web.tar.gz"
feed "$W/prio.json" prio 4
SECRET=hook-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
DB=$W/b.db
REPODIGEST_WEBHOOK_SECRET=$SECRET start b --db "$DB" --out "$W/store-b" $SLOW $NET -j 1 \
    --feed "$W/prio.json" --every 1h --format full,chunks || { finish; exit 1; }
B_PID=$PID
wait_sched "backlog: one running, three queued" 'd["pass"] is not None and d["pass"]["running"] == 1 and d["pass"]["queued"] == 4' 30
body='{"ref":"refs/heads/main","after":"2222222222222222222222222222222222222222","deleted":false,"repository":{"full_name":"hook/web","default_branch":"main"}}'
printf '%s' "$body" >"$W/hook.json"
sig=$($PY -c 'import hmac, hashlib, sys
print("sha256=" + hmac.new(sys.argv[1].encode(), open(sys.argv[2], "rb").read(), hashlib.sha256).hexdigest())' "$SECRET" "$W/hook.json")
code=$(curl -sS -o "$W/body" -w '%{http_code}' --max-time 10 -H 'X-GitHub-Event: push' -H "X-Hub-Signature-256: $sig" \
    -H 'Content-Type: application/json' --data-binary @"$W/hook.json" "$U/v1/webhooks/github" 2>&1)
[ "$code" = 202 ] && ok || bad "webhook: status $code: $(head -c 300 "$W/body")"
wait_sched "backlog: the pass ends" 'd["lastPass"] is not None and d["lastPass"]["completed"] == 4' 90
order=$(sqlite3 "$DB" "select origin || ':' || repo from jobs order by started_at, seq" 2>&1 | tr '\n' ' ')
case $order in
"schedule:prio/r0 webhook:hook/web schedule:prio/r1 schedule:prio/r2 schedule:prio/r3 ") ok ;;
*) bad "backlog: start order $order" ;;
esac
n=$(sqlite3 "$DB" "select state from jobs where origin = 'webhook'" 2>&1)
[ "$n" = completed ] && ok || bad "backlog: the webhook's job is $n"
# --format full,chunks: the scheduled jobs ask for more than the webhook's
# full (a repository never stored before) and store both objects
n=$(sqlite3 "$DB" "select count(*) from jobs where origin = 'schedule' and formats > (select formats from jobs where origin = 'webhook')" 2>&1)
[ "$n" = 4 ] && ok || bad "--format full,chunks: $n of 4 scheduled jobs ask for both"
n=0; for r in r0 r1 r2 r3; do
	[ -s "$W/store-b/gitingest/prio/$r/summary.txt" ] && head -c 200 "$W/store-b/gitingest/prio/$r/chunks.jsonl" | grep -q '"text"' && n=$((n + 1))
done
[ "$n" = 4 ] && ok || bad "--format full,chunks: $n of 4 repositories have summary.txt and chunks.jsonl"
stop $B_PID b

# ------------------------------------------------------------ a feed that cannot be read
DB=$W/c.db
start c --db "$DB" --out "$W/store-c" $HTTPS $NET -j 1 --feed "$W/later.json" --every 1s ||
	{ finish; exit 1; }
C=$PID
wait_sched "missing feed: the pass fails" 'd["lastPass"] is not None and d["lastPass"]["outcome"] == "failed"' 20
e=$(jq_ "$W/sched" 'd["lastPass"]["error"]')
case $e in *later.json*) ok ;; *) bad "missing feed: error '$e'" ;; esac
grep -q '"Scheduled pass failed".*later.json' "$W/c.log" && ok || bad "missing feed: no log line"
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$U/healthz" 2>/dev/null)
[ "$code" = 200 ] && ok || bad "missing feed: /healthz $code"
printf '{"not": "an array"' >"$W/later.json"
wait_sched "bad feed: the pass fails" "d['lastPass']['outcome'] == 'failed' and 'later.json' in d['lastPass']['error'] and 'No such' not in d['lastPass']['error'] and 'not found' not in d['lastPass']['error']" 20
jq_ "$W/sched" 'd["lastPass"]["error"]' >"$W/err2"
grep -qi 'json\|array' "$W/err2" && ok || bad "bad feed: error '$(cat "$W/err2")'"
mirror later 2 5
feed "$W/later.json" later 2
wait_sched "fixed feed: a pass completes" 'd["lastPass"]["outcome"] == "completed" and d["lastPass"]["completed"] == 2' 30
stop $C c

# ------------------------------------------------------------ SIGTERM during a pass
# a feed of 400 records read through /slow/ (about 40 KB at 8 KiB/s): the
# stop comes while the pass reads it; nothing is queued, the exit is prompt
feed "$MIR/big.json" big 400
start e --db "$W/e.db" --out "$W/store-e" $HTTPS $NET -j 1 \
    --feed "https://mirror.test.invalid:$NGINX_PORT/slow/big.json" --every 1h || { finish; exit 1; }
E=$PID
wait_sched "slow feed: the pass is reading it" 'd["state"] == "running" and d["pass"]["records"] == 0' 20
t0=$(date +%s)
stop $E e
[ $(($(date +%s) - t0)) -le 10 ] && ok || bad "SIGTERM during a pass: $(($(date +%s) - t0)) s to stop"
grep -q '"Scheduled pass ended".*"outcome":"stopped"' "$W/e.log" && ok ||
	bad "SIGTERM during a pass: no stopped pass in the log: $(grep Scheduled "$W/e.log" | tail -2)"
n=$(sqlite3 "$W/e.db" "select count(*) from jobs" 2>&1)
[ "$n" = 0 ] && ok || bad "SIGTERM during a pass: $n jobs queued"

# ------------------------------------------------------------ no schedule
start d --db "$W/d.db" --out "$W/store-d" $HTTPS $NET || { finish; exit 1; }
sj
[ "$code" = 404 ] && grep -q '"error".*no schedule is configured' "$W/sched" && ok ||
	bad "no schedule: status $code: $(head -c 300 "$W/sched")"
grep -q 'Scheduled pass' "$W/d.log" && bad "no schedule: a pass ran" || ok
stop $PID d

finish
