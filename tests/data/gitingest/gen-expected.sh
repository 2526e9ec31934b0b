#!/usr/bin/env bash
# gen-expected.sh — regenerate expected outputs by running the REAL gitingest.
#
#   gen-expected.sh MAKE_SCRIPT EXPECTED_DIR
#
# MAKE_SCRIPT   a fixture generator (make-fixtures.sh interface: OUTDIR, --git OUTDIR, --list,
#               --options NAME)
# EXPECTED_DIR  where <fixture>/{options.txt,digest.txt,summary.txt,remote-*.txt} are written
#
# Usage from the project: tests/data/gitingest/gen-expected.sh tests/data/gitingest/make-fixtures.sh \
#   tests/data/gitingest/expected (with the environment below; see README.md beside this script).
#
# Environment (all required except where a default is given):
#   PEER               a driver that runs gitingest offline (not part of this tree; README.md gives
#                      its interface): PEER GITDIR DIR [flags] [--source URL] [--mode json]
#   GITINGEST_GIT_DIR  git dir of a coderamp-labs/gitingest snapshot (has tag v0.3.1)
#   PATHSPEC_GIT_DIR   git dir of a cpburnz/python-pathspec snapshot (has tag v0.12.1)
#   LOCAL_REF          gitingest ref for the local-directory outputs (default v0.3.1)
#   REMOTE_REF         gitingest ref for the remote flavour (default HEAD of the snapshot: its
#                      clone code uses git only, so `url.insteadOf` can serve the repo offline)
#   SEEDS              extra PYTHONHASHSEED values to compare against seed 0 (default "1 2 3 4 5 6 7 8")
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 MAKE_SCRIPT EXPECTED_DIR" >&2; exit 2; }
MAKE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
EXP=$2
: "${PEER:?}" "${GITINGEST_GIT_DIR:?}" "${PATHSPEC_GIT_DIR:?}"
export PATHSPEC_GIT_DIR
LOCAL_REF=${LOCAL_REF:-v0.3.1}
REMOTE_REF=${REMOTE_REF:-HEAD}
SEEDS=${SEEDS:-1 2 3 4 5 6 7 8}
mkdir -p "$EXP"; EXP=$(cd "$EXP" && pwd)
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
"$MAKE" "$WORK/fx"
"$MAKE" --git "$WORK/git" > "$WORK/commits.txt"
printf '[url "file://%s/"]\n\tinsteadOf = https://github.com/repodigest/\n' "$WORK/git" > "$WORK/gitconfig"

split_json() { # split_json JSON DIGEST SUMMARY
  /usr/bin/python3 - "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
open(sys.argv[2], "wb").write((d["tree"] + "\n" + d["content"]).encode("utf-8"))
open(sys.argv[3], "wb").write(d["summary"].encode("utf-8"))
EOF
}

for f in $("$MAKE" --list); do
  opts=$("$MAKE" --options "$f")
  eval "set -- $opts"
  mkdir -p "$EXP/$f"
  printf '%s\n' "$opts" > "$EXP/$f/options.txt"
  # local flavour: cwd = parent of the fixture's copy, source "." inside it
  PYTHONHASHSEED=0 GITINGEST_REF=$LOCAL_REF "$PEER" "$GITINGEST_GIT_DIR" "$WORK/fx/$f" "$@" --mode json > "$WORK/$f.json"
  split_json "$WORK/$f.json" "$EXP/$f/digest.txt" "$EXP/$f/summary.txt"
  # same code at REMOTE_REF must give the same local output
  PYTHONHASHSEED=0 GITINGEST_REF=$REMOTE_REF "$PEER" "$GITINGEST_GIT_DIR" "$WORK/fx/$f" "$@" --mode json > "$WORK/$f.head.json"
  cmp -s "$WORK/$f.json" "$WORK/$f.head.json" || echo "WARN $f: $LOCAL_REF and $REMOTE_REF differ on the local directory"
  # hash-order check
  for s in $SEEDS; do
    PYTHONHASHSEED=$s TOKENS=none GITINGEST_REF=$LOCAL_REF "$PEER" "$GITINGEST_GIT_DIR" "$WORK/fx/$f" "$@" > "$WORK/$f.seed$s"
    cmp -s "$WORK/$f.seed$s" "$EXP/$f/digest.txt" || echo "HASH-ORDER $f: PYTHONHASHSEED=$s gives a different digest"
  done
  # remote flavour: ingest https://github.com/RepoDigest/<f> served from the local bare repo
  sha=$(awk -v f="$f" '$1 == f { print $2 }' "$WORK/commits.txt")
  url="https://github.com/RepoDigest/$f"
  PYTHONHASHSEED=0 GIT_CONFIG_GLOBAL="$WORK/gitconfig" GIT_CONFIG_NOSYSTEM=1 GITINGEST_REF=$REMOTE_REF \
    "$PEER" "$GITINGEST_GIT_DIR" "$WORK" "$@" --source "$url" --mode json > "$WORK/$f.remote.json"
  split_json "$WORK/$f.remote.json" "$EXP/$f/remote-digest.txt" "$EXP/$f/remote-summary.txt"
  grep -qx "Commit: $sha" "$EXP/$f/remote-summary.txt" || echo "WARN $f: remote summary does not name commit $sha"
  echo "done $f ($(wc -c < "$EXP/$f/digest.txt") bytes): $(tr '\n' ' ' < "$EXP/$f/summary.txt")"
done
