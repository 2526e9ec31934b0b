#!/bin/sh
# report.sh BINARY - `repodigest report`: real shard reports written by
# `repodigest run --report` (the sample feed and a 90-repo feed, offline
# file:// mirror from scripts/make-mirror) merged back into the feed exactly
# once; a missing shard, a repeated shard, duplicates across shards, a
# failed repo, pending and done-earlier repos, platform-chosen shards; the
# merged JSON (-o, atomically; --json) merging again to the same totals;
# bad inputs (truncated, not JSON, wrong shape, counts that disagree,
# missing file) each one clear line, exit 1; usage errors exit 2.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
SHARED=${SHARED:-../shared}
export SHARED
B=$BIN
FEED=$SHARED/feeds/sample-repos.json

scripts/make-mirror "$FEED" "$W/mirror" >/dev/null || { bad "make-mirror"; finish; exit 1; }
python3 - "$W/big.json" <<'PY'
import json, sys
recs = [{"owner": "org%d" % (i % 5), "name": "repo-%02d" % i,
         "url": "https://github.com/org%d/repo-%02d" % (i % 5, i),
         "pushedAt": "2025-02-%02dT00:00:00Z" % (1 + i % 28)} for i in range(90)]
json.dump(recs, open(sys.argv[1], "w"))
PY
scripts/make-mirror "$W/big.json" "$W/mirror" >/dev/null || bad "make-mirror big"
M="--archive-url file://$W/mirror/{owner}/{repo}.tar.gz"
run() { timeout 60 "$B" run "$@" $M --state "$W/state" >"$W/run.log" 2>&1; }

# union.py FEED MERGED.json: the merged repos are the feed's, each once
union() {
	python3 - "$@" <<'PY'
import json, sys
feed, merged = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
want, seen = {}, set()
for r in feed:
    if isinstance(r, dict) and isinstance(r.get("owner"), str) and isinstance(r.get("name"), str):
        want.setdefault(("%s/%s" % (r["owner"], r["name"])).lower(), 1)
got = [r["repo"].lower() for r in merged["repos"]]
assert len(got) == len(set(got)), "a repo twice"
assert set(got) == set(want), (sorted(set(want) - set(got)), sorted(set(got) - set(want)))
# a third argument: dry runs, whose repos are all pending (nothing was done)
assert merged["total"] == len(want) and merged["failed"] == 0, merged["total"]
assert merged["pending"] == (len(want) if len(sys.argv) > 3 else 0), merged["pending"]
assert merged.get("shards_missing", 0) == 0
PY
}

# --- three shards of the sample feed, digested for real
for i in 0 1 2; do
	run "$FEED" --shard $i/3 --out "$W/o" --report "$W/r$i.json" || bad "shard $i: $(tail -2 "$W/run.log")"
done
python3 - "$W/r1.json" <<'PY' && ok || bad "run report fields"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["format"] == "repodigest-run-report/1" and r["shard"] == "1/3", r
assert r["shard_mode"] == "hash" and r["shard_source"] == "shard 1/3 (--shard 1/3)", r
assert r["feed"].endswith("sample-repos.json") and r["version"], r
assert r["started"] <= r["finished"] and r["finished"].endswith("Z"), r
assert r["total"] == len(r["repos"]) == r["processed"] and r["failed"] == 0, r
PY
expect_ok "merge 3 shards" "$B" report "$W/r0.json" "$W/r1.json" "$W/r2.json" -o "$W/m.json"
grep -q '^Merged 3 run report(s) of feed .*sample-repos.json$' "$W/out" && ok || bad "merge: header: $(head -1 "$W/out")"
grep -q '^Shards: 3 of 3 present (hash)$' "$W/out" && ok || bad "merge: shards: $(cat "$W/out")"
grep -q '^Total: 27 repos: 27 processed, 0 cached, 0 done earlier, 0 failed, 0 pending$' "$W/out" && ok || bad "merge: totals: $(cat "$W/out")"
# the sample feed's 30 records hold 3 that every shard skips: listed once,
# and the result says complete only except them
grep -q '^Feed records skipped (not in the batch): 3$' "$W/out" && [ "$(grep -c '^  record [0-9]' "$W/out")" -eq 3 ] &&
	ok || bad "merge: skipped records: $(cat "$W/out")"
grep -q '^Result: complete, except 3 feed records skipped (listed above)$' "$W/out" && ok || bad "merge: result: $(grep Result "$W/out")"
python3 - "$FEED" "$W/m.json" <<'PY' && ok || bad "merge: the skipped records in the merged JSON"
import json, sys
feed, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert m["skipped"] == 3 and len(m["skipped_records"]) == 3, m["skipped_records"]
for k in m["skipped_records"]:
    assert 0 <= k["index"] < len(feed) and k["reason"], k
PY
grep -q 'more than one report' "$W/out" && bad "merge: duplicates claimed" || ok
union "$FEED" "$W/m.json" && ok || bad "merged report is not the feed exactly once"
ls "$W" | grep -q '^m\.json\..' && bad "temp file left beside -o" || ok
# --json prints the same merged report; the merged report merges again
"$B" report "$W/r2.json" "$W/r0.json" "$W/r1.json" --json > "$W/j.json" && ok || bad "--json: exit $?"
cmp -s "$W/m.json" "$W/j.json" && ok || bad "--json differs from -o"
expect_ok "merge the merged report" "$B" report "$W/m.json"
grep -q '^Total: 27 repos: 27 processed' "$W/out" && grep -q '^Shards: not recorded' "$W/out" && ok || bad "re-merge: $(cat "$W/out")"

# --- a missing shard: merged, but incomplete (exit 3), the shard named
"$B" report "$W/r0.json" "$W/r2.json" > "$W/out" 2>"$W/err"; rc=$?
[ $rc -eq 3 ] && ok || bad "missing shard: exit $rc, want 3"
grep -q '^Shards: 2 of 3 present (hash), missing: 1$' "$W/out" && ok || bad "missing shard: $(grep Shards "$W/out")"
grep -q '^Result: incomplete$' "$W/out" && ok || bad "missing shard: result"
# --- the same shard twice: every repo of it is a duplicate, counted once
n1=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["repos"]))' "$W/r1.json")
expect_ok "repeated shard" "$B" report "$W/r0.json" "$W/r1.json" "$W/r2.json" "$W/r1.json"
grep -q "^Repos in more than one report (counted once, best status): $n1\$" "$W/out" && ok || bad "repeated shard: $(cat "$W/out")"
grep -q '1 duplicate report(s)$' "$W/out" && ok || bad "repeated shard not flagged"
grep -q '^Total: 27 repos' "$W/out" && ok || bad "repeated shard counted twice"
# --- duplicates across shards (hand-made): r2 also lists two of r0's repos,
# one as failed: counted once with the best status
python3 - "$W/r0.json" "$W/r2.json" "$W/r2dup.json" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
x, y = a["repos"][0]["repo"], a["repos"][1]["repo"]
b["repos"] += [{"repo": x.upper(), "status": "failed", "error": "boom"}, {"repo": y, "status": "processed"}]
b["total"] += 2; b["processed"] += 1; b["failed"] += 1
json.dump(b, open(sys.argv[3], "w"))
PY
expect_ok "duplicates across shards" "$B" report "$W/r0.json" "$W/r1.json" "$W/r2dup.json" --json
python3 - "$W/out" "$W/r0.json" <<'PY' && ok || bad "duplicates across shards: merged JSON"
import json, sys
m, a = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
want = sorted(r["repo"] for r in a["repos"][:2])
assert sorted(m["duplicates"]) == want, (m["duplicates"], want)
assert m["total"] == 27 and m["failed"] == 0 and m["shards_missing"] == 0, m
PY
"$B" report "$W/r0.json" "$W/r1.json" "$W/r2dup.json" | grep -q '^Repos in more than one report (counted once, best status): 2$' && ok || bad "duplicates across shards: text"

# --- a failed repo and a pending one: merged, exit 3, listed with the error
mv "$W/mirror/org1/repo-06.tar.gz" "$W/saved.tar.gz"
for i in 0 1 2; do
	run "$W/big.json" --shard $i/3 --out "$W/ob" --report "$W/b$i.json" -j 4
done
"$B" report "$W/b0.json" "$W/b1.json" "$W/b2.json" -o "$W/bm.json" > "$W/out" 2>"$W/err"; rc=$?
[ $rc -eq 3 ] && ok || bad "failed repo: exit $rc, want 3"
grep -q '^Failed: 1$' "$W/out" && ok || bad "failed repo: $(cat "$W/out")"
grep -q '^  org1/repo-06: .*repo-06.tar.gz.*no such file' "$W/out" && ok || bad "failed repo: error line: $(grep -A1 '^Failed' "$W/out")"
grep -q '^Total: 90 repos: 89 processed, 0 cached, 0 done earlier, 1 failed, 0 pending$' "$W/out" && ok || bad "failed repo: totals: $(grep Total "$W/out")"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert m["failed"]==1 and len(m["repos"])==90' "$W/bm.json" && ok || bad "failed repo: -o JSON"
mv "$W/saved.tar.gz" "$W/mirror/org1/repo-06.tar.gz"
python3 - "$W/b1.json" "$W/b1p.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["repos"][0]["status"] = "pending"; r["processed"] -= 1
json.dump(r, open(sys.argv[2], "w"))
PY
"$B" report "$W/b0.json" "$W/b1p.json" "$W/b2.json" > "$W/out"; rc=$?
[ $rc -eq 3 ] && grep -q '^Not done (pending): 1$' "$W/out" && ok || bad "pending: exit $rc: $(cat "$W/out")"
# --- resumed shard: what the state file lists as done is "done earlier"
run "$W/big.json" --shard 0/3 --out "$W/ob" || bad "run before resume"
timeout 60 "$B" run "$W/big.json" --shard 0/3 --out "$W/ob" $M --state "$W/s0b" --resume "$W/state" --report "$W/b0r.json" > "$W/run.log" 2>&1 || bad "resume run"
"$B" report "$W/b0r.json" "$W/b1.json" "$W/b2.json" > "$W/out"; rc=$?
n0=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["repos"]))' "$W/b0r.json")
grep -q "^Total: 90 repos: .* $n0 done earlier" "$W/out" && [ $rc -eq 3 ] && ok || bad "done earlier ($n0, exit $rc): $(grep Total "$W/out")"

# --- shards chosen by the platform (Kubernetes Indexed Job) merge the same
for i in 0 1 2; do
	JOB_COMPLETION_INDEX=$i REPODIGEST_SHARDS=3 timeout 60 "$B" run "$W/big.json" --dry-run --out "$W/dry" $M --state "$W/state" --report "$W/k$i.json" >/dev/null 2>&1 || bad "k8s shard $i"
done
# (dry runs did nothing: merged, every repo pending, so incomplete: exit 3)
"$B" report "$W/k0.json" "$W/k1.json" "$W/k2.json" -o "$W/km.json" >"$W/out" 2>"$W/err"; rc=$?
[ $rc -eq 3 ] && ok || bad "k8s dry-run shards: exit $rc, want 3: $(head -3 "$W/err")"
grep -q 'k1.json: shard 1/3 (JOB_COMPLETION_INDEX=1, REPODIGEST_SHARDS=3), ' "$W/out" && ok || bad "k8s: how the shard was chosen: $(cat "$W/out")"
union "$W/big.json" "$W/km.json" dry && ok || bad "k8s shards are not the feed exactly once"
# shards of different shardings cannot be checked for gaps
timeout 60 "$B" run "$W/big.json" --shard 1/4 --dry-run --out "$W/dry" $M --state "$W/state" --report "$W/q1.json" >/dev/null 2>&1
"$B" report "$W/k0.json" "$W/q1.json" > "$W/out"; rc=$?
[ $rc -eq 3 ] && grep -q '^Shards: the reports come from different shardings' "$W/out" && ok || bad "mixed shardings: exit $rc: $(cat "$W/out")"

# --- bad inputs: one line naming the file and the cause, exit 1
head -c 300 "$W/r0.json" > "$W/trunc.json"
expect_fail "truncated" 1 "trunc.json: run report is not valid JSON at offset [0-9]* (truncated?)" "$B" report "$W/r1.json" "$W/trunc.json"
printf 'hello' > "$W/text.json"
expect_fail "not JSON" 1 "text.json: run report is not valid JSON at offset 0" "$B" report "$W/text.json"
: > "$W/empty.json"
expect_fail "empty" 1 "empty.json: run report is not valid JSON (empty file)" "$B" report "$W/empty.json"
expect_fail "a feed, not a report" 1 "big.json: not a repodigest run report (not a JSON object)" "$B" report "$W/big.json"
expect_fail "a state file" 1 "state: not a repodigest run report (no repos list)" "$B" report "$W/state"
cp "$W/mirror/org1/repo-06.tar.gz" "$W/tarball"
expect_fail "binary" 1 "tarball: run report is not valid JSON" "$B" report "$W/tarball"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["repos"].pop(); json.dump(r, open(sys.argv[2], "w"))' "$W/r0.json" "$W/short.json"
expect_fail "counts disagree" 1 'short.json: not a repodigest run report (total: the repos list says ' "$B" report "$W/short.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["repos"][2]["status"]="done"; json.dump(r, open(sys.argv[2], "w"))' "$W/r0.json" "$W/st.json"
expect_fail "unknown status" 1 "st.json: not a repodigest run report (repos\[2\] is not {repo, status\[, error\]}: strings, a known status)" "$B" report "$W/st.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["shard"]="3/3"; json.dump(r, open(sys.argv[2], "w"))' "$W/r0.json" "$W/sh.json"
expect_fail "bad shard" 1 'sh.json: not a repodigest run report (shard is not I/N' "$B" report "$W/sh.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["format"]="other/2"; json.dump(r, open(sys.argv[2], "w"))' "$W/r0.json" "$W/fmt.json"
expect_fail "other format" 1 'fmt.json: not a repodigest run report (format is not repodigest-run-report/1)' "$B" report "$W/fmt.json"
expect_fail "missing file" 1 "nope.json: no such file or directory$" "$B" report "$W/r0.json" "$W/nope.json"
expect_fail "directory" 1 "repodigest: $W: I/O error" "$B" report "$W"
[ ! -e "$W/bad-out.json" ] && "$B" report "$W/trunc.json" -o "$W/bad-out.json" >/dev/null 2>&1; [ ! -e "$W/bad-out.json" ] && ok || bad "-o written on bad input"
expect_fail "-o into a missing directory" 1 "nodir/m.json" "$B" report "$W/r0.json" -o "$W/nodir/m.json"
# --- usage
expect_fail "no reports" 2 "missing REPORT" "$B" report
expect_fail "unknown option" 2 "unknown option: --bogus" "$B" report "$W/r0.json" --bogus
expect_fail "-o without a value" 2 "option needs a value" "$B" report "$W/r0.json" -o
"$B" report --help | grep -q '^usage: repodigest report REPORT.json' && ok || bad "report --help"
"$B" --help | grep -q '^  report FILE\.\.\.' && ok || bad "report missing from the main usage"
finish
