#!/bin/sh
# out.sh BINARY - `digest --out DEST`: the local object layout, metadata sidecar,
# atomic replacement, and paths from untrusted names never escaping DEST.
BIN=$1
. "$(dirname "$0")/lib.inc"

mkdir -p "$W/top/src" "$W/o"
printf 'hello\n' > "$W/top/README.md"
printf 'int x;\n' > "$W/top/src/x.c"
(cd "$W" && tar --format=pax --pax-option=comment=0123456789abcdef0123456789abcdef01234567 -czf repo.tar.gz top)

expect_ok "--out DIR" "$BIN" digest -q "$W/repo.tar.gz" --repo Some-Org/my.repo --out "$W/o"
obj="$W/o/gitingest/Some-Org/my.repo/summary.txt"
if [ -f "$obj" ] && head -1 "$obj" | grep -q '^Repository: some-org/my.repo$' &&
   grep -q '^Commit: 0123456789abcdef0123456789abcdef01234567$' "$obj" &&
   grep -q '^FILE: src/x.c$' "$obj"; then ok; else bad "object body (full format)"; fi
if python3 - "$obj.meta" <<'PY' 2>/dev/null; then ok; else bad "metadata sidecar"; fi
import json, sys
m = json.load(open(sys.argv[1]))
assert m["url"] == "https://github.com/Some-Org/my.repo", m
assert m["commit"] == "0123456789abcdef0123456789abcdef01234567", m
assert m["generator"].startswith("repodigest/"), m
assert m["content-type"] == "text/plain", m
assert m["processedat"].endswith("Z"), m
PY
# the same as --format full on stdout
"$BIN" digest -q "$W/repo.tar.gz" --repo Some-Org/my.repo --format full > "$W/full.txt"
cmp -s "$W/full.txt" "$obj" && ok || bad "--out DIR body differs from --format full"
if ls -a "$W/o/gitingest/Some-Org/my.repo" | grep -q tmp; then bad "temp file left"; else ok; fi

# a failed run leaves the stored object as it was
cp "$obj" "$W/before.txt"
head -c 100 "$W/repo.tar.gz" > "$W/trunc.tar.gz"
expect_fail "failure keeps the old object" 1 "trunc.tar.gz" "$BIN" digest -q "$W/trunc.tar.gz" --repo Some-Org/my.repo --out "$W/o"
cmp -s "$obj" "$W/before.txt" && ok || bad "object changed by a failed run"

# untrusted names never leave DEST
expect_fail "dot-dot owner" 1 "unsafe owner/repo name" "$BIN" digest -q "$W/repo.tar.gz" --repo ../evil --out "$W/o"
expect_fail "dot repo" 1 "unsafe owner/repo name" "$BIN" digest -q "$W/repo.tar.gz" --repo owner/.. --out "$W/o"
[ ! -e "$W/evil" ] && ok || bad "wrote outside DEST"
mkdir -p "$W/p/gitingest" "$W/elsewhere"
ln -s "$W/elsewhere" "$W/p/gitingest/owner"
expect_fail "planted symlink" 1 "cannot create the object directory" "$BIN" digest -q "$W/repo.tar.gz" --repo owner/repo --out "$W/p"
[ -z "$(ls -A "$W/elsewhere")" ] && ok || bad "followed a planted symlink"

# usage
expect_fail "--out DIR needs a name" 2 "needs the repository's name.*--repo OWNER/REPO" "$BIN" digest "$W/repo.tar.gz" --out "$W/o"
expect_fail "-o and --out" 2 "conflict" "$BIN" digest "$W/repo.tar.gz" --out "$W/x.txt" -o "$W/y.txt"
# --out means a directory (or an S3 prefix) in every command; a file is -o.
# A DEST that does not exist is made, as run makes its own; an existing file
# is refused, never written over, never taken for a file to write
expect_ok "--out a new directory" "$BIN" digest -q "$W/repo.tar.gz" --repo o/r --out "$W/newdir"
[ -d "$W/newdir" ] && [ -f "$W/newdir/gitingest/o/r/summary.txt" ] && ok || bad "--out newdir did not make a directory"
printf 'keep\n' >"$W/file.txt"
expect_fail "--out an existing file" 2 "must be a directory or s3://BUCKET\[/PREFIX\] (a file is -o FILE)" \
	"$BIN" digest -q "$W/repo.tar.gz" --repo o/r --out "$W/file.txt"
[ "$(cat "$W/file.txt")" = keep ] && ok || bad "--out FILE touched the file"
finish
