#!/bin/sh
# hostile.sh BINARY - hostile and broken archives end with one clear line naming
# the source and the cause, exit 1, in bounded time (30 s each) and nothing on
# stdout; cut ones too, over HTTP from a loopback server as well.
BIN=$1
. "$(dirname "$0")/lib.inc"

mkdir -p "$W/good/top/src"
printf 'hello\n' > "$W/good/top/README.md"
printf 'int x;\n' > "$W/good/top/src/x.c"
(cd "$W/good" && tar czf "$W/good.tar.gz" top)

# not an archive at all
printf 'just some text\n' > "$W/text.tar.gz"
expect_fail "not an archive" 1 "text.tar.gz: unsupported input (not a tar" "$BIN" digest "$W/text.tar.gz"
# empty input
: > "$W/empty.tar"
expect_fail "empty" 1 "empty.tar: unsupported input (empty input)" "$BIN" digest "$W/empty.tar"
# truncated gzip stream
head -c 100 "$W/good.tar.gz" > "$W/trunc.tar.gz"
expect_fail "truncated gzip" 1 "trunc.tar.gz: truncated" "$BIN" digest "$W/trunc.tar.gz"
# corrupt deflate data: flip bytes in the middle
sz=$(wc -c < "$W/good.tar.gz")
{ head -c 20 "$W/good.tar.gz"; printf '\377\377\377\377\377\377\377\377'; tail -c $((sz - 28)) "$W/good.tar.gz"; } > "$W/corrupt.tar.gz"
expect_fail "corrupt gzip" 1 "corrupt.tar.gz: " "$BIN" digest "$W/corrupt.tar.gz"
# truncated tar (uncompressed, cut inside a header)
gzip -dc "$W/good.tar.gz" | head -c 1300 > "$W/trunc.tar"
expect_fail "truncated tar" 1 "trunc.tar: truncated tar archive" "$BIN" digest "$W/trunc.tar"
# a tar that ends without its end-of-archive marker (two zero blocks) is cut,
# even at an entry boundary with every entry so far whole: from a file, a
# .tar.gz whose gzip stream is complete, stdin, and over HTTP with no
# Content-Length (Connection: close) as a download cut short arrives. One
# zero block and then EOF is complete (GNU tar and Python's tarfile read it
# too): nothing can follow that block.
mkdir -p "$W/cut/top"
for i in 1 2 3 4; do printf 'file %s\n' $i > "$W/cut/top/f$i.txt"; done
(cd "$W/cut" && tar --format=ustar -cf "$W/whole.tar" top)
python3 - "$W/whole.tar" "$W/noend.tar" "$W/onezero.tar" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
end = len(d)
while d[end - 512:end] == bytes(512):
    end -= 512
# the first two of four files: a cut at a 512-byte boundary between entries
open(sys.argv[2], "wb").write(d[:512 * 5])
open(sys.argv[3], "wb").write(d[:end] + bytes(512))
PY
tar -tf "$W/noend.tar" >/dev/null 2>&1 && ok || bad "GNU tar lists the cut archive (premise)"
gzip -c "$W/noend.tar" > "$W/noend.tar.gz"
NOEND="truncated tar archive: the end-of-archive marker (two zero blocks) is missing at offset 2560"
expect_fail "tar without end marker" 1 "noend.tar: $NOEND" "$BIN" digest "$W/noend.tar"
expect_fail "tar.gz without end marker" 1 "noend.tar.gz: $NOEND" "$BIN" digest "$W/noend.tar.gz"
expect_fail "stdin tar without end marker" 1 "^repodigest: -: $NOEND" sh -c '"$1" digest - < "$2"' sh "$BIN" "$W/noend.tar"
[ -s "$W/out" ] && bad "cut archive: a digest on stdout" || ok
expect_ok "one zero block, then EOF" "$BIN" digest -q "$W/onezero.tar" &&
	{ [ "$(grep -c '^FILE: ' "$W/out")" -eq 4 ] && ok || bad "one zero block: $(grep '^FILE: ' "$W/out")"; }
# the loopback server: the whole body, no Content-Length, then it closes; it
# answers at most 8 requests and stops by itself after 60 s
python3 - "$W/http.port" "$W/noend.tar" "$W/noend.tar.gz" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
bodies = {b".tar.gz": open(sys.argv[3], "rb").read(), b".tar": open(sys.argv[2], "rb").read()}
s.settimeout(60)
end = time.time() + 60
for _ in range(8):
    if time.time() > end: break
    try: c = s.accept()[0]
    except Exception: break
    c.settimeout(5)
    try: path = c.recv(65536).split(b" ")[1].split(b"?")[0]
    except Exception: c.close(); continue
    body = next(v for k, v in bodies.items() if path.endswith(k))
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nConnection: close\r\n\r\n" + body)
    c.close()
PY
i=0; while [ $i -lt 50 ] && [ ! -s "$W/http.port" ]; do sleep 0.1; i=$((i + 1)); done
HP=$(cat "$W/http.port")
expect_fail "HTTP tar without end marker" 1 "127.0.0.1:$HP/o/r.tar: $NOEND" "$BIN" digest "http://127.0.0.1:$HP/o/r.tar"
expect_fail "HTTP tar.gz without end marker" 1 "127.0.0.1:$HP/o/r.tar.gz: $NOEND" "$BIN" digest "http://127.0.0.1:$HP/o/r.tar.gz"
# a batch run stores nothing for it and says so: failed, exit 1 (all failed)
printf '[{"owner":"o","name":"r","url":"https://github.com/o/r"}]' > "$W/one.json"
timeout 60 "$BIN" run "$W/one.json" --out "$W/cutout" --state "$W/cut.state" --log-format text \
	--archive-url "http://127.0.0.1:$HP/{owner}/{repo}.tar" >"$W/run.log" 2>&1
rc=$?
[ $rc -eq 1 ] && ok || bad "run over a cut tar: exit $rc: $(tail -3 "$W/run.log")"
grep -q "Failed repo=o/r error=http://127.0.0.1:$HP/o/r.tar: $NOEND" "$W/run.log" && ok ||
	bad "run over a cut tar: no failure line: $(cat "$W/run.log")"
[ -z "$(find "$W/cutout" -type f 2>/dev/null)" ] && ok || bad "run over a cut tar stored $(find "$W/cutout" -type f)"
# "../" and absolute names (GNU tar -P keeps them)
mkdir -p "$W/evil/a"; printf 'x\n' > "$W/evil/x.txt"
(cd "$W/evil/a" && tar -cPf "$W/dotdot.tar" ../x.txt)
expect_fail "dotdot" 1 "unsafe path in archive" "$BIN" digest "$W/dotdot.tar"
tar -cPf "$W/abs.tar" "$W/evil/x.txt" 2>/dev/null
expect_fail "absolute" 1 "unsafe path in archive" "$BIN" digest "$W/abs.tar"
# a giant pax header (over the 64 KiB cap)
big=$(head -c 70000 /dev/zero | tr '\0' a)
(cd "$W/good" && tar --format=pax --pax-option="repodigest.junk=$big" -cf "$W/pax.tar" top)
expect_fail "giant pax" 1 "pax.tar: pax/long-name header over the size limit" "$BIN" digest "$W/pax.tar"
# gzip bomb: 128 MiB of zeros in one file compresses about 1000:1 (cap: 250:1)
mkdir -p "$W/bomb/top"; head -c 134217728 /dev/zero > "$W/bomb/top/zeros"
(cd "$W/bomb" && tar cf - top | gzip -9 > "$W/bomb.tar.gz"); rm -rf "$W/bomb"
expect_fail "gzip bomb" 1 "bomb.tar.gz: gzip expansion ratio too high" "$BIN" digest "$W/bomb.tar.gz"
# symlinks pointing out are shown, never followed
mkdir -p "$W/ln/top"; ln -s /etc/passwd "$W/ln/top/passwd"; ln -s ../../outside "$W/ln/top/up"
(cd "$W/ln" && tar czf "$W/links.tar.gz" top)
expect_ok "outward symlinks" "$BIN" digest -q "$W/links.tar.gz"
if grep -q '^SYMLINK: passwd -> passwd$' "$W/out" && ! grep -q 'root:' "$W/out"; then ok; else bad "symlink shown, not followed"; fi
# two top-level entries with forced stripping
(cd "$W/good/top" && tar cf "$W/flat.tar" README.md src)
expect_ok "flat archive (no top dir)" "$BIN" digest -q "$W/flat.tar"
grep -q '^└── flat/$' "$W/out" && ok || bad "flat archive root name"
expect_fail "forced strip on flat archive" 1 "the first entry is not a directory" "$BIN" digest --strip-components 1 "$W/flat.tar"
# nothing is written to -o on failure
expect_fail "no output on failure" 1 "trunc.tar.gz" "$BIN" digest "$W/trunc.tar.gz" -o "$W/never.txt"
if [ -e "$W/never.txt" ] || ls "$W"/never.txt.tmp.* >/dev/null 2>&1; then bad "output file created on failure"; else ok; fi
# 250,000 tiny entries (the cap is 200,000): a clear error in bounded memory
python3 - "$W/many.tar.gz" <<'PY'
import gzip, io, sys, tarfile
with gzip.open(sys.argv[1], "wb", compresslevel=1) as g:
    with tarfile.open(fileobj=g, mode="w|", format=tarfile.USTAR_FORMAT) as t:
        ti = tarfile.TarInfo("top"); ti.type = tarfile.DIRTYPE; t.addfile(ti)
        for i in range(250000):
            ti = tarfile.TarInfo("top/d%03d/f%06d" % (i % 500, i)); ti.size = 0
            t.addfile(ti)
PY
expect_fail "many entries" 1 "many.tar.gz: entry \"top/d" "$BIN" digest "$W/many.tar.gz"
grep -q "too many entries in archive" "$W/err" && ok || bad "many entries: cause not named: $(cat "$W/err")"
m=$(/usr/bin/time -f %M "$BIN" digest -q "$W/many.tar.gz" 2>&1 >/dev/null | tail -1)
[ "$m" -lt 150000 ] && ok || bad "many entries: peak RSS $m KiB"
finish
