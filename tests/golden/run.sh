#!/bin/sh
# golden/run.sh BINARY - compare `repodigest digest` with the real gitingest 0.3.1
# output for every fixture in tests/data/gitingest: the local directory
# flavour, the GitHub-tarball flavour (file and stdin) and the summaries.
# Digests must match byte for byte; the "Estimated tokens" figure within 10%.
# Prints one line per failure and "N passed, N failed".
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
TD=$(cd "$(dirname "$0")/../data/gitingest" && pwd)
MK=$TD/make-fixtures.sh
EXP=$TD/expected
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL golden: $*" >&2; }

bash "$MK" "$W/fx" >/dev/null || { echo "FAIL golden: make-fixtures failed" >&2; echo "0 passed, 1 failed"; exit 1; }
bash "$MK" --tar "$W/tar" >/dev/null || { echo "FAIL golden: make-fixtures --tar failed" >&2; echo "0 passed, 1 failed"; exit 1; }

# tokens VALUE -> integer (1.4k -> 1400, 2.2M -> 2200000)
tokens() {
	awk -v v="$1" 'BEGIN {
		m = 1; if (v ~ /k$/) { m = 1000; sub(/k$/, "", v) } else if (v ~ /M$/) { m = 1000000; sub(/M$/, "", v) }
		printf "%d\n", v * m }'
}

# check_summary NAME GOT EXPECTED
check_summary() {
	if [ "$(grep -v '^Estimated tokens:' "$2")" != "$(grep -v '^Estimated tokens:' "$3")" ]; then
		bad "$1: summary differs"; diff "$3" "$2" | head -10 >&2; return
	fi
	g=$(tokens "$(sed -n 's/^Estimated tokens: //p' "$2")")
	e=$(tokens "$(sed -n 's/^Estimated tokens: //p' "$3")")
	if awk -v g="$g" -v e="$e" 'BEGIN { d = g - e; if (d < 0) d = -d; exit !(d <= e * 0.10 + 50) }'; then
		ok
	else
		bad "$1: estimated tokens $g, gitingest $e (over 10%)"
	fi
}

for f in $(bash "$MK" --list); do
	opts=$(cat "$EXP/$f/options.txt")
	# local directory, run from the fixture's parent as gitingest was
	(cd "$W/fx" && eval "\"$BIN\" digest $opts $f" >"$W/$f.out" 2>"$W/$f.err")
	rc=$?
	if [ $rc -ne 0 ]; then bad "$f: exit $rc: $(head -3 "$W/$f.err")"; else ok; fi
	if cmp -s "$W/$f.out" "$EXP/$f/digest.txt"; then ok; else
		bad "$f: digest differs from gitingest"; diff "$EXP/$f/digest.txt" "$W/$f.out" | head -20 >&2
	fi
	printf '%s' "$(cat "$W/$f.err")" > "$W/$f.sum"
	check_summary "$f" "$W/$f.sum" "$EXP/$f/summary.txt"

	# --format full = summary + "\n" + digest
	(cd "$W/fx" && eval "\"$BIN\" digest --format full $opts $f" >"$W/$f.full" 2>/dev/null)
	{ cat "$W/$f.sum"; printf '\n'; cat "$W/$f.out"; } > "$W/$f.fullexp"
	if cmp -s "$W/$f.full" "$W/$f.fullexp"; then ok; else bad "$f: --format full is not summary + \\n + digest"; fi

	# GitHub-shaped tarball, as RepoDigest/NAME: the remote flavour
	eval "\"$BIN\" digest $opts --repo RepoDigest/$f \"$W/tar/$f.tar.gz\"" >"$W/$f.rout" 2>"$W/$f.rerr"
	rc=$?
	if [ $rc -ne 0 ]; then bad "$f.tar.gz: exit $rc: $(head -3 "$W/$f.rerr")"; else ok; fi
	if cmp -s "$W/$f.rout" "$EXP/$f/remote-digest.txt"; then ok; else
		bad "$f.tar.gz: digest differs from gitingest's remote flavour"; diff "$EXP/$f/remote-digest.txt" "$W/$f.rout" | head -20 >&2
	fi
	printf '%s' "$(cat "$W/$f.rerr")" > "$W/$f.rsum"
	check_summary "$f.tar.gz" "$W/$f.rsum" "$EXP/$f/remote-summary.txt"

	# the same archive on stdin, and uncompressed
	eval "\"$BIN\" digest -q $opts --repo RepoDigest/$f -" <"$W/tar/$f.tar.gz" >"$W/$f.sout" 2>/dev/null
	if cmp -s "$W/$f.sout" "$EXP/$f/remote-digest.txt"; then ok; else bad "$f: stdin tar.gz differs"; fi
	gzip -dc "$W/tar/$f.tar.gz" | eval "\"$BIN\" digest -q $opts --repo RepoDigest/$f -" >"$W/$f.tout" 2>/dev/null
	if cmp -s "$W/$f.tout" "$EXP/$f/remote-digest.txt"; then ok; else bad "$f: stdin plain tar differs"; fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
