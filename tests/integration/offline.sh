#!/bin/sh
# offline.sh BINARY - with no network, one hint line says what an air-gapped
# run needs. The binary runs under bwrap in a network namespace of its own
# (loopback only) whose /etc/resolv.conf points at a DNS server started here
# (python3, 127.0.0.1:53 inside the namespace) that answers every name
# "no such domain" (NXDOMAIN: "host name not found"), or "server failure"
# for names with "servfail" in them (a temporary failure): as a machine
# without a network whose resolver answers, and one whose resolver does not.
#   - run with the default feed (GitHub's pages): the feed cannot be read,
#     exit 1, and one hint on stderr: a FEED file and --archive-url;
#   - run with a local feed of three repositories and no mirror: each fails
#     with "host name not found" and the log has the hint once, not thrice;
#   - a resolver that fails (SERVFAIL) gets the same hint;
#   - with --archive-url naming a mirror that cannot be resolved: no hint
#     (the user has a mirror; the error says which host);
#   - digest OWNER/REPO: the error, then one hint (a local tree or a mirror).
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
B=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
command -v bwrap >/dev/null 2>&1 || scripts/setup bubblewrap >/dev/null 2>&1 ||
	{ bad "setup bubblewrap"; finish; exit 1; }
if ! bwrap --dev-bind / / --unshare-net true 2>"$W/bw.err"; then
	echo "skip: bwrap cannot make a network namespace here: $(head -1 "$W/bw.err")"
	finish; exit 0
fi

cat >"$W/dns.py" <<'PY'
# A DNS server for one test: every query answered NXDOMAIN (rcode 3), or
# SERVFAIL (rcode 2) for names holding "servfail"; stops after 60 s.
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
s.settimeout(0.5)
open(sys.argv[1], "w").write("up\n")
end = time.time() + 60
while time.time() < end:
    try:
        q, peer = s.recvfrom(512)
    except socket.timeout:
        continue
    if len(q) < 12:
        continue
    rcode = 2 if b"servfail" in q.lower() else 3
    # the question echoed, QR and RD/RA set, no answers
    s.sendto(q[:2] + bytes([0x81, 0x80 | rcode]) + q[4:6] + b"\0\0\0\0\0\0" + q[12:], peer)
PY
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$W/resolv.conf"
# offline CMD...: CMD in the namespace, the DNS server beside it
offline() {
	rm -f "$W/up"
	timeout 60 bwrap --dev-bind / / --unshare-net --ro-bind "$W/resolv.conf" /etc/resolv.conf \
		--chdir "$W" -- sh -c 'python3 "$1/dns.py" "$1/up" & i=0
			while [ $i -lt 50 ] && ! [ -s "$1/up" ]; do sleep 0.1; i=$((i + 1)); done
			shift; "$@"; rc=$?; kill $! 2>/dev/null; exit $rc' sh "$W" "$@" >"$W/out" 2>"$W/err"
}
hints() { grep -c 'hint: without a network' "$@" | awk -F: '{ n += $NF } END { print n + 0 }'; }
HINT="hint: without a network, a run needs a local FEED file and a mirror with --archive-url"

offline "$B" run --state "$W/s1.json" --out "$W/o" --log-format text
rc=$?
[ $rc -eq 1 ] && ok || bad "default feed offline: exit $rc, want 1: $(head -2 "$W/err")"
grep -q 'Cannot read the feed: .*host name not found' "$W/err" && ok || bad "default feed offline: $(head -2 "$W/err")"
grep -q "^repodigest: $HINT" "$W/err" && [ "$(hints "$W/err")" -eq 1 ] && ok ||
	bad "default feed offline: the hint, once, on stderr: $(cat "$W/err")"

printf '[{"owner":"o","name":"a","url":"https://github.com/o/a"},{"owner":"o","name":"b","url":"https://github.com/o/b"},{"owner":"o","name":"c","url":"https://github.com/o/c"}]' >"$W/f.json"
offline "$B" run "$W/f.json" --state "$W/s2.json" --out "$W/o" --log-format text -j 2
rc=$?
[ $rc -eq 1 ] && ok || bad "feed offline: exit $rc, want 1 (every repository failed)"
[ "$(grep -c 'Failed repo=o/[abc] error=.*host name not found' "$W/out")" -eq 3 ] && ok ||
	bad "feed offline: three failures: $(grep Failed "$W/out")"
grep -q "warn  $HINT" "$W/out" && [ "$(hints "$W/out" "$W/err")" -eq 1 ] && ok ||
	bad "feed offline: the hint once: $(grep -c hint "$W/out") in the log: $(grep hint "$W/out" "$W/err")"

offline "$B" run "https://servfail.example/repos.json" --state "$W/s3.json" --out "$W/o" --log-format text
grep -q 'Cannot read the feed' "$W/err" && [ "$(hints "$W/err")" -eq 1 ] && ok ||
	bad "a failing resolver: $(cat "$W/err")"

offline "$B" run "$W/f.json" --state "$W/s4.json" --out "$W/o" --log-format text \
	--archive-url 'https://mirror.example/{owner}/{repo}.tar.gz'
grep -q 'Failed repo=o/a error=.*mirror.example.*host name not found' "$W/out" && ok || bad "a mirror offline: $(grep Failed "$W/out")"
[ "$(hints "$W/out" "$W/err")" -eq 0 ] && ok || bad "a mirror offline: hinted at a mirror"

offline "$B" digest o/a
rc=$?
[ $rc -eq 1 ] && grep -q '^repodigest: https://codeload.github.com/o/a/tar.gz/HEAD: host name not found' "$W/err" &&
	ok || bad "digest offline: exit $rc: $(head -2 "$W/err")"
grep -q '^repodigest: hint: without a network, digest a local directory or archive, or give a mirror with --archive-url' "$W/err" &&
	[ "$(hints "$W/err")" -eq 1 ] && ok || bad "digest offline: the hint: $(cat "$W/err")"
finish
