#!/bin/sh
# run.sh BINARY - `repodigest run`: the sample feed and a 300-repo synthetic
# feed against an offline file:// mirror: objects and sidecars, cache hits on
# the second run, every malformed feed in tests/data/feeds/bad and what its
# error or skip says, shards (flags, Kubernetes and Cloud Run variables)
# covering the feed exactly once, failures
# that do not stop the run, --max-failures, SIGTERM + --resume giving the same
# result as an uninterrupted run, --dry-run touching nothing.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
FEEDS=tests/data/feeds
B=$BIN

scripts/make-mirror "$FEEDS/sample-repos.json" "$W/mirror" >/dev/null ||
	{ bad "make-mirror"; finish; exit 1; }
M="--archive-url file://$W/mirror/{owner}/{repo}.tar.gz"
# a 300-repo feed (the same fixtures under other names)
python3 - "$W/big.json" <<'PY'
import json, sys
recs = [{"owner": "org%d" % (i % 7), "name": "repo-%03d" % i,
         "url": "https://github.com/org%d/repo-%03d" % (i % 7, i),
         "pushedAt": "2025-01-%02dT00:00:00Z" % (1 + i % 28)} for i in range(300)]
json.dump(recs, open(sys.argv[1], "w"), indent=2)
PY
scripts/make-mirror "$W/big.json" "$W/mirror" >/dev/null

summary() { grep -o 'Pipeline complete: [^"]*' "$1" | tail -1; }

# --- the sample feed: 30 records, 3 duplicates
expect_ok "sample run" "$B" run "$FEEDS/sample-repos.json" --out "$W/o" $M --state "$W/s1" --report "$W/r1.json" -j 4
summary "$W/out" | grep -q '^Pipeline complete: 27 total, 0 cached (0.0%), 27 processed, 0 failed' && ok || bad "sample: $(summary "$W/out")"
n=$(find "$W/o/gitingest" -name summary.txt | wc -l)
[ "$n" -eq 27 ] && ok || bad "sample: $n objects, want 27"
grep -c '"reason":"duplicate of record' "$W/out" | grep -q '^3$' && ok || bad "sample: duplicates not logged"
head -1 "$W/out" | grep -q '"message":"Starting pipeline".*"shard":"all jobs' && ok || bad "first line names the shard"
python3 - "$W/o" "$FEEDS/sample-repos.json" <<'PY' && ok || bad "sample: object metadata"
import json, os, sys
out, feed = sys.argv[1], json.load(open(sys.argv[2]))
for r in feed:
    d = os.path.join(out, "gitingest", r["owner"], r["name"])
    m = json.load(open(os.path.join(d, "summary.txt.meta")))
    assert m["pushedat"] == (r.get("pushedAt") or ""), (m, r)
    assert m["url"] == r["url"], m
    assert len(m["commit"]) == 40, m
    body = open(os.path.join(d, "summary.txt"), encoding="utf-8").read()
    assert body.startswith("Repository: %s/%s\n" % (r["owner"].lower(), r["name"].lower())), body[:80]
    assert len(body.encode()) <= 524288 + 64
PY
# second run: everything with a pushedAt is a cache hit (one record has none);
# an air-gapped run reads no CA file, so a broken SSL_CERT_FILE does not matter
SSL_CERT_FILE=$W/no-such-ca.pem expect_ok "sample rerun" "$B" run "$FEEDS/sample-repos.json" --out "$W/o" $M --state "$W/s2"
summary "$W/out" | grep -q '^Pipeline complete: 27 total, 26 cached (96.3%), 1 processed, 0 failed' && ok || bad "rerun: $(summary "$W/out")"
expect_ok "sample --force" "$B" run "$FEEDS/sample-repos.json" --out "$W/o" $M --state "$W/s3" --force
summary "$W/out" | grep -q ', 0 cached (0.0%), 27 processed' && ok || bad "force: $(summary "$W/out")"
# another --max-output changes every body: nothing stored with the old cap is
# current; the generator records the cap, and the next run with it is cached
expect_ok "sample, another --max-output" "$B" run "$FEEDS/sample-repos.json" --out "$W/o" $M --state "$W/s4" --max-output 4096
summary "$W/out" | grep -q ', 0 cached (0.0%), 27 processed' && ok || bad "new cap: $(summary "$W/out")"
grep -q '"generator": "repodigest/[^"]* max-output/4096"' "$W/o/gitingest/"*/*/summary.txt.meta && ok ||
	bad "the generator does not record the cap: $(head -c 300 "$(ls "$W/o/gitingest/"*/*/summary.txt.meta | head -1)")"
expect_ok "sample, same --max-output again" "$B" run "$FEEDS/sample-repos.json" --out "$W/o" $M --state "$W/s5" --max-output 4096
summary "$W/out" | grep -q ', 26 cached (96.3%), 1 processed' && ok || bad "same cap: $(summary "$W/out")"
# -i/-e apply to every repository and are part of the cache key too
grep -l '^FILE: .*\.c$' "$W/o/gitingest/"*/*/summary.txt >/dev/null && ok || bad "no .c file in the sample digests (test premise)"
expect_ok "sample -e '*.c'" "$B" run "$FEEDS/sample-repos.json" --out "$W/o" $M --state "$W/s6" -e '*.c'
summary "$W/out" | grep -q ', 0 cached (0.0%), 27 processed' && ok || bad "-e: $(summary "$W/out")"
grep -l '^FILE: .*\.c$' "$W/o/gitingest/"*/*/summary.txt >/dev/null && bad "-e '*.c': a .c file was stored" || ok
grep -q '"generator": "repodigest/[^"]* max-output/524288 patterns/[0-9a-f]\{16\}"' "$W/o/gitingest/"*/*/summary.txt.meta && ok ||
	bad "the generator does not record the patterns"
expect_ok "sample -e '*.c' again" "$B" run "$FEEDS/sample-repos.json" --out "$W/o" $M --state "$W/s7" -e '*.c'
summary "$W/out" | grep -q ', 26 cached (96.3%), 1 processed' && ok || bad "-e again: $(summary "$W/out")"
expect_ok "sample -e '*.h'" "$B" run "$FEEDS/sample-repos.json" --out "$W/o" $M --state "$W/s8" -e '*.h'
summary "$W/out" | grep -q ', 0 cached (0.0%), 27 processed' && ok || bad "-e other: $(summary "$W/out")"
# a pattern that cannot compile stops the run before any work, naming it
expect_fail "bad -i pattern" 1 'Bad pattern: invalid pattern (\[z-a\])' "$B" run "$FEEDS/sample-repos.json" \
	--out "$W/o-bad" $M --state "$W/s9" -i '[z-a]'
[ ! -e "$W/o-bad" ] && ok || bad "a bad pattern still did work"

# --- malformed feeds
for f in "$FEEDS"/bad/*.json; do
	name=$(basename "$f" .json)
	case $name in
	top-level-object|truncated)
		expect_fail "bad feed $name" 1 "Cannot parse the feed" "$B" run "$f" --out "$W/bad" $M --state "$W/sb" --log-format text ;;
	*)
		# a dry run: the valid records left are not in the mirror
		expect_ok "bad feed $name" "$B" run "$f" --out "$W/bad" $M --state "$W/sb" --log-format text --dry-run
		grep -q 'Skipping feed record' "$W/out" && ok || bad "bad feed $name: no skip line" ;;
	esac
done
expect_fail "missing feed" 1 "Cannot read the feed" "$B" run "$W/nope.json" --out "$W/bad" --state "$W/sb"
# what the messages say is so: a feed that is not JSON is a syntax error
# where it stops being JSON (not "top level is null" for an "n"); a JSON
# scalar is named; "\u0000" in a name is a NUL, not bad UTF-8
printf 'not json' > "$W/notjson.json"
expect_fail "feed not JSON" 1 "notjson.json: feed is not valid JSON at offset 1 (bad literal)" \
	"$B" run "$W/notjson.json" --out "$W/bad" --state "$W/sb" --log-format text
printf 'null\n' > "$W/null.json"
expect_fail "feed null" 1 "null.json: feed is not a JSON array of records (top level is null)" \
	"$B" run "$W/null.json" --out "$W/bad" --state "$W/sb" --log-format text
printf '[{"owner":"a","name":"n\\u0000","url":"https://github.com/a/n"}]' > "$W/nul.json"
expect_ok "feed with a NUL" "$B" run "$W/nul.json" --out "$W/bad" $M --state "$W/sb" --log-format text --dry-run
grep -q 'Skipping feed record index=0 repo=a reason=NUL character (U+0000) in name$' "$W/out" && ok ||
	bad "NUL in a name: $(grep Skipping "$W/out")"

# --- shards: the union of the shards' reports is the feed, once
shards_cover() { # NAME: reports $W/sh.*.json
	python3 - "$W" "$W/big.json" <<'PY'
import glob, json, sys
w, feed = sys.argv[1], json.load(open(sys.argv[2]))
seen = []
for f in glob.glob(w + "/sh.*.json"):
    seen += [r["repo"] for r in json.load(open(f))["repos"]]
want = sorted("%s/%s" % (r["owner"], r["name"]) for r in feed)
assert sorted(seen) == want, (len(seen), len(want))
PY
}
rm -f "$W"/sh.*.json
for i in 0 1 2; do
	JOB_COMPLETION_INDEX=$i REPODIGEST_SHARDS=3 "$B" run "$W/big.json" --dry-run --out "$W/dry" $M --state "$W/ss" --report "$W/sh.$i.json" > "$W/sh.$i.log" 2>&1 || bad "k8s shard $i failed"
done
head -1 "$W/sh.1.log" | grep -q 'JOB_COMPLETION_INDEX' && ok || bad "k8s shard not named in the first line"
shards_cover && ok || bad "k8s shards do not cover the feed exactly once"
rm -f "$W"/sh.*.json
for i in 0 1 2 3; do
	CLOUD_RUN_TASK_INDEX=$i CLOUD_RUN_TASK_COUNT=4 "$B" run "$W/big.json" --dry-run --out "$W/dry" $M --state "$W/ss" --report "$W/sh.$i.json" > /dev/null 2>&1 || bad "cloud run shard $i failed"
done
shards_cover && ok || bad "Cloud Run shards do not cover the feed exactly once"
rm -f "$W"/sh.*.json
for i in 0 1; do
	"$B" run "$W/big.json" --shard $i/2 --dry-run --out "$W/dry" $M --state "$W/ss" --report "$W/sh.$i.json" > /dev/null 2>&1 || bad "--shard $i/2 failed"
done
shards_cover && ok || bad "--shard shards do not cover the feed exactly once"
[ ! -d "$W/dry" ] || [ -z "$(find "$W/dry" -name summary.txt)" ] && ok || bad "--dry-run stored objects"
expect_fail "bad shard" 2 "^repodigest run: --shard 3/3: invalid shard" "$B" run "$W/big.json" --shard 3/3 --out "$W/dry" --state "$W/ss"

# --- failures do not stop the run
mv "$W/mirror/org3/repo-010.tar.gz" "$W/repo-010.tar.gz"
head -c 700 "$W/repo-010.tar.gz" > "$W/mirror/org4/repo-011.tar.gz"
expect_ok "failures" "$B" run "$W/big.json" --out "$W/f" $M --state "$W/sf" --report "$W/rf.json" -j 8
summary "$W/out" | grep -q '300 total, 0 cached (0.0%), 298 processed, 2 failed' && ok || bad "failures: $(summary "$W/out")"
grep -q '"repo":"org3/repo-010".*no such file' "$W/out" && ok || bad "failure not logged with its cause"
expect_fail "--max-failures" 1 "Pipeline complete" "$B" run "$W/big.json" --out "$W/f2" $M --state "$W/sf2" --max-failures 1 --log-format text
mv "$W/repo-010.tar.gz" "$W/mirror/org3/repo-010.tar.gz"
cp "$W/mirror/org4/repo-004.tar.gz" "$W/mirror/org4/repo-011.tar.gz"

# --- SIGTERM, then --resume: the same objects as one uninterrupted run
"$B" run "$W/big.json" --out "$W/full" $M --state "$W/sfull" -j 2 >/dev/null 2>&1
"$B" run "$W/big.json" --out "$W/part" $M --state "$W/spart" -j 1 --grace 10 > "$W/term.log" 2>&1 &
pid=$!
# (the log may not exist yet, nor the run have started: a missing log counts
# as no line, so the signal never comes before the run does)
i=0; while [ $i -lt 100 ] && n=$(grep -c 'Stored digest' "$W/term.log" 2>/dev/null; true) &&
	[ "${n:-0}" -lt 20 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM $pid
s=$(date +%s); wait $pid; rc=$?
[ $rc -eq 130 ] && ok || bad "SIGTERM: exit $rc, want 130"
[ $(( $(date +%s) - s )) -le 12 ] && ok || bad "SIGTERM: did not stop within the grace period"
python3 - "$W/spart" <<'PY' && ok || bad "state file after SIGTERM"
import json, sys
s = json.load(open(sys.argv[1]))
assert len(s["done"]) + len(s["failed"]) + len(s["pending"]) == 300, s
assert len(s["done"]) >= 20 and len(s["pending"]) > 0, (len(s["done"]), len(s["pending"]))
PY
if find "$W/part" -name '*.tmp*' | grep -q .; then bad "temp files left after SIGTERM"; else ok; fi
expect_ok "resume" "$B" run "$W/big.json" --out "$W/part" $M --state "$W/spart2" --resume "$W/spart"
(cd "$W/full" && find . -name summary.txt | sort | xargs cat | md5sum) > "$W/a"
(cd "$W/part" && find . -name summary.txt | sort | xargs cat | md5sum) > "$W/b"
cmp -s "$W/a" "$W/b" && ok || bad "resumed run differs from an uninterrupted one"
finish
