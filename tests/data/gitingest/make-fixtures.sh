#!/usr/bin/env bash
# make-fixtures.sh — build the gitingest test fixtures (deterministic).
#
#   make-fixtures.sh OUTDIR          create OUTDIR/<fixture>/ for every fixture
#   make-fixtures.sh --tar OUTDIR    write OUTDIR/<fixture>.tar.gz for every fixture, shaped like a
#                                    GitHub archive: one top dir <owner>-<repo>-<shortsha>/ and a pax
#                                    global header whose comment is the commit id (git archive)
#   make-fixtures.sh --git OUTDIR    as --tar, and also keep the bare repositories as OUTDIR/<fixture>.git
#                                    (used to simulate gitingest's remote flavour offline)
#   make-fixtures.sh --list          print the fixture names
#   make-fixtures.sh --options NAME  print the gitingest flags the fixture's expected output was made
#                                    with (shell-quoted, one line; empty for none)
#
# Fixtures are made from scratch with printf; nothing is downloaded. Expected outputs for each
# fixture live in expected/<fixture>/ beside this script (see README.md).
# Tarball commits use fixed author/committer/dates so the commit id is the same on every machine:
# owner is "RepoDigest", repo is the fixture name (the commit id is on the "Commit:" line of
# expected/<fixture>/remote-summary.txt).
set -eu
export LC_ALL=C
umask 022

FIXTURES="basic binary text ignore limits symlinks mixed patterns"
OWNER=RepoDigest

usage() { echo "usage: $0 [--tar|--git] OUTDIR | --list" >&2; exit 2; }

# ---------------------------------------------------------------- helpers
# w PATH TEXT        write TEXT verbatim (no escapes), creating parent directories
# wf PATH FORMAT     write printf FORMAT (octal escapes like \303 interpreted)
# fill PATH N CHAR   write N copies of CHAR (no newline)
# ln_s TARGET PATH   symlink
w()    { mkdir -p "$(dirname "$1")"; printf '%s' "$2" > "$1"; }
wf()   { mkdir -p "$(dirname "$1")"; printf "$2" > "$1"; }
fill() { mkdir -p "$(dirname "$1")"; head -c "$2" /dev/zero | tr '\0' "$3" > "$1"; }
ln_s() { mkdir -p "$(dirname "$2")"; ln -s "$1" "$2"; }
lines() { # lines PATH N PREFIX : N numbered lines "PREFIX 001\n"...
  mkdir -p "$(dirname "$1")"; i=1; : > "$1"
  while [ "$i" -le "$2" ]; do printf '%s %03d\n' "$3" "$i" >> "$1"; i=$((i + 1)); done
}

# ---------------------------------------------------------------- fixtures
# (a) tree and content ordering
fx_basic() {
  w README.md $'# Basic fixture\n\nA small project used to check tree order and file blocks.\n'
  w readme.txt $'second readme-group file (README.md, readme.txt both sort first)\n'
  w README-dev.md $'not a readme: "README-" is not "readme" or "readme."\n'
  w alpha.md $'alpha\n'
  w Zed.md $'Zed sorts as "zed" (case-insensitive)\n'
  w _under.txt $'underscore sorts before letters after lower-casing\n'
  w 10.txt $'ten\n'
  w 9.txt $'nine\n'
  w a-b.txt $'hyphen sorts before dot\n'
  w a.txt $'a\n'
  w '~tilde.txt' $'tilde sorts after z\n'
  w $'\303\211clair.md' $'E-acute name: lower-cases to \303\251clair, sorts after ~\n'
  w $'\342\204\252elvin.txt' $'KELVIN SIGN name: Python lower() makes it "kelvin.txt"\n'
  w main.c $'#include "util.h"\n\nint main(void)\n{\n\treturn util();\n}\n'
  w .editorconfig $'root = true\n'
  w .env.example $'# .env is ignored by default, .env.example is not\nTOKEN=\n'
  w src/main.c $'int util(void) { return 0; }\n'
  w src/util.h $'int util(void);\n'
  w src/B.txt $'capital B\n'
  w src/a.txt $'small a\n'
  w src/readme $'readme without extension: group 0 inside src\n'
  w src/lib/helper.c $'/* helper */\n'
  w src/lib/deeper/x.c $'/* x */\n'
  w docs/Readme $'Readme, no extension\n'
  w docs/guide.md $'# Guide\n'
  w docs/README/notes.txt $'a directory named README is a plain directory\n'
  w Lib/x.py $'print("Lib sorts as lib")\n'
  w .github/workflows/ci.yml $'on: push\njobs: {}\n'
  w .config/settings.toml $'[core]\nx = 1\n'
}

# (b) binary detection
fx_binary() {
  w README.md $'# Binary fixture\n'
  wf logo.PNG '\211PNG\r\n\032\n\000\000\000\015IHDR\000\000\000\001\000\000\000\001\010\006\000\000\000\037\025\304\211\000\000\000\012IDATx\234c\000\001\000\000\005\000\001\015\012-\264\000\000\000\000IEND\256B`\202'
  cp logo.PNG icon.png   # *.png is ignored by default (case-sensitive: logo.PNG is kept)
  wf latin1.txt 'caf\351 cr\350me br\373l\351e\n'
  wf utf16le.txt '\377\376h\000i\000\n\000'
  wf empty.txt ''
  wf nul.txt 'a\000b\000c\n'
  wf overlong.txt '\300\200 overlong NUL\n'
  wf surrogate.txt 'x\355\240\200y\n'
  wf beyond-max.txt '\364\220\200\200 above U+10FFFF\n'
  wf bom.txt '\357\273\277BOM is kept\n'
  # 1023 ASCII bytes then a 2-byte char: byte 1024 cuts it -> [Binary file]
  fill split-at-1024.txt 1023 x; wf tmp.part '\303\251 tail\n'; cat tmp.part >> split-at-1024.txt
  # 1022 ASCII bytes then a 2-byte char: the first 1024 bytes are complete -> text
  fill boundary-ok.txt 1022 y; cat tmp.part >> boundary-ok.txt; rm tmp.part
  # valid UTF-8 for 1500 bytes, then 0xFF -> "Error reading file with 'UTF-8': ..."
  fill late-invalid.txt 1499 z; printf '\n\377 after\n' >> late-invalid.txt
  i=0; : > blob.dat; while [ $i -lt 256 ]; do printf "\\$(printf %03o $i)" >> blob.dat; i=$((i + 1)); done
  cp blob.dat assets.bin  # *.bin ignored by default
  mkdir -p assets; cp blob.dat assets/sprite.raw
  w assets/notes.md $'text next to binaries\n'
}

# (c) text handling
fx_text() {
  w README.md $'# Text fixture\r\nCRLF README\r\n'
  w crlf.txt $'line one\r\nline two\r\n'
  w cr-only.txt $'classic mac\rline endings\r'
  w mixed-eol.txt $'a\r\nb\nc\rd'
  w no-newline.txt 'no trailing newline'
  w blank-lines.txt $'\n\n\n'
  w single-newline.txt $'\n'
  w whitespace.txt $'   \n\t\n  trailing  \n'
  w tabs.py $'def f():\n\tif True:\n\t\treturn "\\t"\n'
  w $'cymraeg-\305\265\305\267.txt' $'Croeso i Gymru! \305\264 \305\265 \305\266 \305\267 \342\200\224 Llanfairpwllgwyngyll\n'
  w $'\344\270\255\346\226\207/\350\257\264\346\230\216.md' $'# \350\257\264\346\230\216\n\344\275\240\345\245\275\357\274\214\344\270\226\347\225\214\n'
  w $'emoji-\360\237\232\200.md' $'Launch \360\237\232\200 \342\234\250 \360\237\221\251\342\200\215\360\237\222\273\n'
  w $'cafe\314\201-nfd.txt' $'NFD name: e + COMBINING ACUTE\n'
  w $'caf\303\251-nfc.txt' $'NFC name: precomposed e-acute\n'
  w special-tokens.txt $'<|endoftext|> <|fim_prefix|> are plain text to the token counter\n'
  w json/data.json $'{\n  "k": "v\\u00e9",\n  "list": [1, 2, 3]\n}\n'
  lines long/numbered.txt 150 'numbered line'
  fill long/one-line.txt 3000 w
}

# (d) ignore rules
fx_ignore() {
  w README.md $'# Ignore fixture\n'
  w .gitignore $'# comment lines and blank lines are skipped\n\n*.tmpfile\nsecrets/\n/rootonly.txt\n*.secret\n!keep.secret\ndocs/**/*.draft\ngenerated-*.c\ndata/*.csv\nlogs/\n!logs/keep.txt\n\\#hash.txt\nspaced.txt   \n'
  w .gitingestignore $'notes/\n*.wip\n'
  w keep.secret $'negated in .gitignore (result depends on Python set order)\n'
  w api.secret $'ignored by *.secret\n'
  w rootonly.txt $'ignored\n'
  w src/rootonly.txt $'also ignored: gitingest strips the leading / and does not anchor\n'
  w src/main.py $'print("kept")\n'
  w src/generated-y.c $'ignored\n'
  w generated-x.c $'ignored\n'
  w secrets/token.txt $'ignored\n'
  w docs/guide.md $'kept\n'
  w docs/top.draft $'ignored (** matches zero dirs)\n'
  w docs/a/b/c.draft $'ignored\n'
  w data/a.csv $'ignored\n'
  w data/sub/b.csv $'kept: data/*.csv only matches direct children\n'
  w data/readme.md $'kept\n'
  w logs/keep.txt $'ignored: negation cannot re-include inside an excluded directory\n'
  w logs/x.txt $'ignored\n'
  w '#hash.txt' $'ignored via \\#hash.txt\n'
  w spaced.txt $'ignored (trailing spaces of the pattern are stripped)\n'
  w temp.tmpfile $'ignored\n'
  w notes/todo.md $'ignored by .gitingestignore\n'
  w draft.wip $'ignored by .gitingestignore\n'
  w sub/.gitignore $'*.dat\n/local.txt\n'
  w sub/x.dat $'ignored\n'
  w sub/local.txt $'ignored\n'
  w sub/deep/y.dat $'kept: sub/*.dat does not reach sub/deep/\n'
  w sub/deep/local.txt $'kept: /local.txt from sub/.gitignore became sub/local.txt\n'
  # default ignore list
  w .git/HEAD $'ref: refs/heads/main\n'
  w .git/config $'[core]\n'
  w node_modules/left-pad/index.js $'module.exports = 1;\n'
  w node_modules/.gitignore $'*.md\n'
  w __pycache__/mod.cpython-311.pyc $'pyc\n'
  w src/mod.pyc $'pyc\n'
  w .DS_Store $'ds\n'
  w package-lock.json $'{}\n'
  w yarn.lock $'# yarn\n'
  w Cargo.lock $'# cargo\n'
  w assets/app.js $'console.log("kept");\n'
  w assets/app.min.js $'ignored\n'
  w assets/style.min.css $'ignored\n'
  w assets/app.js.map $'{}\n'
  w assets/photo.jpg $'not really a jpeg\n'
  w assets/manual.pdf $'not really a pdf\n'
  w build/out.txt $'ignored\n'
  w Build/keep.txt $'kept: patterns are case-sensitive\n'
  w vendor/lib.go $'package lib\n'
  w bin/tool.sh $'#!/bin/sh\n'
  w pkg/x.go $'package x\n'
  w dist/bundle.js $'ignored\n'
  w target/debug.txt $'ignored\n'
  w .env $'SECRET=1\n'
  w .env.example $'SECRET=\n'
  w .vscode/settings.json $'{}\n'
  w .idea/workspace.xml $'<x/>\n'
  w app.log $'ignored\n'
  w logs.log/inner.txt $'ignored: *.log matches the directory\n'
  w docs/digest.txt $'ignored: digest.txt is on the default list\n'
  w src/Thumbs.db $'ignored\n'
  w .gitattributes $'* text=auto\n'
  w .gitmodules $''
  w venv/pyvenv.cfg $'home = x\n'
  w site.egg-info/PKG-INFO $'Name: site\n'
  w .github/dependabot.yml $'version: 2\n'
}

# (e) limits: run with -s 1000
fx_limits() {
  w README.md $'# Limits fixture (digest made with -s 1000)\n'
  fill under-limit.txt 998 u; printf '\n' >> under-limit.txt      # 999 bytes: kept
  fill at-limit.txt 999 a; printf '\n' >> at-limit.txt            # 1000 bytes: kept
  fill over-limit.txt 1000 o; printf '\n' >> over-limit.txt       # 1001 bytes: dropped silently
  i=0; : > big-binary.dat; while [ $i -lt 1500 ]; do printf '\377' >> big-binary.dat; i=$((i + 1)); done
  ln -s over-limit.txt link-to-big                                # symlinks are never size-checked
  mkdir -p empty nested/empty/deeper                              # empty dirs: omitted
  w only-ignored/debug.log $'ignored\n'                           # dir with nothing left: omitted
  fill only-big/huge.txt 2000 h                                   # dir with nothing left: omitted
  d=.
  i=1
  while [ $i -le 22 ]; do
    d=$d/$(printf 'l%02d' $i)
    if [ $i -ge 19 ]; then w "$d/f$i.txt" "file in a directory at depth $i"$'\n'; fi
    i=$((i + 1))
  done
  long=$(printf '%0120d' 0 | tr 0 n)
  w "$long.txt" $'file name of 124 bytes\n'
  d1=$(printf '%060d' 0 | tr 0 d)
  f1=$(printf '%0150d' 0 | tr 0 f)
  w "$d1-one/$d1-two/$d1-three/$f1.txt" $'path longer than 255 bytes (pax path in tar)\n'
  w "$d1-one/short.txt" $'path between 100 and 155 bytes\n'
}

# (f) symlinks
fx_symlinks() {
  w README.md $'# Symlinks fixture\n'
  w target.txt $'symlink target\n'
  w app.log $'ignored by *.log\n'
  w src/main.c $'int main(void) { return 0; }\n'
  w src/util/a.h $'#define A 1\n'
  w docs/guide.md $'# Guide\n'
  ln_s target.txt link-to-file
  ln_s src/main.c link-to-nested
  ln_s src link-to-dir
  ln_s src/ link-to-dir-slash
  ln_s . link-to-dot
  ln_s .. link-to-parent
  ln_s does/not/exist.txt broken
  ln_s /nonexistent/abs-target.txt abs-link
  ln_s target.txt .hidden-link
  ln_s src vendor
  ln_s src build
  ln_s README.md README.rst
  ln_s app.log link-to-ignored
  ln_s link-to-file chain
  ln_s ../target.txt only-link/inner
  ln_s ../../docs/guide.md src/util/guide-link.md
}

# (g) a mix of everything
fx_mixed() {
  w README.rst $'Mixed fixture\r\n=============\r\n'
  w Makefile $'all:\n\t$(CC) -o app src/app.c\n'
  w .gitignore $'out/\n*.o\ncache/\n'
  w src/app.c $'#include <stdio.h>\nint main(void) { puts("h\303\251llo"); return 0; }\n'
  w src/app.o $'object\n'
  w src/Readme.md $'# src\n'
  w src/cache/x.txt $'ignored by cache/\n'
  w 'docs/with space.md' $'file name with a space\n'
  w docs/$'\360\237\223\232-notes.md' $'emoji file name\n'
  w docs/empty.md ''
  w docs/no-eol.txt 'no eol'
  wf docs/image.data '\211PNG\r\n\032\n\000\000'
  w notebooks/demo.ipynb '{"cells":[{"cell_type":"markdown","metadata":{},"source":["# Title\n","Some *text*"]},{"cell_type":"code","execution_count":1,"metadata":{},"outputs":[{"name":"stdout","output_type":"stream","text":["hello\n","world\n"]}],"source":["print(\"hello\")\n","print(\"world\")"]},{"cell_type":"code","execution_count":2,"metadata":{},"outputs":[{"data":{"text/plain":["42"]},"execution_count":2,"metadata":{},"output_type":"execute_result"}],"source":["6 * 7"]},{"cell_type":"code","execution_count":3,"metadata":{},"outputs":[{"ename":"ZeroDivisionError","evalue":"division by zero","output_type":"error","traceback":[]}],"source":"1 / 0"},{"cell_type":"raw","metadata":{},"source":"raw cell"},{"cell_type":"code","metadata":{},"outputs":[],"source":[]}],"metadata":{},"nbformat":4,"nbformat_minor":5}'
  w out/result.txt $'ignored\n'
  w node_modules/x/index.js $'ignored\n'
  w .hidden/config $'hidden dir\n'
  w .dotfile $'dotfile\n'
  w tests/test_app.py $'def test_app():\n    assert True\n'
  ln_s src/app.c app-link.c
  mkdir -p empty-dir
  lines data/log.txt 40 'entry'
  wf data/latin1.csv 'na\357ve,caf\351\n'
}

# patterns: run with -i/-e (see expected/patterns/options.txt)
fx_patterns() {
  w README.md $'# Patterns fixture\n'
  w notes.md $'kept by -i *.md\n'
  w main.c $'dropped: matches no include pattern\n'
  w CHANGELOG.txt $'dropped\n'
  w src/app.c $'kept by -i src/**\n'
  w src/skip_me.c $'dropped by -e src/skip*\n'
  w src/docs/inner.md $'dropped: -e docs/ matches a docs directory at any depth\n'
  w docs/guide.md $'dropped by -e docs/\n'
  w docs/ref.txt $'dropped\n'
  w node_modules/left-pad/README.md $'kept: -i node_modules removes node_modules from the default ignores\n'
  w node_modules/left-pad/index.js $'kept: matches -i node_modules\n'
  w node_modules/pkg/README.md $'dropped: the default pattern pkg/ still applies\n'
  w lib/deep/x.md $'kept\n'
  w lib/deep/x.txt $'dropped\n'
  ln_s src link-dir
  ln_s main.c link-file
  ln_s notes.md link.md
}

# ---------------------------------------------------------------- main
TAR=0
case "${1:-}" in
  --list) for f in $FIXTURES; do echo "$f"; done; exit 0 ;;
  --options)
    case "${2:-}" in
      limits) echo "-s 1000" ;;
      patterns) echo "-i '*.md' -i 'src/**' -i node_modules -e 'src/skip*' -e docs/" ;;
      *) echo "" ;;
    esac
    exit 0 ;;
  --tar) TAR=1; shift ;;
  --git) TAR=2; shift ;;
  -h|--help|"") usage ;;
esac
[ $# -eq 1 ] || usage
OUT=$1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

build() { # build NAME DIR
  rm -rf "$2"; mkdir -p "$2"
  (cd "$2" && "fx_$1")
}

if [ "$TAR" = 0 ]; then
  for f in $FIXTURES; do build "$f" "$OUT/$f"; done
  exit 0
fi

command -v git >/dev/null || { echo "$0: --tar needs git" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME="$WORK"
export GIT_AUTHOR_NAME="RepoDigest Fixtures" GIT_AUTHOR_EMAIL="fixtures@example.invalid"
export GIT_COMMITTER_NAME="RepoDigest Fixtures" GIT_COMMITTER_EMAIL="fixtures@example.invalid"
export GIT_AUTHOR_DATE="2025-01-01T00:00:00+0000" GIT_COMMITTER_DATE="2025-01-01T00:00:00+0000"
for f in $FIXTURES; do
  build "$f" "$WORK/tree/$f"
  g="$WORK/git/$f.git"
  if [ "$TAR" = 2 ]; then g="$OUT/$f.git"; rm -rf "$g"; fi
  git init -q --bare "$g"
  git --git-dir="$g" config uploadpack.allowAnySHA1InWant true
  git --git-dir="$g" config core.autocrlf false
  git --git-dir="$g" config core.symlinks true
  # -f: gitignored and default-ignored files are committed too (git itself never stores
  # .git/ directories or empty directories)
  git --git-dir="$g" --work-tree="$WORK/tree/$f" add -f -A .
  git --git-dir="$g" --work-tree="$WORK/tree/$f" commit -q --no-verify --no-gpg-sign -m "fixture $f"
  short=$(git --git-dir="$g" rev-parse --short=7 HEAD)
  git --git-dir="$g" archive --format=tar.gz --prefix="$OWNER-$f-$short/" HEAD > "$OUT/$f.tar.gz"
  echo "$f $(git --git-dir="$g" rev-parse HEAD)"
done
