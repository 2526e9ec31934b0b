#!/bin/sh
# faults.sh BINARY - `repodigest run` against a faulty HTTPS mirror: nginx on
# 127.0.0.1 (scripts/test-nginx, test CA) whose /fault/ location (njs, a
# per-URL request counter in a file) answers by owner name:
#   f429   429 + Retry-After: 1, then the tarball      -> 2 requests, stored,
#                                                         the retry waited >= 1 s
#   f500   500 twice, then the tarball                 -> 3 requests, stored,
#                                                         backoff 1 s, 2 s (+-25%)
#   fcut   half the body then EOF, then the tarball    -> 2 requests, stored
#   fstall no answer (longer than --timeout 2)         -> 3 requests, failed (timeout)
#   ftrunc a truncated tarball (a gzip error, final)   -> 1 request, failed
#   f404   no such tarball (final)                     -> 1 request, failed
# around six good repos (1 request each, stored). The run goes on past every
# failure: exit 0 with 3 failures counted, the report lists every repo's
# status and error; --max-failures 0 makes the same kind of run exit 1.
# Requests are counted twice, independently: njs's arrival log and nginx's
# access log. Also: a directory OWNER/REPO in the working directory of a run
# is never read in place of the mirror's tarball.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
. tests/integration/nginx.inc
# the stall outlasts the per-repo timeout (2 s) by far, yet ends within the
# test's bounds so that nginx logs the stalled requests too
NGINX_TTL=300 NGINX_STALL_MS=6000 nginx_up libnginx-mod-http-js
LOG=$NGINX_DIR/logs/mirror.log

python3 - "$W/feed.json" <<'PY'
import json, sys
names = [("ok", "good-0"), ("f429", "slow"), ("ok", "good-1"), ("f500", "flaky"),
         ("ok", "good-2"), ("fstall", "hang"), ("ok", "good-3"), ("fcut", "cut"),
         ("ok", "good-4"), ("ftrunc", "broken"), ("ok", "good-5"), ("f404", "gone")]
recs = [{"owner": o, "name": r, "url": "https://github.com/%s/%s" % (o, r),
         "pushedAt": "2025-02-0%dT00:00:00Z" % (1 + i % 9)} for i, (o, r) in enumerate(names)]
json.dump(recs, open(sys.argv[1], "w"), indent=1)
PY
scripts/make-mirror "$W/feed.json" "$NGINX_WWW/mirror" >/dev/null || { bad "make-mirror"; finish; exit 1; }
T=$NGINX_WWW/mirror/ftrunc/broken.tar.gz
head -c $(( $(wc -c <"$T") / 2 )) "$T" >"$T.half" && mv "$T.half" "$T"
rm -f "$NGINX_WWW/mirror/f404/gone.tar.gz"

M="--archive-url https://mirror.test.invalid:$NGINX_PORT/fault/{owner}/{repo}.tar.gz"
NET="--resolve mirror.test.invalid:$NGINX_PORT:127.0.0.1 --cacert $NGINX_CA"
summary() { grep -o 'Pipeline complete: [^"]*' "$1" | tail -1; }

# fstall: 3 attempts of 2 s plus ~3 s of backoff; everything else is quick
s=$(date +%s)
timeout 90 "$B" run "$W/feed.json" --out "$W/o" $M $NET --timeout 2 -j 4 \
	--state "$W/state.json" --report "$W/report.json" --log-format json >"$W/run.log" 2>"$W/run.err"
rc=$?
el=$(( $(date +%s) - s ))
[ $rc -eq 0 ] && ok || bad "faulty run: exit $rc, want 0: $(head -3 "$W/run.err")"
[ $el -le 40 ] && ok || bad "faulty run took ${el}s"
summary "$W/run.log" | grep -q '^Pipeline complete: 12 total, 0 cached (0.0%), 9 processed, 3 failed' &&
	ok || bad "summary: $(summary "$W/run.log")"

# the report: every repo with its status, failures with their cause
python3 - "$W/report.json" <<'PY' >"$W/rep.txt" 2>&1 && ok || bad "report: $(cat "$W/rep.txt")"
import json, sys
rep = json.load(open(sys.argv[1]))
st = {r["repo"]: r for r in rep["repos"]}
want = {"ok/good-%d" % i: "processed" for i in range(6)}
want.update({"f429/slow": "processed", "f500/flaky": "processed", "fcut/cut": "processed",
             "fstall/hang": "failed", "ftrunc/broken": "failed", "f404/gone": "failed"})
assert sorted(st) == sorted(want), sorted(st)
for name, s in want.items():
    assert st[name]["status"] == s, (name, st[name])
    assert (s == "failed") == bool(st[name].get("error")), (name, st[name])
err = {n: st[n]["error"].lower() for n in want if want[n] == "failed"}
assert "time" in err["fstall/hang"], err       # timed out, not the late 504
assert "504" not in err["fstall/hang"], err
assert "gzip" in err["ftrunc/broken"] or "truncat" in err["ftrunc/broken"], err
assert "404" in err["f404/gone"] or "not found" in err["f404/gone"], err
assert rep["failed"] == 3 and rep["processed"] == 9, rep
PY
python3 - "$W/state.json" <<'PY' && ok || bad "state file: $(cat "$W/state.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert sorted(s["failed"]) == ["f404/gone", "fstall/hang", "ftrunc/broken"], s
assert len(s["done"]) == 9 and s["pending"] == [], s
PY
n=$(find "$W/o/gitingest" -name summary.txt | wc -l)
[ "$n" -eq 9 ] && ok || bad "$n objects stored, want 9"
for f in fstall/hang ftrunc/broken f404/gone; do
	[ ! -e "$W/o/gitingest/$f/summary.txt" ] && ok || bad "$f: stored although it failed"
done
grep -q '"message":"Failed".*"repo":"fstall/hang"' "$W/run.log" && ok || bad "fstall failure not logged"
grep -c '"message":"Retrying"' "$W/run.log" | grep -qx 6 && ok ||
	bad "Retrying lines: $(grep -c '"message":"Retrying"' "$W/run.log"), want 6 (429:1 500:2 cut:1 stall:2)"

# requests per repo: what the retry policy says, in njs's arrival log and in
# nginx's access log (a stalled request is logged when its 6 s are up)
i=0
while [ $i -lt 100 ] && [ "$(grep -c ' /fault/fstall/' "$LOG")" -lt 3 ]; do sleep 0.1; i=$((i + 1)); done
for want in ok_good-0:1 ok_good-1:1 ok_good-2:1 ok_good-3:1 ok_good-4:1 ok_good-5:1 \
    f429_slow:2 f500_flaky:3 fcut_cut:2 fstall_hang:3 ftrunc_broken:1 f404_gone:1; do
	k=${want%:*} c=${want#*:}
	a=$(grep -c "" "$NGINX_FAULTS/$k" 2>/dev/null); a=${a:-0}
	l=$(grep -c " GET /fault/$(echo "$k" | sed 's|_|/|').tar.gz " "$LOG")
	[ "$a" -eq "$c" ] && [ "$l" -eq "$c" ] && ok || bad "$k: $a requests (njs), $l (access log), want $c"
done
# statuses as served: 429 then 200; 500, 500, 200; 404 once
awk '/ \/fault\/f429\// { s = s $4 " " } END { exit s != "429 200 " }' "$LOG" && ok || bad "f429 statuses: $(grep f429 "$LOG")"
awk '/ \/fault\/f500\// { s = s $4 " " } END { exit s != "500 500 200 " }' "$LOG" && ok || bad "f500 statuses: $(grep f500 "$LOG")"
# the waits between attempts, from the arrival times (ms)
gaps() { awk 'NR > 1 { printf "%d ", $1 - p } { p = $1 }' "$NGINX_FAULTS/$1"; }
set -- $(gaps f429_slow)
[ "${1:-0}" -ge 1000 ] && [ "$1" -le 2500 ] && ok || bad "429 retry after ${1:-?} ms, want >= 1000 (Retry-After: 1)"
set -- $(gaps f500_flaky)
[ "${1:-0}" -ge 750 ] && [ "$1" -le 1800 ] && [ "${2:-0}" -ge 1500 ] && [ "$2" -le 3000 ] && ok ||
	bad "500 backoff ${1:-?} ms, ${2:-?} ms, want 1 s and 2 s +-25%"
set -- $(gaps fstall_hang)
# each stalled attempt lasts the 2 s timeout, then the backoff
[ "${1:-0}" -ge 2500 ] && [ "${2:-0}" -ge 3500 ] && ok || bad "stall attempts ${1:-?} ms, ${2:-?} ms apart, want >= 2.75 s, 3.5 s"

# a directory OWNER/REPO where the run is started is not the repository: the
# mirror's tarball is (the body equals the first run's)
# A 429 with Retry-After holds back every worker's downloads, not just the
# repo that got it: 40 quick repos behind one 429 (-j 2). Without the shared
# pause the second worker would go on downloading during the second after
# the 429; with it, at most the one download in flight then ends in that
# window, and the rest start after it.
python3 - "$W/feedp.json" <<'PY'
import json, sys
recs = [{"owner": "f429p", "name": "paused", "url": "https://github.com/f429p/paused",
         "pushedAt": "2025-03-01T00:00:00Z"}]
recs += [{"owner": "okp", "name": "q-%02d" % i, "url": "https://github.com/okp/q-%02d" % i,
          "pushedAt": "2025-03-01T00:00:00Z"} for i in range(40)]
json.dump(recs, open(sys.argv[1], "w"))
PY
scripts/make-mirror "$W/feedp.json" "$NGINX_WWW/mirror" >/dev/null || bad "make-mirror (pause feed)"
timeout 60 "$B" run "$W/feedp.json" --out "$W/op" $M $NET --timeout 10 -j 2 \
	--state "$W/statep.json" --log-format json >"$W/runp.log" 2>"$W/runp.err"
rc=$?
[ $rc -eq 0 ] && ok || bad "pause run: exit $rc: $(head -3 "$W/runp.err")"
summary "$W/runp.log" | grep -q '41 total, 0 cached (0.0%), 41 processed, 0 failed' && ok || bad "pause run: $(summary "$W/runp.log")"
grep -c '"message":"Rate limited: every worker pauses its downloads"' "$W/runp.log" | grep -qx 1 && ok ||
	bad "pause not logged once: $(grep -c 'Rate limited' "$W/runp.log")"
awk '$3 ~ /^\/fault\/f429p\// && $4 == 429 { t = $1 }
     $3 ~ /^\/fault\/okp\// { ok[++n] = $1 }
     END { if (t == "") { print "no 429"; exit 1 }
           for (i = 1; i <= n; i++) if (ok[i] > t && ok[i] < t + 0.9) w++
           after = 0; for (i = 1; i <= n; i++) if (ok[i] >= t + 0.9) after++
           if (w > 1 || after < 10) { printf "%d downloads ended within 0.9 s after the 429, %d after\n", w, after; exit 1 } }' \
	"$LOG" >"$W/pause.txt" && ok || bad "shared pause: $(cat "$W/pause.txt")"

mkdir -p "$W/cwd/ok/good-0"
echo "LOCAL-ONLY-FILE" >"$W/cwd/ok/good-0/local-only.txt"
python3 - "$W/feed.json" "$W/feed1.json" <<'PY'
import json, sys
json.dump([r for r in json.load(open(sys.argv[1])) if r["name"] == "good-0"], open(sys.argv[2], "w"))
PY
ABS=$(cd "$(dirname "$B")" && pwd)/$(basename "$B")
(cd "$W/cwd" && timeout 60 "$ABS" run "$W/feed1.json" --out "$W/o1" $M $NET --timeout 10 \
	--state "$W/state1.json" --log-format json >"$W/run1.log" 2>&1) ||
	bad "run in a directory holding ok/good-0: $(tail -3 "$W/run1.log")"
if grep -q LOCAL-ONLY "$W/o1/gitingest/ok/good-0/summary.txt" 2>/dev/null; then
	bad "the run read the local directory ok/good-0 instead of the mirror"
elif cmp -s "$W/o1/gitingest/ok/good-0/summary.txt" "$W/o/gitingest/ok/good-0/summary.txt"; then ok
else bad "ok/good-0 run from another directory differs"; fi

# --max-failures 0: the same kind of run is a failure (exit 1) with one failed repo
python3 - "$W/feed.json" "$W/feed2.json" <<'PY'
import json, sys
recs = [r for r in json.load(open(sys.argv[1])) if r["owner"] in ("ok", "ftrunc")]
json.dump(recs, open(sys.argv[2], "w"))
PY
timeout 60 "$B" run "$W/feed2.json" --out "$W/o2" $M $NET --timeout 2 -j 1 --max-failures 0 \
	--state "$W/state2.json" --report "$W/report2.json" --log-format json >"$W/run2.log" 2>"$W/run2.err"
rc=$?
[ $rc -eq 1 ] && ok || bad "--max-failures 0: exit $rc, want 1"
grep -q 'max-failures' "$W/run2.err" && ok || bad "--max-failures 0: stderr says: $(head -3 "$W/run2.err")"
timeout 60 "$B" run "$W/feed2.json" --out "$W/o3" $M $NET --timeout 2 -j 2 --max-failures 1 \
	--state "$W/state3.json" --log-format json >"$W/run3.log" 2>"$W/run3.err"
rc=$?
[ $rc -eq 0 ] && ok || bad "--max-failures 1 with one failure: exit $rc, want 0"
summary "$W/run3.log" | grep -q '7 total, 0 cached (0.0%), 6 processed, 1 failed' && ok || bad "max-failures 1: $(summary "$W/run3.log")"
finish
