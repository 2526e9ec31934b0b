#!/bin/sh
# cancel.sh BINARY - a run stopped while its downloads are under way. A slow
# mirror on 127.0.0.1 (python3's http.server, started here, stopping itself
# after 60 s) serves GitHub-shaped tarballs: /slow/ sends the head and 8 KiB,
# then 512 bytes every 200 ms; /stall/ sends the head and 8 KiB, then
# nothing; /fast/ sends everything at once. Each request is logged when its
# first bytes are out, so the test signals only once downloads are running.
#   --grace 0, a trickling download: exit 130 within a second of SIGTERM
#   (checked with a generous bound: 3 s), the state says pending, the report
#   too, nothing stored, no temporary file;
#   --grace 1, a stalled download (no byte comes: the wait itself is cut):
#   exit 130 within the grace period and a second (bound: 4 s), the same;
#   -j 2, one fast and one stalled repository, SIGINT: the fast one is done
#   and stored, the stalled one pending; --resume then finishes it;
#   the summary of an interrupted run says "Pipeline interrupted" with the
#   pending count, and its jobs are "Interrupted", none "Failed";
#   --grace 30 and a second SIGTERM: exit 130 at once (bound: 3 s), the job
#   pending, state and report written.
# The measured stop times are printed.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
B=$BIN
SRV=
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# two small repositories as GitHub tarballs (one top directory)
for r in one two; do
	mkdir -p "$W/src/o-$r-1234567/lib"
	i=0; while [ $i -lt 200 ]; do
		echo "line $i of the $r repository, long enough to take some bytes" >>"$W/src/o-$r-1234567/lib/big.txt"
		i=$((i + 1))
	done
	echo "# $r" >"$W/src/o-$r-1234567/README.md"
	(cd "$W/src" && tar -cf - "o-$r-1234567" | gzip -1 >"$W/$r.tar.gz")
done
# a tarball large enough that a trickle takes minutes (uncompressible)
mkdir -p "$W/src/o-big-1234567"
head -c 400000 /dev/urandom >"$W/src/o-big-1234567/noise.bin"
(cd "$W/src" && tar -cf - o-big-1234567 | gzip -1 >"$W/big.tar.gz")

: >"$W/req.log"
scripts/slow-mirror "$W" "$W/req.log" >"$W/port" 2>"$W/srv.err" &
SRV=$!
i=0; while [ $i -lt 50 ] && ! [ -s "$W/port" ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$W/port")
[ -n "$PORT" ] || { bad "server did not start: $(cat "$W/srv.err")"; finish; exit 1; }

# feed FILE OWNER/NAME...: the owner is the server's mode
feed() {
	f=$1; shift
	{ printf '['; sep=
	  for r; do printf '%s{"owner":"%s","name":"%s","url":"https://github.com/%s","pushedAt":"2025-01-01T00:00:00Z"}' \
		"$sep" "${r%/*}" "${r#*/}" "$r"; sep=,; done
	  printf ']'; } >"$f"
}
M="--archive-url http://127.0.0.1:$PORT/{owner}/{repo}.tar.gz"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_req PATTERN: until the server logged a request matching it (5 s)
wait_req() {
	i=0; while [ $i -lt 100 ] && ! grep -q "$1" "$W/req.log"; do sleep 0.05; i=$((i + 1)); done
	grep -q "$1" "$W/req.log"
}
# stopped WHAT PID SIG LIMIT_MS: send SIG once WHAT's download runs; exit
# 130 within LIMIT_MS; prints the time taken
stopped() {
	n=$1 pid=$2 sig=$3 lim=$4
	wait_req "$n" || bad "$n: the download never started"
	s=$(now_ms)
	kill -"$sig" "$pid"
	wait "$pid"; rc=$?
	el=$(( $(now_ms) - s ))
	echo "$n: stopped ${el} ms after SIG$sig"
	[ $rc -eq 130 ] && ok || bad "$n: exit $rc, want 130"
	[ $el -le "$lim" ] && ok || bad "$n: took $el ms after SIG$sig, want <= $lim"
}
# status STATE REPORT OWNER/NAME LIST: the state lists it under LIST (done,
# failed, pending), and the report says the same
status() {
	python3 - "$1" "$2" "$3" "$4" <<'PY' && ok || bad "$3: not $4 in the state or the report: $(cat "$1")"
import json, sys
s, r, n, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4]
assert [k for k in ("done", "failed", "pending") if n in s[k]] == [want], s
rs = {"done": "processed", "failed": "failed", "pending": "pending"}[want]
assert [x["status"] for x in r["repos"] if x["repo"] == n] == [rs], r
PY
}
# nothing_stored OUT OWNER/NAME
nothing_stored() {
	if [ -e "$W/$1/gitingest/$2/summary.txt" ] || [ -e "$W/$1/gitingest/$2/chunks.jsonl" ]; then
		bad "$2: an object was stored"
	else ok; fi
	if [ -d "$W/$1" ] && find "$W/$1" -name '*.tmp.*' | grep -q .; then
		bad "$2: temporary files left"; else ok; fi
}
for r in trickled stalled stuck; do cp "$W/big.tar.gz" "$W/$r.tar.gz"; done
cp "$W/one.tar.gz" "$W/quick.tar.gz"

# --- --grace 0, a trickling download: within a second
feed "$W/f1.json" slow/trickled
"$B" run "$W/f1.json" --out "$W/o1" $M --format full,chunks --state "$W/s1.json" \
	--report "$W/r1.json" --grace 0 -j 1 --log-format json >"$W/l1" 2>&1 &
stopped "slow trickled" $! TERM 3000
status "$W/s1.json" "$W/r1.json" slow/trickled pending
nothing_stored o1 slow/trickled
grep -q '"message":"Interrupted"' "$W/l1" && ok || bad "the interrupted job is not logged as such: $(tail -3 "$W/l1")"
# an interrupted run says so: pending, not "complete ... 0 failed"; and an
# interrupted job is not a failed one
grep -q '"message":"Pipeline interrupted: 1 total, 0 cached, 0 processed, 0 failed, 1 pending, stopped after [0-9.]*s"' "$W/l1" &&
	ok || bad "the summary of an interrupted run: $(grep -o '"message":"[^"]*Pipeline[^"]*"' "$W/l1")"
grep -q 'Pipeline complete\|"message":"Failed"' "$W/l1" && bad "an interrupted run called complete, or its job failed" || ok

# --- a job stopped between its attempts (the mirror answers 503, the
# backoff is under way): interrupted and pending, not failed
: >"$W/req.log"
feed "$W/f6.json" busy/quick
"$B" run "$W/f6.json" --out "$W/o6" $M --state "$W/s6.json" --report "$W/r6.json" \
	--retries 5 --grace 5 -j 1 >"$W/l6" 2>&1 &
stopped "busy quick" $! TERM 3000
status "$W/s6.json" "$W/r6.json" busy/quick pending
grep -q '"message":"Interrupted","context":{"operation":"process","metadata":{"repo":"busy/quick","error":".*HTTP 503' "$W/l6" &&
	! grep -q '"message":"Failed"' "$W/l6" && ok || bad "a job stopped between attempts: $(grep -o '"message":"[A-Z][a-z]*"' "$W/l6" | tr '\n' ' ')"
grep -q '"message":"Pipeline interrupted: 1 total, 0 cached, 0 processed, 0 failed, 1 pending' "$W/l6" && ok ||
	bad "a job stopped between attempts: $(grep -o '"message":"Pipeline[^"]*"' "$W/l6")"

# --- a second SIGTERM cuts a long grace period short: at once, the job
# pending, the state and report written
: >"$W/req.log"
feed "$W/f5.json" slow/trickled
"$B" run "$W/f5.json" --out "$W/o5" $M --state "$W/s5.json" --report "$W/r5.json" \
	--grace 30 -j 1 >"$W/l5" 2>&1 &
pid=$!
wait_req "slow trickled" || bad "second signal: the download never started"
kill -TERM $pid
i=0; while [ $i -lt 50 ] && ! grep -q 'Signal received' "$W/l5"; do sleep 0.1; i=$((i + 1)); done
s=$(now_ms)
kill -TERM $pid
wait $pid; rc=$?
el=$(( $(now_ms) - s ))
echo "second SIGTERM: stopped ${el} ms after it"
[ $rc -eq 130 ] && ok || bad "second signal: exit $rc, want 130"
[ $el -le 3000 ] && ok || bad "second signal: took $el ms, want <= 3000 (the grace period is 30 s)"
grep -q 'Second signal: cancelling the repos in flight' "$W/l5" && ok || bad "second signal: not said: $(tail -3 "$W/l5")"
status "$W/s5.json" "$W/r5.json" slow/trickled pending
nothing_stored o5 slow/trickled

# --- --grace 1, a download that stalls: the wait itself is cut
feed "$W/f2.json" stall/stalled
"$B" run "$W/f2.json" --out "$W/o2" $M --state "$W/s2.json" --report "$W/r2.json" \
	--grace 1 -j 1 >"$W/l2" 2>&1 &
stopped "stall stalled" $! TERM 4000
status "$W/s2.json" "$W/r2.json" stall/stalled pending
nothing_stored o2 stall/stalled

# --- -j 2, SIGINT: the quick one is done and stored, the stuck one pending;
# --resume then skips the first and asks for the second again
feed "$W/f3.json" fast/quick stall/stuck
"$B" run "$W/f3.json" --out "$W/o3" $M --state "$W/s3.json" --report "$W/r3.json" \
	--grace 0 -j 2 >"$W/l3" 2>&1 &
pid=$!
wait_req "fast quick" || bad "quick: no request"
stopped "stall stuck" $pid INT 3000
status "$W/s3.json" "$W/r3.json" fast/quick done
status "$W/s3.json" "$W/r3.json" stall/stuck pending
[ -s "$W/o3/gitingest/fast/quick/summary.txt" ] && ok || bad "quick: not stored"
nothing_stored o3 stall/stuck
: >"$W/req.log"
"$B" run "$W/f3.json" --out "$W/o3" $M --state "$W/s4.json" --resume "$W/s3.json" \
	--grace 0 -j 2 >"$W/l4" 2>&1 &
stopped "stall stuck" $! TERM 3000
grep -q "quick" "$W/req.log" && bad "--resume asked for the quick one again" || ok
finish
