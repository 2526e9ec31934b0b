#!/bin/sh
# sink.sh BINARY - what `run` leaves behind tells the truth (issue 16), against
# a local directory and an offline file:// mirror:
#   - a digest stored by `digest --out DIR --pushed-at TIME` with run's
#     settings is a cache hit for `run` (the feed's pushedAt TIME), and one
#     without --pushed-at, with another TIME, or with other settings
#     (--format text) is not;
#   - a kill at each step of a local put (strace injects SIGKILL on entry to
#     the Nth fsync/renameat of the worker thread: no hook in the binary) never
#     leaves a pair that a later run takes as current unless its body is the
#     one that run would make;
#   - a full filesystem (a real 1 MiB tmpfs, filled between runs) fails the
#     puts without leaving an old body taken for a new one;
#   - temp files are O_EXCL with a random name: a planted .NAME.tmp.PID link is
#     not written through;
#   - --dry-run creates no directory and no state file, and says "would";
#   - a state file or report that cannot be written: one line, exit 1;
#   - every attempted repo failed: exit 1; a bad --archive-url template or
#     scheme: a usage error (exit 2) before any work;
#   - --resume of a 200-entry state skips exactly those repos.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
B=$BIN
MNT=
cleanup() {
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
[ -x "$B" ] || { bad "missing $B"; finish; exit 1; }
command -v strace >/dev/null || scripts/setup strace >"$W/setup.log" 2>&1 ||
	{ bad "setup strace: $(tail -3 "$W/setup.log")"; finish; exit 1; }

# one repository, two bodies: cap A and cap B differ
python3 - "$W/one.json" "$W/one-new.json" <<'PY'
import json, sys
rec = {"owner": "sample-research-lab", "name": "climate-model",
       "url": "https://github.com/sample-research-lab/climate-model",
       "pushedAt": "2026-03-20T17:44:18Z"}
json.dump([rec], open(sys.argv[1], "w"))
rec["pushedAt"] = "2026-04-01T00:00:00Z"
json.dump([rec], open(sys.argv[2], "w"))
PY
scripts/make-mirror tests/data/feeds/sample-repos.json "$W/mirror" >/dev/null ||
	{ bad "make-mirror"; finish; exit 1; }
M="--archive-url file://$W/mirror/{owner}/{repo}.tar.gz"
OBJ=gitingest/sample-research-lab/climate-model/summary.txt
summary() { grep -o '\(Pipeline\|Dry run\) complete: [^"]*' "$1" | tail -1; }
run1() { # DIR FEED CAP [more args]: one run, -j 1, log in $W/out
	d=$1 f=$2 c=$3; shift 3
	"$B" run "$f" --out "$d" $M --state "$W/st" -j 1 --max-output "$c" "$@" >"$W/out" 2>"$W/err"
}

# --- references: what a clean run stores with each cap
run1 "$W/refA" "$W/one-new.json" 4096 || bad "reference A: $(cat "$W/err")"
run1 "$W/refB" "$W/one-new.json" 2048 || bad "reference B: $(cat "$W/err")"
run1 "$W/refC" "$W/one-new.json" 0 || bad "reference C: $(cat "$W/err")"
cmp -s "$W/refA/$OBJ" "$W/refB/$OBJ" && bad "premise: caps A and B give the same body" || ok
[ "$(wc -c <"$W/refC/$OBJ")" -gt 8192 ] && ok || bad "premise: the uncapped body fits in 8 KiB"

# --- digest --out with run's settings and the feed's pushedAt (--pushed-at)
# is a cache hit for run, as README says; without --pushed-at it is not (the
# cache key is the feed's pushedAt, which digest cannot know by itself)
"$B" digest sample-research-lab/climate-model $M --out "$W/d0/" --max-output 4096 -q 2>"$W/err" ||
	bad "digest --out: $(cat "$W/err")"
run1 "$W/d0" "$W/one-new.json" 4096
summary "$W/out" | grep -q '1 total, 0 cached' && ok || bad "digest --out without --pushed-at taken as current: $(summary "$W/out")"
"$B" digest sample-research-lab/climate-model $M --pushed-at 2026-04-01T00:00:00Z \
	--out "$W/dg/" --max-output 4096 -q 2>"$W/err" || bad "digest --out --pushed-at: $(cat "$W/err")"
grep -q '"pushedat": "2026-04-01T00:00:00Z"' "$W/dg/$OBJ.meta" && ok || bad "--pushed-at not recorded: $(cat "$W/dg/$OBJ.meta")"
run1 "$W/dg" "$W/one-new.json" 4096
summary "$W/out" | grep -q '1 total, 1 cached' && ok || bad "digest --out not a cache hit for run: $(summary "$W/out")"
cmp -s "$W/dg/$OBJ" "$W/refA/$OBJ" && ok || bad "digest --out --format full differs from run's body"
"$B" digest sample-research-lab/climate-model $M --pushed-at 2026-04-01T00:00:00Z \
	--out "$W/dt/" --max-output 4096 --format text -q 2>"$W/err" || bad "digest --out text: $(cat "$W/err")"
run1 "$W/dt" "$W/one-new.json" 4096
summary "$W/out" | grep -q '1 total, 0 cached' && ok || bad "a --format text digest taken as run's: $(summary "$W/out")"
# another pushedAt in the feed: not current
run1 "$W/dg" "$W/one.json" 4096
summary "$W/out" | grep -q '1 total, 0 cached' && ok || bad "--pushed-at of another time taken as current: $(summary "$W/out")"

# --- the cache check takes the sidecar's word for a body not changed since
# the sidecar was written, and hashes any other: a body rewritten (same
# size), truncated, or either with its mtime set back (touch -d: its ctime
# still moves) is found not to match and made again; a current pair is a hit
# without its body being opened (strace)
T=$W/trust
run1 "$T" "$W/one-new.json" 4096 || bad "trust: first run: $(cat "$W/err")"
hit() { # NAME
	strace -f -qq -e trace=open,openat -o "$W/trace" "$B" run "$W/one-new.json" --out "$T" $M \
		--state "$W/st" -j 1 --max-output 4096 >"$W/out" 2>"$W/err"
	summary "$W/out" | grep -q '1 total, 1 cached' && ok || bad "$1: not a cache hit: $(summary "$W/out")"
	grep -q 'summary\.txt"' "$W/trace" && bad "$1: the body was read: $(grep 'summary\.txt"' "$W/trace" | head -2)" || ok
}
miss() { # NAME
	run1 "$T" "$W/one-new.json" 4096
	summary "$W/out" | grep -q '1 total, 0 cached' && ok || bad "$1: taken as current: $(summary "$W/out")"
	cmp -s "$T/$OBJ" "$W/refA/$OBJ" && ok || bad "$1: not made again"
}
flip() { python3 -c 'import sys
f = open(sys.argv[1], "r+b"); b = f.read(1); f.seek(0); f.write(bytes([b[0] ^ 1]))' "$T/$OBJ"; }
hit "trust: untouched"
flip; miss "trust: rewritten, same size"
hit "trust: made again"
truncate -s -1 "$T/$OBJ"; miss "trust: truncated"
truncate -s -1 "$T/$OBJ"; touch -d '2020-01-01' "$T/$OBJ"; miss "trust: truncated, mtime set back"
flip; touch -d '2020-01-01' "$T/$OBJ"; miss "trust: rewritten, same size, mtime set back"
hit "trust: current again"

# --- a kill at each step of a local put. Before each: the object stored with
# the old pushedAt and cap A; the killed run stores the new pushedAt with cap B.
# After it, runs with either cap must find the object current only if its
# body is that cap's reference body.
check_after() { # NAME DIR
	for cap in 4096:refA 2048:refB 0:refC; do
		c=${cap%%:*} ref=${cap#*:}
		for f in one.json one-new.json; do
			rm -rf "$W/chk"; cp -a "$2" "$W/chk"
			body=$(cat "$W/chk/$OBJ" 2>/dev/null | md5sum)
			run1 "$W/chk" "$W/$f" "$c"
			if summary "$W/out" | grep -q '1 cached'; then
				[ "$body" = "$(md5sum <"$W/$ref/$OBJ")" ] && ok ||
					bad "$1: cap $c $f: a stale body taken as current"
			else
				summary "$W/out" | grep -q '1 processed' && ok ||
					bad "$1: cap $c $f: $(summary "$W/out") $(head -2 "$W/err")"
			fi
		done
	done
}
run1 "$W/st-old-4096" "$W/one.json" 4096 || bad "old A"
for step in fsync:1 fsync:2 fsync:3 fsync:4 renameat:1 renameat:2; do
	sc=${step%%:*} n=${step#*:}
	rm -rf "$W/k"; cp -a "$W/st-old-4096" "$W/k"
	strace -f -qq -o /dev/null -e trace=fsync,renameat,renameat2 \
		-e inject="$sc":signal=KILL:when="$n" \
		"$B" run "$W/one-new.json" --out "$W/k" $M --state "$W/st" -j 1 \
		--max-output 2048 >"$W/out" 2>"$W/err"
	rc=$?
	[ $rc -eq 137 ] && ok || bad "kill at $step: exit $rc, want 137 (killed)"
	check_after "kill at $step" "$W/k"
done

# --- a full filesystem between runs
if mkdir -p "$W/mnt" && mount -t tmpfs -o size=1m tmpfs "$W/mnt"; then
	MNT=$W/mnt
	run1 "$MNT/o" "$W/one.json" 4096 || bad "tmpfs: first run: $(cat "$W/err")"
	# fill it, then leave 8 KiB: room for a sidecar, not for the body
	dd if=/dev/zero of="$MNT/gap" bs=4096 count=2 2>/dev/null
	dd if=/dev/zero of="$MNT/fill" bs=4096 2>/dev/null
	rm -f "$MNT/gap"
	run1 "$MNT/o" "$W/one-new.json" 0
	rc=$?
	[ $rc -eq 1 ] && ok || bad "full disk: exit $rc, want 1 (every repo failed)"
	grep -q 'No space left on device' "$W/out" && ok || bad "full disk: cause not logged: $(grep Failed "$W/out")"
	find "$MNT/o" -name '*.tmp*' | grep -q . && bad "full disk: temp files left" || ok
	rm -f "$MNT/fill"
	check_after "full disk" "$MNT/o"
	# the state file is on the full disk too: an error line, exit 1
	dd if=/dev/zero of="$MNT/fill" bs=4096 2>/dev/null
	"$B" run "$W/one.json" --out "$W/o5" $M --state "$MNT/state.json" -j 1 --max-output 2048 >"$W/out" 2>"$W/err"
	rc=$?
	[ $rc -eq 1 ] && ok || bad "state on a full disk: exit $rc, want 1"
	grep -q 'cannot write the state file: .*state.json.*No space left' "$W/err" && ok ||
		bad "state on a full disk: $(cat "$W/err")"
	rm -f "$MNT/fill"
	umount "$MNT" && MNT=
else
	bad "cannot mount a tmpfs (root needed)"
fi

# --- a planted temp-file link is not written through
mkdir -p "$W/pl/gitingest/sample-research-lab/climate-model"
echo secret >"$W/victim"
# the old name was .NAME.tmp.PID: hard links for the next few thousand PIDs
p=$$; while [ $p -lt $(( $$ + 3000 )) ]; do
	ln "$W/victim" "$W/pl/gitingest/sample-research-lab/climate-model/.summary.txt.tmp.$p" 2>/dev/null
	p=$((p + 1))
done
run1 "$W/pl" "$W/one.json" 4096 || bad "planted links: $(cat "$W/err")"
[ "$(cat "$W/victim")" = secret ] && ok || bad "a planted link was written through"
ls -a "$W/pl/gitingest/sample-research-lab/climate-model" | grep -q '^\.summary\.txt\.tmp\.[0-9a-f]\{16\}$' &&
	bad "temp file left behind" || ok

# --- dry run: nothing created, nothing marked done, says "would"
rm -f "$W/st"
"$B" run tests/data/feeds/sample-repos.json --dry-run --out "$W/dry" $M --state "$W/dst" --report "$W/drep.json" >"$W/out" 2>"$W/err" ||
	bad "dry run: $(cat "$W/err")"
[ ! -e "$W/dry" ] && ok || bad "--dry-run created the output directory"
[ ! -e "$W/dst" ] && ok || bad "--dry-run wrote a state file"
summary "$W/out" | grep -q '^Dry run complete: 27 total, 0 would be skipped as cached, 27 would be processed' && ok ||
	bad "dry run summary: $(summary "$W/out")"
python3 - "$W/drep.json" <<'PY' && ok || bad "dry run report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["dry_run"] is True and r["processed"] == 0 and r["would_process"] == 27, r
assert all(x["status"] == "pending" and x["would"] == "process" for x in r["repos"]), r["repos"][0]
PY
"$B" run tests/data/feeds/sample-repos.json --out "$W/full" $M --state "$W/fst" >/dev/null 2>&1 || bad "full run"
"$B" run tests/data/feeds/sample-repos.json --dry-run --out "$W/full" $M --state "$W/dst" >"$W/out" 2>&1
summary "$W/out" | grep -q '27 total, 26 would be skipped as cached, 1 would be processed' && ok ||
	bad "dry run over a cache: $(summary "$W/out")"
"$B" report "$W/drep.json" >/dev/null 2>&1; [ $? -eq 3 ] && ok || bad "a dry run's report merges as complete"

# --- unwritable state and report: one line each, exit 1
expect_fail "state unwritable" 1 "cannot write the state file: $W/nodir/s.json: .*No such file" \
	"$B" run "$W/one.json" --out "$W/o2" $M --state "$W/nodir/s.json"
expect_fail "report unwritable" 1 "cannot write the report: $W/nodir/r.json: .*No such file" \
	"$B" run "$W/one.json" --out "$W/o2" $M --state "$W/s2" --report "$W/nodir/r.json"

# --- every attempted repo failed: exit 1; a bad template: exit 1, no work
expect_fail "all failed" 1 "every repository attempted failed (27)" \
	"$B" run tests/data/feeds/sample-repos.json --out "$W/o3" --archive-url "file://$W/none/{owner}/{repo}.tar.gz" --state "$W/s3"
expect_fail "unknown placeholder" 2 "run: --archive-url has a placeholder other than {owner}, {repo} and {ref}" \
	"$B" run tests/data/feeds/sample-repos.json --out "$W/o4" --archive-url "file://$W/mirror/{owner}/{name}.tar.gz" --state "$W/s4"
grep -q 'Feed loaded' "$W/out" && bad "a bad template: the feed was read first" || ok
[ ! -e "$W/o4" ] && ok || bad "a bad template: output created"
expect_fail "unknown scheme" 2 "run: --archive-url must be an https://, http:// or file:// URL" \
	"$B" run tests/data/feeds/sample-repos.json --out "$W/o4" --archive-url "ftp://mirror/{owner}/{repo}.tar.gz" --state "$W/s4"

# --- the feed URL's query (a token) is neither logged nor stored in the report
"$B" run "file://$W/one.json?token=SECRETQ1" --out "$W/o6" $M --state "$W/s6" --report "$W/r6.json" >"$W/out" 2>"$W/err" ||
	bad "feed URL with a query: $(cat "$W/err")"
grep -q 'one.json?\*\*\*' "$W/r6.json" && ok || bad "the report does not name the feed: $(grep feed "$W/r6.json")"
grep -l SECRETQ1 "$W/out" "$W/err" "$W/r6.json" "$W/s6" && bad "the feed URL's token was printed or stored" || ok
"$B" run "file://$W/none.json?token=SECRETQ2" --out "$W/o6" $M --state "$W/s6" >"$W/out" 2>"$W/err"
grep -l SECRETQ2 "$W/out" "$W/err" && bad "an unreadable feed's token was printed" || ok

# --- SIGTERM while a download never ends (the mirror's file is a FIFO no one
# writes): the grace period holds, exit 130, the state says pending
mkdir -p "$W/fifo/sample-research-lab"
mkfifo "$W/fifo/sample-research-lab/climate-model.tar.gz"
"$B" run "$W/one.json" --out "$W/o7" --archive-url "file://$W/fifo/{owner}/{repo}.tar.gz" \
	--state "$W/s7" --report "$W/r7.json" --grace 1 -j 1 >"$W/out" 2>&1 &
pid=$!
sleep 1
kill -TERM $pid
s=$(date +%s); wait $pid; rc=$?
[ $rc -eq 130 ] && ok || bad "grace over: exit $rc, want 130"
[ $(( $(date +%s) - s )) -le 4 ] && ok || bad "grace over: took $(( $(date +%s) - s )) s"
python3 - "$W/s7" "$W/r7.json" <<'PY' && ok || bad "grace over: state or report"
import json, sys
s, r = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert s["pending"] == ["sample-research-lab/climate-model"] and not s["done"], s
assert [x["status"] for x in r["repos"]] == ["pending"], r
PY

# --- exit statuses are documented where users look
"$B" help run >"$W/out" 2>&1; grep -q '^usage: repodigest run' "$W/out" && ok || bad "help run: $(head -1 "$W/out")"
grep -q 'every repository attempted failed' "$W/out" && grep -q '^  130  interrupted' "$W/out" && ok || bad "run --help lacks the exit statuses"

# --- --resume: a state of 200 done repos skips exactly them
python3 - "$W/big.json" "$W/res.json" <<'PY'
import json, sys
recs = [{"owner": "org%d" % (i % 7), "name": "repo-%03d" % i,
         "url": "https://github.com/org%d/repo-%03d" % (i % 7, i)} for i in range(300)]
json.dump(recs, open(sys.argv[1], "w"))
json.dump({"done": ["ORG%d/Repo-%03d" % (i % 7, i) for i in range(0, 300, 3)] +
           ["org%d/repo-%03d" % (i % 7, i) for i in range(1, 300, 3)] + ["nobody/none"],
           "failed": [], "pending": []}, open(sys.argv[2], "w"))
PY
"$B" run "$W/big.json" --dry-run --out "$W/rs" --resume "$W/res.json" --report "$W/rr.json" --archive-url "file://$W/none/{owner}/{repo}" >"$W/out" 2>&1
python3 - "$W/rr.json" <<'PY' && ok || bad "--resume skipped the wrong repos"
import json, sys
r = json.load(open(sys.argv[1]))
st = {x["repo"]: x["status"] for x in r["repos"]}
for i in range(300):
    want = "pending" if i % 3 == 2 else "done-earlier"
    assert st["org%d/repo-%03d" % (i % 7, i)] == want, (i, st["org%d/repo-%03d" % (i % 7, i)])
PY
finish
