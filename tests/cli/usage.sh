#!/bin/sh
# usage.sh BINARY - help, version, usage errors (exit 2), output files.
BIN=$1
. "$(dirname "$0")/lib.inc"

expect_ok "version" "$BIN" version && grep -q '^repodigest [0-9]' "$W/out" && ok || bad "version text"
expect_ok "--help" "$BIN" --help && grep -q 'digest SOURCE' "$W/out" && ok || bad "help text"
expect_ok "digest --help" "$BIN" digest --help && grep -q -- '--max-output' "$W/out" && ok || bad "digest help"
expect_fail "no command" 2 "missing command" "$BIN"
expect_fail "unknown command" 2 "unknown command: frob" "$BIN" frob
expect_fail "no source" 2 "missing SOURCE" "$BIN" digest
expect_fail "two sources" 2 "more than one SOURCE" "$BIN" digest a b
expect_fail "unknown option" 2 "unknown option: --frob" "$BIN" digest --frob x
expect_fail "missing value" 2 "option needs a value" "$BIN" digest x -o
expect_fail "bad size" 2 "max-size needs a positive" "$BIN" digest x -s 12k
expect_fail "bad format" 2 "format must be" "$BIN" digest x --format xml
expect_fail "bad repo" 2 "repo must be OWNER/REPO" "$BIN" digest x --repo a/b/c
expect_fail "missing source" 1 "nope: no such file or directory" "$BIN" digest "$W/nope"

# a small tree
mkdir -p "$W/t/src"
printf 'hello\n' > "$W/t/README.md"
printf 'int x;\n' > "$W/t/src/x.c"
expect_ok "-o writes a file" "$BIN" digest -q "$W/t" -o "$W/t.txt"
if [ -s "$W/t.txt" ] && [ ! -s "$W/out" ] && grep -q '^FILE: src/x.c$' "$W/t.txt"; then ok; else bad "-o content"; fi
if ls "$W"/t.txt.tmp.* >/dev/null 2>&1; then bad "temp file left behind"; else ok; fi
# -o into a FIFO (as into /dev/null or /dev/stdout): written into, never
# replaced by a regular file (the atomic rename is for files only)
mkfifo "$W/fifo"
(timeout 30 cat "$W/fifo" > "$W/from-fifo") &
expect_ok "-o a FIFO" "$BIN" digest -q "$W/t" -o "$W/fifo"
wait
[ -p "$W/fifo" ] && ok || bad "-o a FIFO replaced the FIFO"
cmp -s "$W/from-fifo" "$W/t.txt" && ok || bad "-o a FIFO: the reader got something else"
# a directory walk types entries from the listing (d_type) and opens them
# relative to their directory: a FIFO inside is reported, never opened (it
# would block); a symlink to a directory is shown, not entered; the root
# itself may be a symlink; a .gitignore deep down still applies
mkdir -p "$W/dw/src/sub"
printf 'int x;\n' >"$W/dw/src/sub/a.c"
printf 'hi\n' >"$W/dw/README.md"
printf 'x\n' >"$W/dw/src/sub/drop.log"
printf '*.log\n' >"$W/dw/src/.gitignore"
mkfifo "$W/dw/src/pipe"
ln -s sub "$W/dw/src/link"
ln -s "$W/dw" "$W/dwlink"
expect_ok "directory: FIFO, symlinked dir, symlinked root" timeout 20 "$BIN" digest -q "$W/dwlink" \
	--report "$W/dw.json" -o "$W/dw.txt"
grep -q '^FILE: src/sub/a.c$' "$W/dw.txt" && grep -q '^FILE: README.md$' "$W/dw.txt" && ok ||
	bad "directory: files missing: $(grep '^FILE' "$W/dw.txt")"
grep -q '^SYMLINK: src/link -> sub$' "$W/dw.txt" && ok || bad "directory: symlink not shown"
grep -q 'src/link/a.c\|drop.log' "$W/dw.txt" && bad "directory: entered a symlink or ignored nothing" || ok
grep -q '"path": "src/pipe", "bytes": 0, "reason": "not a regular file or symlink"' "$W/dw.json" && ok ||
	bad "directory: the FIFO is not reported: $(cat "$W/dw.json")"
# CA files are read only when a connection may be needed: a local digest
# ignores a broken SSL_CERT_FILE, a remote one names it in its error
SSL_CERT_FILE="$W/no-such-ca.pem" expect_ok "local digest does not read SSL_CERT_FILE" "$BIN" digest -q "$W/t" -o "$W/t2.txt"
cmp -s "$W/t.txt" "$W/t2.txt" && ok || bad "digest differs with SSL_CERT_FILE set"
SSL_CERT_FILE="$W/no-such-ca.pem" expect_fail "remote digest reads SSL_CERT_FILE" 1 "no-such-ca.pem" "$BIN" digest -q https://127.0.0.1:9/x.tar.gz
expect_fail "-o into a missing dir" 1 "cannot create" "$BIN" digest -q "$W/t" -o "$W/no/such/dir/x.txt"

# --format json is valid JSON with the three strings
expect_ok "json" "$BIN" digest "$W/t" --format json
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert set(d)=={"summary","tree","content"}; assert "FILE: README.md" in d["content"]' "$W/out" 2>/dev/null; then ok; else bad "json output"; fi

# --max-output: cut at a character boundary, with the replaced container's notice
i=0; : > "$W/t/big.txt"; while [ $i -lt 300 ]; do printf 'caf\303\251 %04d\n' $i >> "$W/t/big.txt"; i=$((i + 1)); done
expect_ok "max-output" "$BIN" digest -q "$W/t" --max-output 2048
if tail -c 45 "$W/out" | grep -q '\[... Summary truncated at 2KB limit ...\]' &&
   [ "$(wc -c < "$W/out")" -le $((2048 + 45)) ]; then ok; else bad "max-output notice/size: $(wc -c < "$W/out")"; fi
if python3 -c 'import sys; open(sys.argv[1],"rb").read().decode("utf-8")' "$W/out" 2>/dev/null; then ok; else bad "max-output cut inside a character"; fi
# exactly what the help and README say: the first BYTES bytes of the whole
# output (cut back to a character boundary), then the notice; a cap under
# 1 KiB is given in bytes, never "0KB"; output that fits is left whole
"$BIN" digest -q "$W/t" > "$W/whole.txt"
for cap in 500 1 1023 1500; do
	expect_ok "max-output $cap" "$BIN" digest -q "$W/t" --max-output $cap
	python3 - "$W/out" "$W/whole.txt" $cap <<'PY' && ok || bad "max-output $cap: $(tail -c 60 "$W/out")"
import sys
out, whole, cap = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read(), int(sys.argv[3])
notice = b"\n\n[... Summary truncated at %s limit ...]" % (b"%dKB" % (cap // 1024) if cap >= 1024 else b"%dB" % cap)
assert out.endswith(notice), out[-60:]
body = out[:-len(notice)]
assert whole.startswith(body) and cap - 4 < len(body) <= cap, (len(body), cap)
body.decode("utf-8")
assert len(notice) <= 51
PY
done
n=$(wc -c < "$W/whole.txt")
expect_ok "max-output that fits" "$BIN" digest -q "$W/t" --max-output "$n"
cmp -s "$W/out" "$W/whole.txt" && ok || bad "output of exactly --max-output bytes changed"

# --report lists kept and skipped files with reasons
printf 'x\n' > "$W/t/app.log"
expect_ok "report" "$BIN" digest -q "$W/t" --report "$W/r.json" -s 100
if python3 - "$W/r.json" <<'PY' 2>/dev/null; then ok; else bad "report content"; fi
import json, sys
r = json.load(open(sys.argv[1]))
inc = {f["path"] for f in r["included"]}
skip = {f["path"]: f["reason"] for f in r["skipped"]}
assert {"README.md", "src/x.c"} <= inc, inc
assert skip["app.log"] == "ignored", skip
assert skip["big.txt"] == "larger than the file size limit", skip
assert r["files_analyzed"] == len(r["included"])
PY
finish
