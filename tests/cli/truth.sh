#!/bin/sh
# truth.sh BINARY - what the commands say is what they do (issue 23, part 2),
# offline (a file:// mirror made here), each case a failure before its fix:
#   - a run's --archive-url must name the repository ({owner} and {repo}):
#     a fixed URL or {ref} alone is a usage error, exit 2, nothing stored;
#     digest of one repository may use a fixed URL;
#   - no two of FEED, --state and --report (as the shard names it), nor of
#     digest's SOURCE, -o, --report and its --out object, may be one file
#     (same inode, or the same normalised path): exit 2, nothing replaced;
#     none may lie among --out's objects; devices repeat freely;
#   - a run's report counts and lists the feed records it skipped, and
#     `report` shows them and says the result is complete only "except" them;
#   - a write that leaves temporary files (.NAME.tmp.HEX, older than the run)
#     has them removed by the next write of that object, and only those;
#   - each directory a store makes has its parent fsynced, once (strace);
#   - a full disk (strace: ENOSPC) names the file that cannot be written, not
#     the source;
#   - digest OWNER/REPO --out DIR takes the object's name from the source;
#   - -b/--branch REF is OWNER/REPO@REF; run takes -s and --include-gitignored
#     and records them in the generator (another setting is not current);
#   - help and README agree: every numeric option's range in --help as the
#     parser checks it, --strip-components' default, chunks and --max-output,
#     report's --timeout, `help version` and `version --help`; the chunk id's
#     byte layout as README gives it.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
B=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
README=$PWD/README.md
# strace injects the failures (a full disk) and sees the fsyncs: a test
# that cannot run them fails, never skips them
command -v strace >/dev/null || scripts/setup strace >"$W/setup.log" 2>&1 ||
	{ bad "setup strace: $(tail -3 "$W/setup.log")"; finish; exit 1; }
# traced ARGS...: strace ARGS; LeakSanitizer cannot run under ptrace (the
# ASan build's other cases still check leaks)
traced() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace "$@"; }

# two repositories as GitHub tarballs, and o/r at ref dev
for r in r1 r2 dev; do
	mkdir -p "$W/src/o-$r-1234567/src"
	printf '# %s\n' "$r" >"$W/src/o-$r-1234567/README.md"
	printf 'int x;\n' >"$W/src/o-$r-1234567/src/x.c"
	printf 'a file of more than ten bytes\n' >"$W/src/o-$r-1234567/big.txt"
	printf 'ignored.txt\n' >"$W/src/o-$r-1234567/.gitignore"
	printf 'ig\n' >"$W/src/o-$r-1234567/ignored.txt"
done
mkdir -p "$W/m/o"
for r in r1 r2; do (cd "$W/src" && tar -czf "$W/m/o/$r.tar.gz" "o-$r-1234567"); done
(cd "$W/src" && tar -czf "$W/m/o/r1-dev.tar.gz" "o-dev-1234567")
M="file://$W/m/{owner}/{repo}.tar.gz"
feed() { # FILE OWNER/NAME...
	f=$1; shift
	{ printf '['; sep=
	  for r; do printf '%s{"owner":"%s","name":"%s","url":"https://github.com/%s","pushedAt":"2025-01-01T00:00:00Z"}' \
		"$sep" "${r%/*}" "${r#*/}" "$r"; sep=,; done
	  printf ']'; } >"$f"
}
feed "$W/f.json" o/r1 o/r2
cd "$W" || exit 1

# --- 1. a run's template names the repository
for t in "file://$W/m/o/r1.tar.gz" "file://$W/m/o/{ref}.tar.gz" "file://$W/m/{owner}/r1.tar.gz"; do
	expect_fail "template $t" 2 "run: --archive-url must name the repository with {owner} and {repo}" \
		"$B" run f.json --out o1 --state s1.json --archive-url "$t"
done
[ ! -e o1 ] && [ ! -e s1.json ] && ok || bad "a template without {owner}/{repo}: something was stored"
expect_ok "digest: a fixed URL" "$B" digest -q o/anything --archive-url "file://$W/m/o/r1.tar.gz" -o d1.txt
grep -q '^FILE: README.md$' d1.txt && ok || bad "digest with a fixed URL: $(head -3 d1.txt)"

# --- 2. one file, two uses
cp f.json keep.json
# intact WHAT: the feed is as it was (then restored, so that one failure does
# not hide the cases after it)
intact() { cmp -s f.json keep.json && ok || bad "$1: the feed was replaced"; rm -f f.json; cp keep.json f.json; }
expect_fail "feed = --state" 2 "run: FEED and --state name the same file: f.json" \
	"$B" run f.json --state f.json --archive-url "$M" --out o2
intact "feed = --state"
expect_fail "--state = --report" 2 "run: --state and --report name the same file" \
	"$B" run f.json --state x.json --report ./x.json --archive-url "$M" --out o2
[ ! -e x.json ] && ok || bad "--state = --report: x.json written"
mkdir -p sub
expect_fail "--state = --report, other spellings" 2 "name the same file" \
	"$B" run f.json --state sub/../y.json --report "$W//y.json" --archive-url "$M" --out o2
ln -s f.json link.json
expect_fail "feed = --report through a symlink" 2 "FEED and --report name the same file" \
	"$B" run link.json --report f.json --archive-url "$M" --out o2
intact "feed = --report through a symlink"
expect_fail "--report {shard} = --state" 2 "run: --state and --report name the same file: s1.json" \
	"$B" run f.json --shard 1/2 --state s1.json --report 's{shard}.json' --archive-url "$M" --out o2
expect_fail "--state among the objects" 2 "run: --state lies inside the objects of --out" \
	"$B" run f.json --state o2/gitingest/st.json --archive-url "$M" --out o2
[ ! -e o2 ] && ok || bad "a refused run stored something: $(find o2 -type f | head -3)"
rm -rf o2
expect_ok "--resume = --state is the usual" "$B" run f.json --state st.json --archive-url "$M" --out o3 --log-format text
expect_ok "--resume = --state" "$B" run f.json --state st.json --resume st.json --archive-url "$M" --out o3 --log-format text
cp m/o/r1.tar.gz t.tar.gz
expect_fail "digest SOURCE = -o" 2 "digest: SOURCE and -o name the same file: t.tar.gz" "$B" digest t.tar.gz -o t.tar.gz
cmp -s t.tar.gz m/o/r1.tar.gz && ok || bad "the source was replaced"
cp m/o/r1.tar.gz t.tar.gz
expect_fail "digest --report = the --out object" 2 "digest: --report and the --out object name the same file" \
	"$B" digest t.tar.gz --repo o/r1 --out o4 --report o4/gitingest/o/r1/summary.txt
expect_ok "-o and --report both /dev/null" "$B" digest -q t.tar.gz -o /dev/null --report /dev/null

# --- 4. skipped feed records in the report and in `report`
cat >bad.json <<EOF
[{"owner":"o","name":"r1","url":"https://github.com/o/r1"},
 {"owner":"o","name":"R1","url":"https://github.com/o/r1"},
 7,
 {"owner":"o","name":"r2"}]
EOF
"$B" run bad.json --archive-url "$M" --out o5 --state s5.json --report r5.json --log-format text >log5 2>&1 ||
	bad "run of a feed with bad records: $(tail -2 log5)"
python3 - r5.json <<'PY' && ok || bad "skipped records in the run report: $(grep -A12 skipped r5.json)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["total"] == 1 and r["skipped"] == 3, r
got = [(k["index"], k["record"], k["reason"]) for k in r["skipped_records"]]
assert got == [(1, "o/R1", "duplicate of record 0"), (2, "", "record is not an object (number)"),
               (3, "o/r2", "missing url")], got
PY
expect_ok "report of a run with skipped records" "$B" report r5.json
grep -q '^Feed records skipped (not in the batch): 3$' out && grep -q '^  record 2: record is not an object (number)$' out &&
	ok || bad "report does not list the skipped records: $(cat out)"
grep -q '^Result: complete, except 3 feed records skipped (listed above)$' out && ok ||
	bad "report calls the run complete without saying so: $(grep Result out)"
"$B" report r5.json r5.json -o m5.json >/dev/null 2>&1
python3 -c 'import json,sys; m=json.load(open("m5.json")); assert m["skipped"] == 3 and len(m["skipped_records"]) == 3, m' &&
	ok || bad "merged report: the skipped records twice or lost"

# --- 6. stale temporary files of the object written are removed
d=o3/gitingest/o/r1
touch -d 2020-01-01 "$d/.summary.txt.tmp.0123456789abcdef" "$d/.summary.txt.meta.tmp.fedcba9876543210" \
	"$d/.summary.txt.tmp.0123456789abcdeX" "$d/.other.tmp.0123456789abcdef" "o3/gitingest/o/r2/.summary.txt.tmp.0123456789abcdef"
touch -d '2099-01-01' "$d/.summary.txt.tmp.aaaaaaaaaaaaaaaa"
"$B" run f.json --state s6.json --archive-url "$M" --out o3 --force --shard 0/1 --log-format text >log6 2>&1 ||
	bad "run over stale temp files: $(tail -2 log6)"
[ ! -e "$d/.summary.txt.tmp.0123456789abcdef" ] && [ ! -e "$d/.summary.txt.meta.tmp.fedcba9876543210" ] &&
	ok || bad "stale temp files of the object left: $(ls -a "$d")"
[ -e "$d/.summary.txt.tmp.0123456789abcdeX" ] && [ -e "$d/.other.tmp.0123456789abcdef" ] &&
	[ -e "$d/.summary.txt.tmp.aaaaaaaaaaaaaaaa" ] && ok || bad "a file not ours, or newer than the run, removed: $(ls -a "$d")"

# --- 7. a new directory's parent is fsynced when it is made, once
traced -f -qq -o st7a -e trace=mkdir,mkdirat,fsync "$B" run f.json --state s7.json --archive-url "$M" \
	--out o7 -j 1 --log-format text >/dev/null 2>&1 || bad "run under strace"
traced -f -qq -o st7b -e trace=mkdir,mkdirat,fsync "$B" run f.json --state s7.json --archive-url "$M" \
	--out o7 -j 1 --force --log-format text >/dev/null 2>&1 || bad "run under strace (again)"
python3 - st7a st7b <<'PY' && ok || bad "directories made without an fsync of their parent, or synced per object"
import re, sys
def calls(f):
    seen = {}
    for line in open(f):
        m = re.match(r'(?:\[pid\s+)?(\d+)\]?\s+(\w+)\((.*)\)\s+= (-?\d+)', line)
        if m:
            seen.setdefault(m.group(1), []).append((m.group(2), m.group(3), int(m.group(4))))
    return seen
made = syncs = 0
for pid, cs in calls(sys.argv[1]).items():
    for i, (name, args, rc) in enumerate(cs):
        if name.startswith("mkdir") and rc == 0:
            made += 1
            parent = args.split(",")[0] if name == "mkdirat" else None
            nxt = cs[i + 1] if i + 1 < len(cs) else None
            assert nxt and nxt[0] == "fsync" and (parent is None or nxt[1] == parent), (name, args, nxt)
first = sum(1 for cs in calls(sys.argv[1]).values() for c in cs if c[0] == "fsync")
again = sum(1 for cs in calls(sys.argv[2]).values() for c in cs if c[0] == "fsync")
# o7, gitingest, o, r1, r2: five directories, one fsync each, the first time only
assert made == 5 and first - again == made, (made, first, again)
PY
# --- 16. a full disk names the file that cannot be written
traced -f -qq -o /dev/null -e trace=write -e inject=write:error=ENOSPC:when=1 \
	"$B" digest m/o/r1.tar.gz --repo o/r1 --out o16 -q 2>err16
grep -q "^repodigest: o16/gitingest/o/r1/summary.txt: cannot write output .*No space left on device$" err16 &&
	! grep -q 'r1.tar.gz' err16 && ok || bad "full disk: the destination is not named: $(cat err16)"
# the worker's second write is the sidecar (its first the body); the
# mirror's download thread writes the tarball once
traced -f -qq -o /dev/null -e trace=write -e inject=write:error=ENOSPC:when=2 \
	"$B" run f.json --shard 0/1 --state s16.json --archive-url "$M" --out o16r -j 1 --log-format text >log16 2>&1
grep -q "error Failed repo=o/r1 error=o16r/gitingest/o/r1/summary.txt.meta: cannot write output" log16 &&
	! grep 'Failed' log16 | grep -q 'file://' && ok || bad "full disk in a run: $(grep Failed log16)"

# --- 12. the object's name from the source
expect_ok "digest OWNER/REPO --out" "$B" digest -q o/r1 --archive-url "$M" --out o12
[ -s o12/gitingest/o/r1/summary.txt ] && grep -q '^Repository: o/r1$' o12/gitingest/o/r1/summary.txt && ok ||
	bad "digest OWNER/REPO --out: $(find o12 -type f)"
expect_fail "--out s3:// without a name" 2 "digest: --out needs the repository's name for the object's key: a GitHub source, or --repo OWNER/REPO: s3://bkt/p" \
	"$B" digest t.tar.gz --out s3://bkt/p
grep -q -- '--out DIR' "$W/err" && bad "the message says --out DIR for s3://" || ok

# --- 18. -b/--branch; run's -s and --include-gitignored
BM="file://$W/m/{owner}/{repo}-{ref}.tar.gz"
expect_ok "digest -b" "$B" digest -q o/r1 -b dev --archive-url "$BM" -o b1.txt
expect_ok "digest @REF" "$B" digest -q o/r1@dev --archive-url "$BM" -o b2.txt
cmp -s b1.txt b2.txt && grep -q '^# dev$' b1.txt && ok || bad "-b dev differs from @dev"
expect_ok "digest -b --out" "$B" digest -q https://github.com/o/r1 --branch dev --archive-url "$BM" --out o18
[ -s o18/gitingest/o/r1/@dev/summary.txt ] && ok || bad "-b --out: $(find o18 -type f)"
expect_fail "-b on a directory" 2 "digest: -b/--branch needs a GitHub repository source" "$B" digest "$W/src" -b dev
expect_fail "-b and another @REF" 2 "digest: -b/--branch and the source's ref differ: dev" "$B" digest o/r1@main -b dev
"$B" run f.json --shard 0/1 --state s18.json --archive-url "$M" --out o18r -s 10 --include-gitignored --log-format text >log18 2>&1 ||
	bad "run -s --include-gitignored: $(tail -2 log18)"
S=o18r/gitingest/o/r1/summary.txt
grep -q '^FILE: ignored.txt$' $S && ! grep -q '^FILE: big.txt$' $S && ok || bad "run -s 10 --include-gitignored: $(grep '^FILE' $S)"
grep -q '"generator": ".* max-size/10 gitignored"' $S.meta && ok || bad "run's generator: $(grep generator $S.meta)"
"$B" run f.json --shard 0/1 --state s18.json --archive-url "$M" --out o18r --log-format text >log18 2>&1
grep -q 'Pipeline complete: 2 total, 0 cached' log18 && ok || bad "another -s taken as current: $(grep Pipeline log18)"

# --- 17. help and README agree
for c in digest run report index; do
	"$B" "$c" --help >h.txt
	# every option with a numeric value: the range the parser checks is
	# the one --help shows, "(LO to HI" or "(LO to HI, default D)"
	sed -n 's/^ *\(-[a-z], \)\{0,1\}\(--[a-z0-9-]*\) \(N\|SECS\|BYTES\)\b.*/\2/p' h.txt | sort -u >nums.txt
	[ -s nums.txt ] || { bad "$c: no numeric option found in --help"; continue; }
	while read -r o; do
		"$B" "$c" "$o" x >/dev/null 2>e.txt
		range=$(sed -n 's/.* needs a number from \(.*\): x$/\1/p' e.txt)
		[ -n "$range" ] || continue         # any positive number: no range
		python3 - h.txt "$o" "$range" <<'PY' && ok || bad "$c --help: $o does not show its range ($range)"
import re, sys
text, opt, rng = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
# the option's help: its line and those indented under it
m = re.search(r"^ *(-[a-z], )?%s [A-Z]+.*?(?=^ {0,6}-|\Z)" % re.escape(opt), text, re.M | re.S)
block = " ".join(m.group(0).split()) if m else ""
assert "(%s)" % rng in block or "(%s, default" % rng in block, block
PY
	done <nums.txt
done
"$B" digest --help | tr '\n' ' ' | sed 's/  */ /g' >h.txt
grep -q "default: when every entry lies in the first entry's directory" h.txt &&
	tr '\n' ' ' <"$README" | grep -q "default: when every entry lies in the first entry's directory" &&
	ok || bad "--strip-components' default: help and README differ"
grep -q -- '--format .*chunks: .*not with --max-output' h.txt && ok || bad "digest --help: chunks and --max-output"
"$B" report --help | tr '\n' ' ' | sed 's/  */ /g' | grep -q -- '--timeout SECS time for the whole of each download or S3 request' &&
	ok || bad "report --help: --timeout"
expect_ok "help version" "$B" help version && grep -q '^usage: repodigest version' out && ok || bad "help version: $(cat out)"
expect_ok "version --help" "$B" version --help && grep -q '^usage: repodigest version' out &&
	! grep -q '^repodigest [0-9]' out && ok || bad "version --help: $(cat out)"
expect_fail "version x" 2 "version: unexpected argument: x" "$B" version x
# the chunk id, computed as README lays its bytes out
layout='SHA-256 over `be64(len(repo)) repo be64(len(path)) path be64(8) be64(chunk) be64(len(text)) text`'
grep -qF "$layout" "$README" && ok || bad "README does not give the chunk id's byte layout"
"$B" digest t.tar.gz --repo o/r1 --format chunks -o c.jsonl || bad "chunks"
python3 - c.jsonl <<'PY' && ok || bad "a chunk id is not README's layout"
import hashlib, json, struct, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    c = json.loads(line)
    def f(b): return struct.pack(">Q", len(b)) + b
    # a lone surrogate half (a chunk cut inside a pair) counts as U+FFFD
    text = "".join("\ufffd" if 0xd800 <= ord(ch) <= 0xdfff else ch
                   for ch in c["text"]).encode("utf-8")
    h = hashlib.sha256(f(c["repo"].encode()) + f(c["path"].encode()) +
                       f(struct.pack(">Q", c["chunk"])) + f(text)).hexdigest()[:32]
    assert h == c["id"], (c["path"], c["chunk"])
    n += 1
assert n > 0
PY
finish
