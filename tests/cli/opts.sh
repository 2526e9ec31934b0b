#!/bin/sh
# opts.sh BINARY - the option tables of every command, from the outside:
# each option is accepted with a good value and refused with a bad one (or
# none) in one line naming it, exit 2; each command's help (--help and
# `help CMD`, the same text) lists exactly the options tested here, so a new
# option without a test fails; an option several commands share gives the
# same answer in each; a closed stdout pipe ends quietly, as cat.
BIN=$1
. "$(dirname "$0")/lib.inc"
set -f          # patterns and {placeholders} below are not for the shell

mkdir -p "$W/t"
printf 'hello\n' >"$W/t/README.md"
printf 'int x;\n' >"$W/t/x.c"
MIRROR="file://$W/mirror/{owner}/{repo}.tar.gz"
mkdir -p "$W/mirror/owner"
tar -czf "$W/mirror/owner/repo-main.tar.gz" -C "$W" t

# CMD|OPTION|GOOD ARGS|BAD VALUE. GOOD ARGS follow the option (may be
# empty for a flag, may add a second option it needs). BAD VALUE: "-" none
# beyond a missing value; "=" (flags) the option given a value.
cat >"$W/table" <<EOF
digest|--output|$W/o1.txt|-
digest|-o|$W/o2.txt|-
digest|--out|$W/o3 --repo owner/repo|-
digest|--branch|main|-
digest|-b|main|-
digest|--pushed-at|2025-01-31T12:00:00Z --out $W/o4 --repo owner/repo|yesterday
digest|--format|json|xml
digest|--chunk-size|500 --format chunks|0
digest|--chunk-overlap|0 --format chunks|-1
digest|--max-size|100|0
digest|-s|100|12k
digest|--report|$W/r.json|-
digest|--include-gitignored||=
digest|--repo|owner/repo|a/b/c
digest|--name|root|-
digest|--strip-components|0|2
digest|--quiet||=
digest|-q||=
digest|--include-pattern|*.md|-
digest|-i|*.c|-
digest|--exclude-pattern|x.c|-
digest|-e|x.c|-
digest|--max-output|4096|-1
digest|--archive-url|$MIRROR|
digest|--api-url|https://api.example.invalid|http://api.example.invalid
digest|--resolve|api.example.invalid:443:127.0.0.1|api.example.invalid
digest|--cacert|$W/ca.pem|
digest|--timeout|10|0
digest|--connect-timeout|10|3601
digest|--s3-endpoint|http://127.0.0.1:9|-
digest|--s3-region|eu-west-2|-
run|--out|$W/digests|-
run|--jobs|2|0
run|-j|256|257
run|--shard|0/1|3/2
run|--batch-size|2 --offset 0|-
run|--offset|0 --batch-size 2|-
run|--force||=
run|--max-size|100|0
run|-s|100|12k
run|--include-gitignored||=
run|--dry-run||=
run|--retries|2|21
run|--max-failures|0|x
run|--format|full,chunks|xml
run|--chunk-size|500 --format chunks|1000001
run|--chunk-overlap|50 --format full,chunks|x
run|--report|$W/report.json|-
run|--state|$W/state2|-
run|--resume|$W/old-state|-
run|--grace|5|3601
run|--log-format|text|xml
run|--include-pattern|*.md|-
run|-i|*.md|-
run|--exclude-pattern|tests/|-
run|-e|tests/|-
run|--max-output|0|1099511627777
run|--archive-url|$MIRROR|
run|--api-url|https://api.example.invalid|http://api.example.invalid
run|--resolve|api.example.invalid:443:127.0.0.1|api.example.invalid
run|--cacert|$W/ca.pem|
run|--timeout|10|86401
run|--connect-timeout|10|0
run|--s3-endpoint|http://127.0.0.1:9|-
run|--s3-region|eu-west-2|-
report|--output|$W/m.json|-
report|-o|$W/m.json|-
report|--json||=
report|--resolve|s3.example.invalid:443:127.0.0.1|s3.example.invalid:x:1
report|--cacert|$W/ca.pem|
report|--timeout|10|0
report|--connect-timeout|10|0
report|--s3-endpoint|http://127.0.0.1:9|-
report|--s3-region|eu-west-2|-
EOF

# try CMD ARGS...: the command with options that let parsing finish and
# then a known outcome: digest succeeds on a small tree,
# run and report fail on a missing input (exit 1, the input named). The
# run uses a file:// mirror so that no CA file is read.
try() {
	c=$1; shift
	case $c in
	# -b names a GitHub repository's ref: a mirror serves it
	digest) case $1 in -b|--branch) set -- owner/repo --archive-url \
		"file://$W/mirror/{owner}/{repo}-{ref}.tar.gz" "$@" ;;
		*) set -- "$W/t" "$@" ;; esac
		timeout 30 "$BIN" digest "$@" ;;
	run) timeout 30 "$BIN" run "$W/nope.json" --state "$W/state" \
		--log-format text --archive-url "$MIRROR" "$@" ;;
	report) timeout 30 "$BIN" report "$W/nope.json" "$@" ;;
	esac </dev/null >"$W/out" 2>"$W/err"
}
want_rc() { case $1 in digest) echo 0 ;; *) echo 1 ;; esac; }
want_msg() {
	case $1 in
	digest) echo '' ;;
	run) echo 'Cannot read the feed' ;;
	report) echo 'nope.json: no such file' ;;
	esac
}

# refused CMD NAME OPTION ARGS...: exit 2, one error line (and the pointer
# to --help) that names the option
refused() {
	c=$1 n=$2 o=$3; shift 3
	try "$c" "$@"
	rc=$?
	if [ $rc -ne 2 ]; then bad "$c $n: exit $rc, want 2: $(head -2 "$W/err")"; return; fi
	if [ "$(grep -c '' "$W/err")" -ne 2 ]; then bad "$c $n: not one error line: $(cat "$W/err")"; return; fi
	if ! head -1 "$W/err" | grep -q -- "^repodigest $c: .*$o"; then
		bad "$c $n: the error does not name $o: $(head -1 "$W/err")"; return
	fi
	ok
}

while IFS='|' read -r c o good badv; do
	# the option with its good value: accepted, the command does its job
	# shellcheck disable=SC2086
	try "$c" "$o" $good
	rc=$?
	if [ $rc -ne "$(want_rc "$c")" ]; then
		bad "$c $o $good: exit $rc: $(head -2 "$W/err")"
	elif grep -q "Run 'repodigest" "$W/err"; then
		bad "$c $o $good: usage error: $(head -1 "$W/err")"
	elif [ -n "$(want_msg "$c")" ] &&
	    ! cat "$W/out" "$W/err" | grep -q -- "$(want_msg "$c")"; then
		bad "$c $o $good: no '$(want_msg "$c")': $(head -2 "$W/err")"
	else
		ok
	fi
	case $badv in
	=) refused "$c" "$o=1" "$o" "$o=1" ;;
	-) refused "$c" "$o (no value)" "$o" "$o" ;;
	*) refused "$c" "$o (no value)" "$o" "$o"
	   refused "$c" "$o '$badv'" "$o" "$o" "$badv" ;;
	esac
done <"$W/table"

# the help lists every option of the table and no other (-h, --help aside),
# and `help CMD` prints the same text as `CMD --help`
for c in digest run report; do
	"$BIN" "$c" --help >"$W/h1" 2>&1 || bad "$c --help: exit $?"
	"$BIN" help "$c" >"$W/h2" 2>&1 || bad "help $c: exit $?"
	cmp -s "$W/h1" "$W/h2" && ok || bad "help $c differs from $c --help"
	sed -n '/^Options:/,/^$/p' "$W/h1" | grep -E '^ {2,6}(-[a-z], )?--[a-z]' | sed 's/^ *\(-[a-z], \)\{0,1\}\(--[a-z0-9-]*\).*/\2/' |
		grep -v -e '^--help$' | sort -u >"$W/listed"
	grep "^$c|--" "$W/table" | cut -d'|' -f2 | sort -u >"$W/tested"
	if cmp -s "$W/listed" "$W/tested"; then ok; else
		bad "$c: help and test table differ: $(diff "$W/listed" "$W/tested" | grep '^[<>]' | tr '\n' ' ')"
	fi
	# every letter shown in the help is tested too
	grep -E '^  -[a-z], ' "$W/h1" | sed 's/^  \(-[a-z]\),.*/\1/' | grep -v '^-h$' | sort >"$W/letters"
	grep "^$c|-[a-z]|" "$W/table" | cut -d'|' -f2 | sort >"$W/tested"
	cmp -s "$W/letters" "$W/tested" && ok || bad "$c: short options in help and test table differ"
done
expect_fail "help of an unknown command" 2 "unknown command: frob" "$BIN" help frob

# shared options: one check, one message, whichever command
same() {
	o=$1 v=$2; shift 2
	first=
	for c in "$@"; do
		try "$c" "$o" "$v"
		rc=$?
		msg=$(head -1 "$W/err" | sed "s/^repodigest $c: //")
		if [ $rc -ne 2 ]; then bad "$c $o $v: exit $rc, want 2"; continue; fi
		if [ -z "$first" ]; then first=$msg; ok; continue; fi
		[ "$msg" = "$first" ] && ok || bad "$o $v: '$msg' in $c, '$first' before"
	done
}
same --api-url http://x digest run
same --api-url https:// digest run
same --resolve nonsense digest run report
same --timeout 0 digest run report
same --connect-timeout 99999 digest run report
same --max-output x digest run
same --timeout x digest run report
same --cacert '' digest run report
same --chunk-size 0 digest run
same --chunk-overlap 1000000 digest run
# the message itself, as users see it
try run --api-url http://x
grep -q "^repodigest run: --api-url must be an https:// URL: http://x$" "$W/err" && ok ||
	bad "run --api-url http://x: $(head -1 "$W/err")"
# a bad shard, by flag or from the environment, is a usage error: exit 2,
# which the Kubernetes manifests' FailJob rule keys on (the same arguments
# fail the same way on every retry); the setting named as typed, first, then
# the cause, in plain quotes-free text (no \x22)
shard_case() {
	n=$1 line=$2; shift 2
	( export "$@"; try run )
	rc=$?
	if [ $rc -ne 2 ]; then bad "shard $n: exit $rc, want 2: $(head -1 "$W/err")"
	elif [ "$(head -1 "$W/err")" != "repodigest run: $line" ]; then bad "shard $n: $(head -1 "$W/err")"
	else ok; fi
}
try run --shard 3/2
[ $? -eq 2 ] && [ "$(head -1 "$W/err")" = "repodigest run: --shard 3/2: invalid shard (want I/N, 0 <= I < N)" ] &&
	ok || bad "--shard 3/2: $(head -1 "$W/err")"
try run --batch-size 2 --offset 2
[ $? -eq 2 ] && grep -q '^repodigest run: --offset 2: invalid --batch-size/--offset (want N >= 1, 0 <= K < N) (not below --batch-size 2)$' "$W/err" &&
	ok || bad "--offset 2: $(head -1 "$W/err")"
shard_case "REPODIGEST_SHARD" "REPODIGEST_SHARD=a/b: invalid shard (want I/N, 0 <= I < N)" REPODIGEST_SHARD=a/b
shard_case "REPODIGEST_SHARDS" "REPODIGEST_SHARDS=x: invalid shard setting in the environment (not a count >= 1)" \
	JOB_COMPLETION_INDEX=0 REPODIGEST_SHARDS=x
shard_case "index not below" "JOB_COMPLETION_INDEX=3: invalid shard setting in the environment (not below REPODIGEST_SHARDS=3)" \
	JOB_COMPLETION_INDEX=3 REPODIGEST_SHARDS=3
shard_case "no count" "JOB_COMPLETION_INDEX=1: invalid shard setting in the environment (needs REPODIGEST_SHARDS, the shard count: the platform does not expose it)" \
	JOB_COMPLETION_INDEX=1
shard_case "count without index" "REPODIGEST_SHARDS=3: invalid shard setting in the environment (no task index: JOB_COMPLETION_INDEX, CLOUD_RUN_TASK_INDEX or AWS_BATCH_JOB_ARRAY_INDEX)" \
	REPODIGEST_SHARDS=3

# a closed stdout pipe ends the digest quietly, as cat would: killed by
# SIGPIPE (141 in the shell), nothing on stderr. 2 MB of content, so the
# write happens after head has left.
mkdir -p "$W/big"
i=0
while [ $i -lt 200 ]; do
	head -c 10000 /dev/zero | tr '\0' 'x' >"$W/big/f$i.txt"
	i=$((i + 1))
done
(timeout 30 "$BIN" digest "$W/big" 2>"$W/perr"; echo $? >"$W/prc") | head -c 10 >/dev/null
[ "$(cat "$W/prc")" = 141 ] && ok || bad "closed pipe: exit $(cat "$W/prc"), want 141 (SIGPIPE)"
[ -s "$W/perr" ] && bad "closed pipe: stderr: $(head -2 "$W/perr")" || ok
(timeout 30 "$BIN" run --help 2>"$W/perr"; echo $? >"$W/prc") | head -1 >"$W/first"
grep -q '^usage: repodigest run' "$W/first" && [ ! -s "$W/perr" ] && ok || bad "run --help | head -1"
# a full disk is not a closed pipe: still an error
if [ -w /dev/full ]; then
	timeout 30 "$BIN" digest "$W/t" >/dev/full 2>"$W/perr"
	rc=$?
	[ $rc -eq 1 ] && grep -q 'stdout: cannot write output' "$W/perr" && ok ||
		bad "stdout on a full disk: exit $rc: $(head -1 "$W/perr")"
fi
finish
