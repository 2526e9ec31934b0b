# lib.sh - helpers for the CLI test scripts (sourced). BIN is the binary under test.
# Every check counts; the script ends with `finish`, printing "N passed, N failed".
pass=0 fail=0
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT INT TERM
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $(basename "$0"): $*" >&2; }
# expect_fail NAME WANT_RC PATTERN CMD... : CMD exits WANT_RC within 30 s and its
# stderr has one line matching PATTERN
expect_fail() {
	n=$1 want=$2 pat=$3; shift 3
	timeout 30 "$@" >"$W/out" 2>"$W/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then bad "$n: exit $rc, want $want: $(head -2 "$W/err")"; return; fi
	if ! grep -q -- "$pat" "$W/err"; then bad "$n: stderr lacks '$pat': $(head -2 "$W/err")"; return; fi
	if [ "$(grep -c '' "$W/err")" -gt 3 ]; then bad "$n: more than a short error: $(head -5 "$W/err")"; return; fi
	ok
}
expect_ok() {
	n=$1; shift
	timeout 60 "$@" >"$W/out" 2>"$W/err"
	rc=$?
	if [ "$rc" -ne 0 ]; then bad "$n: exit $rc: $(head -3 "$W/err")"; return 1; fi
	ok
}
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; }
