#!/bin/sh
# refs.sh BINARY - where objects of other refs go (decision 4): the default
# branch at gitingest/OWNER/REPO/NAME as always; any other ref at
# gitingest/OWNER/REPO/@REF/NAME, REF percent-encoded keeping RFC 3986's
# unreserved characters ("/" too is encoded: one directory). `digest
# OWNER/REPO@REF --out DIR` from a file:// mirror, full and chunks: no ref
# and HEAD share the default's key; a branch with a slash, a tag with dots,
# a ref with bytes outside ASCII (git refs hold no "~") each get their own directory, with the
# sidecar beside the body and the chunks naming the ref; storing them leaves
# the default branch's objects untouched; a second store of the same ref
# replaces only that ref's object.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
B=$BIN

mkdir -p "$W/src/o-r-1234567/src" "$W/m/o"
printf '# r\n' >"$W/src/o-r-1234567/README.md"
printf 'int x;\n' >"$W/src/o-r-1234567/src/x.c"
(cd "$W/src" && tar -cf - o-r-1234567 | gzip -1 >"$W/m/o/r.tar.gz") || { bad "tar"; finish; exit 1; }
M="--archive-url file://$W/m/{owner}/{repo}.tar.gz"
O=$W/dest/gitingest/o/r

# store SOURCE FORMAT: digest SOURCE --out DIR as o/r
store() { expect_ok "store $1 $2" "$B" digest "$1" $M --repo o/r --format "$2" --out "$W/dest/"; }

store o/r full
store o/r chunks
[ -s "$O/summary.txt" ] && [ -s "$O/summary.txt.meta" ] && [ -s "$O/chunks.jsonl" ] && ok ||
	bad "the default branch's objects: $(ls -R "$W/dest")"
cp "$O/summary.txt" "$W/default.txt"
cp "$O/chunks.jsonl" "$W/default.jsonl"

# HEAD is the default branch
store o/r@HEAD full
[ -z "$(find "$O" -name '@*')" ] && ok || bad "HEAD made a ref directory: $(ls "$O")"

for ref in "feature/x|@feature%2Fx" "v1.0-rc_1|@v1.0-rc_1" "caf$(printf '\303\251')|@caf%C3%A9"; do
	r=${ref%%|*} d=${ref#*|}
	store "o/r@$r" full
	store "o/r@$r" chunks
	[ -s "$O/$d/summary.txt" ] && [ -s "$O/$d/summary.txt.meta" ] && [ -s "$O/$d/chunks.jsonl" ] &&
		[ -s "$O/$d/chunks.jsonl.meta" ] && ok || bad "ref $r: not at $d: $(ls -a "$O")"
	grep -q "\"ref\":\"$r\"" "$O/$d/chunks.jsonl" && ok || bad "ref $r: the chunks do not name it: $(head -c 200 "$O/$d/chunks.jsonl")"
	grep -q '"ref":""' "$O/chunks.jsonl" && ok || bad "ref $r: the default's chunks changed"
done
cmp -s "$O/summary.txt" "$W/default.txt" && cmp -s "$O/chunks.jsonl" "$W/default.jsonl" && ok ||
	bad "storing other refs changed the default branch's objects"
# exactly the three ref directories and the default's four files
n=$(find "$O" -mindepth 1 -maxdepth 1 | wc -l)
[ "$n" -eq 7 ] && ok || bad "$O holds $n entries, want 4 files and 3 ref directories: $(ls -a "$O")"
# again: only that ref's object is replaced
cp "$O/@feature%2Fx/summary.txt.meta" "$W/before.meta"
sleep 1
store o/r@feature/x full
cmp -s "$O/@feature%2Fx/summary.txt.meta" "$W/before.meta" && bad "the ref's object was not stored again" || ok
cmp -s "$O/summary.txt" "$W/default.txt" && ok || bad "the default's object changed"
if find "$W/dest" -name '*.tmp.*' | grep -q .; then bad "temporary files left"; else ok; fi
finish
