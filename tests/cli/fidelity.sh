#!/bin/sh
# fidelity.sh BINARY - the digest is the tree a checkout would give, whatever
# form the tree comes in. For every golden fixture: `digest DIR` equals
# `digest TAR` equals `digest - < TAR` (tree root line and summary header
# aside), for archives made by GNU tar (sorted and in directory order), by
# `git archive` without --prefix, and by Python's tarfile in reverse order.
# Then one case per archive rule: late ignore files, top directories, the same
# path twice, members under a symlink, the gzip trailer, control characters.
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.inc"
TD=$(cd "$(dirname "$0")/../data/gitingest" && pwd)
GIT="git -c user.email=t@example.com -c user.name=t -c init.defaultBranch=main"

# body FILE: the digest without the tree root line (line 2)
body() { sed '2d' "$1"; }
# summary FILE: the summary without its Directory:/Commit: header
summary() { grep -v -e '^Directory: ' -e '^Commit: ' "$1"; }

# same NAME REF OUT ERR: digest and summary equal the reference's
same() {
	if [ "$(body "$2.out")" = "$(body "$3")" ]; then ok; else
		bad "$1: digest differs from the directory's"
		diff "$2.out" "$3" | head -10 >&2
	fi
	if [ "$(summary "$2.err")" = "$(summary "$4")" ]; then ok; else
		bad "$1: summary differs from the directory's"
		diff "$2.err" "$4" | head -6 >&2
	fi
}

# revtar SRC_DIR NAME OUT: tar of SRC_DIR's tree under NAME/, entries reversed
revtar() {
	python3 - "$1" "$2" "$3" <<'EOF'
import os, sys, tarfile
src, name, out = sys.argv[1:4]
paths = []
for root, dirs, files in os.walk(src):
    dirs.sort()
    for n in sorted(dirs) + sorted(files):
        paths.append(os.path.join(root, n))
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    t.add(src, arcname=name, recursive=False)
    for p in reversed(paths):
        t.add(p, arcname=name + "/" + os.path.relpath(p, src), recursive=False)
EOF
}

bash "$TD/make-fixtures.sh" "$W/fx" >/dev/null || { bad "make-fixtures failed"; finish; exit 1; }
for f in $(bash "$TD/make-fixtures.sh" --list); do
	opts=$(cat "$TD/expected/$f/options.txt")
	ref=$W/$f.dir
	(cd "$W/fx" && eval "\"$BIN\" digest $opts $f" >"$ref.out" 2>"$ref.err") || { bad "$f: directory digest failed"; continue; }
	(cd "$W/fx" && tar --sort=name -cf "$W/$f.sorted.tar" "$f" && tar -cf "$W/$f.plain.tar" "$f")
	gzip -9n < "$W/$f.sorted.tar" > "$W/$f.sorted.tar.gz"
	rm -rf "$W/g"; cp -a "$W/fx/$f" "$W/g"
	(cd "$W/g" && $GIT init -q && $GIT add -A -f && $GIT commit -qm fixture && $GIT archive HEAD) > "$W/$f.git.tar" 2>/dev/null
	revtar "$W/fx/$f" "$f" "$W/$f.rev.tar"
	for form in sorted.tar sorted.tar.gz plain.tar rev.tar; do
		eval "\"$BIN\" digest $opts \"$W/$f.$form\"" >"$W/t.out" 2>"$W/t.err" || { bad "$f.$form: exit $?: $(head -2 "$W/t.err")"; continue; }
		same "$f.$form" "$W/t" "$ref.out" "$ref.err"
		eval "\"$BIN\" digest $opts -" <"$W/$f.$form" >"$W/t.out" 2>"$W/t.err" || { bad "$f.$form on stdin: exit $?"; continue; }
		same "$f.$form on stdin" "$W/t" "$ref.out" "$ref.err"
	done
	# git archive HEAD | repodigest digest -  (no --prefix: nothing to strip;
	# --name gives the root the directory's name, which the token count sees)
	eval "\"$BIN\" digest $opts --name $f -" <"$W/$f.git.tar" >"$W/t.out" 2>"$W/t.err" || { bad "$f: git archive on stdin: exit $?: $(head -2 "$W/t.err")"; continue; }
	same "$f: git archive without --prefix" "$W/t" "$ref.out" "$ref.err"
done

# --- a negation in an ignore file listed after the entry it re-includes
mkdir -p "$W/late/.ci" "$W/late/src"
printf 'ci: yes\n' > "$W/late/.ci/config.yml"
printf 'kept log\n' > "$W/late/.ci/build.log"     # *.log is a default pattern
printf '!.ci/build.log\n' > "$W/late/.gitignore"
printf 'int x;\n' > "$W/late/src/x.c"
"$BIN" digest "$W/late" >"$W/late.dir.out" 2>"$W/late.dir.err"
grep -q '^FILE: .ci/build.log$' "$W/late.dir.out" && ok || bad "late: the directory digest lacks .ci/build.log"
(cd "$W/late" && $GIT init -q && $GIT add -A -f && $GIT commit -qm x && $GIT archive HEAD) > "$W/late.tar" 2>/dev/null
(cd "$W/late" && $GIT archive --prefix=late/ HEAD) | gzip -n > "$W/late.tar.gz"
for a in late.tar late.tar.gz; do
	"$BIN" digest --report "$W/late.json" - <"$W/$a" >"$W/t.out" 2>"$W/t.err"
	same "late ignore rule ($a)" "$W/t" "$W/late.dir.out" "$W/late.dir.err"
	if grep -q 'excluded before' "$W/t.err" "$W/late.json"; then bad "late ($a): entry still dropped early"; else ok; fi
done

# --- top directories
expect_ok "git archive, no prefix, as a file" "$BIN" digest "$W/late.tar"
grep -q '^└── late/$' "$W/out" && ok || bad "no prefix: root is the file name: $(sed -n 2p "$W/out")"
(cd "$W/late" && $GIT archive HEAD) | "$BIN" digest - >"$W/out" 2>"$W/err"
grep -q '^└── stdin/$' "$W/out" && ok || bad "no prefix on stdin: root: $(sed -n 2p "$W/out"); $(head -2 "$W/err")"
grep -q '^    ├── .gitignore\|^FILE: src/x.c$' "$W/out" && ok || bad "no prefix: paths keep their first component"
expect_fail "forced strip, two top directories" 1 'entry ".gitignore": entry outside the top directory.*top directory is .ci/' \
	"$BIN" digest --strip-components 1 "$W/late.tar"

# --- archives made with Python's tarfile: duplicates, symlinks, names
python3 - "$W" <<'EOF'
import io, sys, tarfile
w = sys.argv[1]
def add(t, name, data=None, link=None, kind=None):
    ti = tarfile.TarInfo(name)
    if link is not None:
        ti.type, ti.linkname = tarfile.SYMTYPE, link
        t.addfile(ti)
    elif kind == "dir":
        ti.type = tarfile.DIRTYPE
        t.addfile(ti)
    else:
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
with tarfile.open(w + "/dup.tar", "w") as t:
    add(t, "top", kind="dir")
    add(t, "top/a.txt", b"first\n")
    add(t, "top/b.txt", b"b\n")
    add(t, "top/a.txt", b"second\n")
with tarfile.open(w + "/through.tar", "w") as t:
    add(t, "top", kind="dir")
    add(t, "top/real", kind="dir")
    add(t, "top/real/f.txt", b"real\n")
    add(t, "top/link", link="real")
    add(t, "top/link/evil.txt", b"through a symlink\n")
    add(t, "top/file.txt", b"a file\n")
    add(t, "top/file.txt/under.txt", b"under a file\n")
with tarfile.open(w + "/toplink.tar", "w") as t:
    add(t, "top", link="/etc")
    add(t, "top/passwd", b"root:x:0:0\n")
with tarfile.open(w + "/ctl.tar", "w", format=tarfile.PAX_FORMAT) as t:
    add(t, "top", kind="dir")
    add(t, "top/a\n================================================\nFILE: forged", b"x\n")
    add(t, "top/tab\there", b"y\n")
    add(t, "top/nel\u0085line", b"z\n")
    add(t, "top/plain\\name", b"w\n")
    add(t, "top/ln", link="target\nFILE: t")
EOF
expect_ok "duplicate path" "$BIN" digest --report "$W/dup.json" "$W/dup.tar"
if grep -q '^second$' "$W/out" && ! grep -q '^first$' "$W/out" && [ "$(grep -c '^FILE: a.txt$' "$W/out")" -eq 1 ]; then ok; else bad "duplicate: not the last entry, once"; fi
grep -q '"reason": "replaced by a later archive entry with the same path"' "$W/dup.json" && ok || bad "duplicate: no reason in the report"
grep -q '^Files analyzed: 2$' "$W/err" && ok || bad "duplicate: counted twice: $(cat "$W/err")"

expect_ok "members under a symlink" "$BIN" digest --report "$W/through.json" "$W/through.tar"
if grep -q 'evil\|under' "$W/out"; then bad "member through a symlink or file shown"; else ok; fi
grep -q '^FILE: real/f.txt$' "$W/out" && grep -q '^SYMLINK: link -> real$' "$W/out" && ok || bad "through: the rest is missing"
[ "$(grep -c '"reason": "inside a symlink or file of the archive' "$W/through.json")" -eq 2 ] && ok || bad "through: reasons missing from the report"

expect_ok "top directory that is a symlink" "$BIN" digest "$W/toplink.tar"
if grep -q 'root:x' "$W/out"; then bad "member under a symlinked top shown"; else ok; fi
grep -q '^SYMLINK: top -> etc$' "$W/out" && ok || bad "toplink: the symlink itself is not shown: $(cat "$W/out")"

expect_ok "control characters in names" "$BIN" digest "$W/ctl.tar"
[ "$(grep -c '^FILE: ' "$W/out")" -eq 4 ] && ok || bad "ctl: a name forged a FILE: line: $(grep '^FILE' "$W/out")"
grep -qF 'FILE: a\n================================================\nFILE: forged' "$W/out" && ok || bad "ctl: newline not escaped"
grep -qF 'FILE: tab\there' "$W/out" && grep -qF 'FILE: nel\u0085line' "$W/out" && ok || bad "ctl: tab or NEL not escaped"
grep -qF 'FILE: plain\name' "$W/out" && ok || bad "ctl: a name without control characters changed"
grep -qF 'SYMLINK: ln -> target\nFILE: t' "$W/out" && grep -qF '└── ln -> target\nFILE: t' "$W/out" && ok || bad "ctl: symlink target not escaped"

# --- the gzip trailer (CRC-32 and size) is required
sz=$(wc -c < "$W/late.tar.gz")
head -c $((sz - 8)) "$W/late.tar.gz" > "$W/notrailer.tar.gz"
expect_fail "gzip without its trailer" 1 "notrailer.tar.gz: truncated gzip stream" "$BIN" digest "$W/notrailer.tar.gz"
expect_fail "gzip without its trailer, stdin" 1 "truncated gzip stream" sh -c "\"$BIN\" digest - < \"$W/notrailer.tar.gz\""
[ ! -s "$W/out" ] && ok || bad "no trailer: something was printed"
head -c $((sz - 4)) "$W/late.tar.gz" > "$W/halftrailer.tar.gz"
expect_fail "gzip with half a trailer" 1 "truncated gzip stream" "$BIN" digest "$W/halftrailer.tar.gz"

finish
