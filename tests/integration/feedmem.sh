#!/bin/sh
# feedmem.sh BINARY - feed memory is bounded: a 200k-record feed in the real
# format (114 MB, scripts/gen-feed) run with --dry-run peaks at <= 128 MiB RSS
# (GNU time's maximum resident set size), from a file and from a pipe; every
# record is accounted for (kept + skipped duplicates = 200k); a feed cut in
# the middle is still "Cannot parse the feed", within the same bound. A
# memory bound only: nothing here is timed.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
N=200000
LIMIT_KIB=131072        # 128 MiB (the cJSON parser peaked at 623 MiB here)

scripts/gen-feed $N > "$W/feed.json" || { bad "gen-feed"; finish; exit 1; }

# peak RUN...: the command's maximum RSS in KiB into $W/rss, its stdout into
# $W/out; returns its status
peak() {
	/usr/bin/time -f '%M' -o "$W/rss" "$@" > "$W/out" 2> "$W/err"
}
check_peak() {
	kib=$(tail -1 "$W/rss")
	if [ "$kib" -le "$LIMIT_KIB" ] 2>/dev/null; then ok
	else bad "$1: peak RSS ${kib} KiB, over $LIMIT_KIB KiB"; fi
	echo "feedmem: $1: peak RSS $kib KiB"
}
# the counts: records = kept + skipped, every skip a duplicate
check_counts() {
	loaded=$(grep -o 'Feed loaded records=[0-9]* valid=[0-9]*' "$W/out")
	rec=$(echo "$loaded" | sed 's/.*records=\([0-9]*\).*/\1/')
	valid=$(echo "$loaded" | sed 's/.*valid=\([0-9]*\).*/\1/')
	skips=$(grep -c 'Skipping feed record' "$W/out")
	dups=$(grep -c 'Skipping feed record.*reason=duplicate of record' "$W/out")
	total=$(grep -o 'Dry run complete: [0-9]* total' "$W/out" | grep -o '[0-9]*')
	if [ "$rec" = $N ] && [ $((valid + skips)) -eq $N ] && [ "$skips" = "$dups" ] &&
	    [ "$skips" -gt 0 ] && [ "$total" = "$valid" ]; then ok
	else bad "$1: records=$rec valid=$valid skipped=$skips (duplicates $dups) total=$total"; fi
}

peak timeout 120 "$BIN" run "$W/feed.json" --dry-run --out "$W/o" --log-format text
rc=$?
[ $rc -eq 0 ] && ok || bad "dry run from a file: exit $rc: $(head -2 "$W/err")"
check_peak "200k dry run, file"
check_counts "200k dry run, file"
[ ! -e "$W/o" ] && ok || bad "dry run created its output directory"

# from a pipe: read as it comes, never whole
peak timeout 120 sh -c "\"$BIN\" run - --dry-run --out \"$W/o\" --log-format text < \"$W/feed.json\""
rc=$?
[ $rc -eq 0 ] && ok || bad "dry run from stdin: exit $rc: $(head -2 "$W/err")"
check_peak "200k dry run, stdin"
check_counts "200k dry run, stdin"

# cut in the middle of a record: fatal, records before it reported
head -c 60000000 "$W/feed.json" > "$W/cut.json"
peak timeout 120 "$BIN" run "$W/cut.json" --dry-run --out "$W/o" --log-format text
rc=$?
[ $rc -eq 1 ] && grep -q 'Cannot parse the feed: .*truncated' "$W/err" && ok ||
	bad "cut feed: exit $rc: $(head -2 "$W/err")"
check_peak "cut feed"
finish
