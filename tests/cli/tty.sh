#!/bin/sh
# tty.sh BINARY - `repodigest run` on a terminal (a pseudo-terminal made by
# util-linux script(1)): one status line rewritten in place ("\r" + erase to
# end of line) with the shard, done/total, cached, failed, rate and ETA, at
# most a few redraws a second; warnings and errors as plain text lines; the
# final summary; no JSON. Piped, the same run gives JSON lines only;
# --log-format json on the terminal gives JSON lines, --log-format text
# plain lines without the status line.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
scripts/setup bsdutils python3 >/dev/null || { bad "setup"; finish; exit 1; }
B=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

python3 - "$W/feed.json" <<'PY'
import json, sys
recs = [{"owner": "tty%d" % (i % 3), "name": "r%03d" % i,
         "url": "https://github.com/tty%d/r%03d" % (i % 3, i),
         "pushedAt": "2025-03-01T00:00:00Z"} for i in range(120)]
json.dump(recs, open(sys.argv[1], "w"))
PY
scripts/make-mirror "$W/feed.json" "$W/mirror" >/dev/null || { bad "make-mirror"; finish; exit 1; }
# one repo fails: its error must show as a plain line above the status
rm -f "$W/mirror/tty1/r001.tar.gz"
ARGS="$W/feed.json --shard 0/1 -j 1 --out $W/o --archive-url file://$W/mirror/{owner}/{repo}.tar.gz --state $W/state --force"

# on a terminal: script -q (no banner) -e (its exit status) -c CMD
tty_run() { # OUT EXTRA-ARGS...
	out=$1; shift
	TERM=xterm timeout 120 script -qec "$B run $ARGS $*" /dev/null > "$out" 2>&1 < /dev/null
}
s=$(date +%s.%N)
tty_run "$W/tty.out"; rc=$?
el=$(python3 -c "import time; print(time.time() - $s)")
[ $rc -eq 0 ] && ok || bad "tty run: exit $rc: $(tail -c 300 "$W/tty.out")"
python3 - "$W/tty.out" "$el" <<'PY' && ok || bad "tty output: $(tail -c 400 "$W/tty.out" | od -c | head -20)"
import re, sys
t = open(sys.argv[1], "rb").read().decode()
el = float(sys.argv[2])
lines = t.replace("\r\n", "\n").split("\n")
assert not any(l.lstrip("\r\x1b[K").startswith("{") for l in lines), "JSON on a terminal"
draws = re.findall(r"\r\x1b\[K(\[shard 0/1\] (\d+)/120 \u00b7 (\d+) cached \u00b7 (\d+) failed \u00b7 [0-9.]+ repos/s \u00b7 ETA (--|\d+m\d\ds))", t)
assert draws, "no status line"
done = [int(d[1]) for d in draws]
assert done == sorted(done), "done count went backwards"
# a few redraws a second at most (4/s, plus the first)
assert len(draws) <= 4 * el + 2, (len(draws), el)
assert "\r\x1b[K" in t
# the failure as a plain text line, the summary at the end, not overwritten
assert re.search(r"(^|\n|\x1b\[K)\d{4}-\d\d-\d\dT[0-9:.]+Z error Failed repo=tty1/r001 error=.*no such file", t), "error line"
assert re.search(r"\x1b\[K\d{4}-[0-9T:.-]+Z info  Pipeline complete: 120 total, 0 cached \(0\.0%\), 119 processed, 1 failed", t), "summary"
assert "Starting pipeline" in t and "Stored digest" not in t
PY
[ "$(grep -c 'Failed repo=' "$W/tty.out")" -eq 1 ] && ok || bad "failure printed other than once"

# not a terminal: the JSON lines exactly as before, nothing else
timeout 120 "$B" run $ARGS > "$W/pipe.out" 2>"$W/pipe.err"; rc=$?
[ $rc -eq 0 ] && ok || bad "piped run: exit $rc"
python3 - "$W/pipe.out" <<'PY' && ok || bad "piped output is not JSON lines only"
import json, sys
raw = open(sys.argv[1], "rb").read()
assert b"\r" not in raw and b"\x1b" not in raw
lines = raw.decode().splitlines()
recs = [json.loads(l) for l in lines]
assert all(set(r) == {"timestamp", "level", "severity", "message", "context"} for r in recs)
assert sum(r["message"] == "Stored digest" for r in recs) == 119
assert sum(r["message"] == "Progress" for r in recs) == 1
assert recs[-1]["message"].startswith("Pipeline complete: 120 total")
assert recs[0]["message"] == "Starting pipeline" and recs[0]["severity"] == "INFO"
PY
# on a terminal, --log-format json is JSON; text is plain lines
tty_run "$W/tj.out" --log-format json
python3 - "$W/tj.out" <<'PY' && ok || bad "--log-format json on a terminal"
import json, sys
t = open(sys.argv[1], "rb").read().decode()
assert "\x1b" not in t
recs = [json.loads(l) for l in t.replace("\r\n", "\n").splitlines() if l]
assert recs[-1]["message"].startswith("Pipeline complete: 120 total")
PY
tty_run "$W/tt.out" --log-format text
python3 - "$W/tt.out" <<'PY' && ok || bad "--log-format text on a terminal"
import sys
t = open(sys.argv[1], "rb").read().decode()
assert "\x1b" not in t and "{" not in t
lines = t.replace("\r\n", "\n").splitlines()
assert sum(" info  Stored digest repo=" in l for l in lines) == 119
assert " info  Progress done=100 total=120" in t
assert "Pipeline complete: 120 total" in lines[-1]
PY
finish
