#!/bin/sh
# cli/chunks.sh BINARY - `digest --format chunks` against LangChain.js itself
# (tests/chunks/oracle.mjs, @langchain/textsplitters installed by
# scripts/setup-node): every golden fixture, the generated edge cases
# (tests/chunks/edge.mjs) at the default and at small chunk sizes, and a sample
# per language from the bench corpus (fetched once by scripts/bench-corpus into
# make bench's cache, or BENCH_CORPUS; said skipped when it cannot be had, e.g.
# offline); then the options' errors and --out DIR. Prints one line per
# failure and "N passed, N failed".
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.."
CORPUS=${BENCH_CORPUS:-${BENCH_CACHE:-$HOME/.cache/repodigest-bench}/corpus}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL chunks: $*" >&2; }

if ! ./scripts/setup-node; then
	echo "0 passed, 1 failed"; exit 1
fi
ORACLE=$(pwd)/build/node/oracle.mjs

# compare NAME ROOT [SIZE OVERLAP] -- digest ARGS...: ours vs LangChain's
compare() {
	name=$1 root=$2; shift 2
	size=1000 overlap=100
	if [ "$1" != "--" ]; then size=$1 overlap=$2; shift 2; fi
	shift
	if ! "$BIN" digest "$@" --format chunks --chunk-size "$size" \
	    --chunk-overlap "$overlap" --report "$W/r.json" >"$W/c.jsonl" 2>"$W/err"; then
		bad "$name: exit $?: $(head -3 "$W/err")"; return
	fi
	out=$(node "$ORACLE" "$root" "$W/r.json" "$W/c.jsonl" "$size" "$overlap" 2>&1)
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
	p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
	if [ -z "$line" ]; then bad "$name: oracle: $(echo "$out" | tail -5)"; return; fi
	pass=$((pass + p)); fail=$((fail + f))
	[ "$f" -eq 0 ] || echo "$out" | grep '^FAIL' | sed "s|^FAIL chunks: |FAIL chunks: $name: |" | head -10 >&2
}

# every golden fixture, with its options, as the golden test digests it
TD=tests/data/gitingest
bash "$TD/make-fixtures.sh" "$W/fx" >/dev/null || bad "make-fixtures failed"
for f in $(bash "$TD/make-fixtures.sh" --list); do
	opts=$(cat "$TD/expected/$f/options.txt")
	eval "set -- $opts"
	compare "golden/$f" "$W/fx/$f" -- "$W/fx/$f" "$@"
done

# edge cases, at the default and at sizes that put every edge in play
node build/node/edge.mjs "$W/edge" || bad "edge.mjs failed"
compare edge "$W/edge" -- "$W/edge"
compare edge/200 "$W/edge" 200 20 -- "$W/edge"
compare edge/50 "$W/edge" 50 0 -- "$W/edge"
compare edge/7 "$W/edge" 7 6 -- "$W/edge"
compare edge/1 "$W/edge" 1 0 -- "$W/edge"

# the bench corpus (scripts/bench-corpus: five upstream tarballs, pinned
# SHA-256): up to 15 files per language from each tarball. Fetched once when
# missing (about 45 MB); skipped, and said so, when that fails (e.g. offline).
CORPUS_NAMES="curl git nginx python3.11 redis"
have_corpus() { for n in $CORPUS_NAMES; do [ -s "$CORPUS/$n.tar.gz" ] || return 1; done; }
if ! have_corpus && ! scripts/bench-corpus "$CORPUS" >/dev/null 2>"$W/corpus.err"; then
	echo "skip: the corpus samples (no bench corpus at $CORPUS, and scripts/bench-corpus could not fetch it: $(tail -1 "$W/corpus.err"))"
else
	for n in $CORPUS_NAMES; do
		t=$CORPUS/$n.tar.gz
		mkdir -p "$W/b/$n"
		tar -tzf "$t" 2>/dev/null | awk -F/ '
		    { n = split($NF, p, "."); e = n > 1 ? tolower(p[n]) : "" }
		    e ~ /^(c|h|cc|cpp|go|java|js|ts|php|proto|py|rst|rb|rs|scala|swift|md|tex|html|sol|txt)$/ &&
		    seen[e]++ < 15 { print }' > "$W/b/$n.list"
		[ -s "$W/b/$n.list" ] || bad "corpus/$n: no sample files in $t"
		tar -xzf "$t" -C "$W/b/$n" -T "$W/b/$n.list" 2>/dev/null
		compare "corpus/$n" "$W/b/$n" -- "$W/b/$n" --strip-components 1 --include-gitignored
	done
fi

# the options' errors: exit 2 and a message naming the problem
usage() {
	want=$1; shift
	"$BIN" digest "$W/edge" "$@" >"$W/o" 2>"$W/e"
	rc=$?
	if [ $rc -eq 2 ] && grep -q -- "$want" "$W/e" && [ ! -s "$W/o" ]; then ok; else
		bad "digest $*: exit $rc, $(head -1 "$W/e")"; fi
}
usage "less than --chunk-size" --format chunks --chunk-size 100 --chunk-overlap 100
usage "--chunk-size needs" --format chunks --chunk-size 0
usage "--chunk-size needs" --format chunks --chunk-size 1000001
usage "--chunk-overlap needs" --format chunks --chunk-overlap x
usage "need --format chunks" --chunk-size 500
usage "does not apply" --format chunks --max-output 1000
usage "must be text, full, json or chunks" --format chunk

# --out DIR stores chunks.jsonl (the object run --format chunks stores; more
# in tests/integration/chunks.sh) with the bytes stdout gets
"$BIN" digest "$W/edge" --format chunks --chunk-size 200 --chunk-overlap 20 \
    --repo o/r >"$W/stdout.jsonl" 2>/dev/null
if "$BIN" digest "$W/edge" --format chunks --chunk-size 200 --chunk-overlap 20 \
    --repo o/r --out "$W/store/" 2>"$W/e" &&
    cmp -s "$W/stdout.jsonl" "$W/store/gitingest/o/r/chunks.jsonl" &&
    grep -q '"generator": ".* format/chunks chunk-size/200 chunk-overlap/20"' \
    "$W/store/gitingest/o/r/chunks.jsonl.meta" &&
    [ ! -e "$W/store/gitingest/o/r/summary.txt" ]; then ok; else
	bad "digest --format chunks --out DIR: $(head -1 "$W/e")"; fi

# the id is stable (same input, same ids) and differs per chunk
"$BIN" digest "$W/edge" --format chunks >"$W/a" 2>/dev/null
"$BIN" digest "$W/edge" --format chunks >"$W/b2" 2>/dev/null
if cmp -s "$W/a" "$W/b2" && [ -s "$W/a" ]; then ok; else bad "two runs differ"; fi
ids=$(sed 's/.*"id":"\([0-9a-f]*\)".*/\1/' "$W/a" | sort | uniq -d | wc -l)
if [ "$ids" -eq 0 ]; then ok; else bad "$ids duplicate ids"; fi

# without --report the digest's own token estimate is skipped (chunks carry
# theirs): the chunks are the same, and --report still has every file's
# estimate, as the full format's report has it
"$BIN" digest "$W/edge" --format chunks --report "$W/rc.json" >"$W/b3" 2>/dev/null
"$BIN" digest "$W/edge" --format full --report "$W/rf.json" >/dev/null 2>&1
if cmp -s "$W/a" "$W/b3"; then ok; else bad "--report changes the chunks"; fi
if python3 - "$W/rc.json" "$W/rf.json" <<'PY'; then ok; else bad "report tokens with --format chunks"; fi
import json, sys
c, f = (json.load(open(p))["included"] for p in sys.argv[1:3])
tok = lambda r: {x["path"]: x.get("tokens") for x in r}
sys.exit(0 if tok(c) == tok(f) and sum(tok(c).values()) > 0 else 1)
PY

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
