#!/bin/sh
# search.sh BINARY - `repodigest index` and `repodigest query`:
#   - a directory indexed, then again unchanged (the summary counts no chunk
#     written), then with a file changed and one removed (exactly those
#     replaced); the same tree's stored chunks (FILE.jsonl) give the same
#     results as the tree itself;
#   - ranking: the scores and order of `query` against BM25 computed here in
#     Python, independently, from the same tokens (tests/integration/tokdump
#     prints what the tokenizer makes of each chunk) with FTS5's formula
#     (k1 = 1.2, b = 0.75, the path column weighted 4, colocated tokens not
#     counted in a row's length), with at most N chunks of a file (query's
#     default 1, --per-file 2 and no cap: the same rule applied here);
#   - --per-file: the cap kept, k still filled from other files, a cap above
#     k, bad values;
#   - identifiers met in any spelling (getUserById, get_user_by_id, user by
#     id, UserById);
#   - hostile queries (" * NEAR( AND - OR, 10 KB) searched for or refused
#     with a usage line, never an SQL error;
#   - bad inputs: one line naming the input and the cause, the right status;
#   - the listing (--format text; on a terminal, terms highlighted and the
#     text's control bytes neutralised).
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
TOKDUMP=build/musl/itests/tokdump
[ -x "$TOKDUMP" ] || { bad "missing $TOKDUMP (make test-build)"; finish; exit 1; }

# ---------------------------------------------------------------- a tree
P=$W/proj
mkdir -p "$P/src" "$P/lib" "$P/docs"
cat > "$P/src/user.c" <<'EOF'
/* users */
struct user *
get_user_by_id(int id)
{
	return lookup_user(id);
}
EOF
cat > "$P/lib/client.js" <<'EOF'
export function getUserById(id) {
	return fetch(`/users/${id}`).then((r) => r.json());
}
export class HTTPServer { listen(port) { return port; } }
EOF
cat > "$P/lib/account.py" <<'EOF'
class UserById:
    """Find a user by id."""
    def __init__(self, store):
        self.store = store
EOF
printf '# Project\n\nHow to look a user up by id, and more.\n' > "$P/docs/guide.md"
printf 'int unrelated_counter;\n' > "$P/src/other.c"

I=$W/i.db
expect_ok "index a directory" "$BIN" index "$P" --index "$I"
grep -q '5 files (5 added, 0 changed, 0 unchanged, 0 removed)' "$W/err" && ok ||
	bad "first summary: $(cat "$W/err")"
[ -s "$I" ] && ok || bad "no index file"
expect_ok "query" "$BIN" query --index "$I" -k 10 getUserById
python3 - "$W/out" <<'PY' && ok || bad "query's JSON lines: $(head -c 300 "$W/out")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows, "no rows"
for r in rows:
    assert set(r) == {"repo", "ref", "path", "start_line", "end_line", "score", "text"}, r
    assert r["repo"] == "proj" and r["score"] > 0, r
assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
paths = [r["path"] for r in rows]
# every spelling of the name is found, before anything else
assert set(paths[:3]) == {"lib/client.js", "src/user.c", "lib/account.py"}, paths
PY
# each spelling finds all three definitions in the top four
for q in "get_user_by_id" "user by id" "UserById" "GetUserByID"; do
	"$BIN" query --index "$I" -k 4 "$q" > "$W/q.json" 2>"$W/err"
	n=$(grep -c -e '"path":"src/user.c"' -e '"path":"lib/client.js"' -e '"path":"lib/account.py"' "$W/q.json")
	[ "$n" -eq 3 ] && ok || bad "query '$q': $n of 3 definitions: $(cut -c1-80 "$W/q.json")"
done
"$BIN" query --index "$I" "http server" > "$W/q.json" &&
	head -1 "$W/q.json" | grep -q '"path":"lib/client.js"' && ok || bad "http server finds HTTPServer"

# again, unchanged: nothing written
expect_ok "index again" "$BIN" index "$P" --index "$I"
grep -q '5 files (0 added, 0 changed, 5 unchanged, 0 removed), 5 chunks (0 written, 0 deleted)' "$W/err" && ok ||
	bad "unchanged summary: $(cat "$W/err")"
# one file changed, one removed: those and nothing else
printf 'int unrelated_total;\n' > "$P/src/other.c"
rm "$P/docs/guide.md"
expect_ok "index changed" "$BIN" index "$P" --index "$I"
grep -q '4 files (0 added, 1 changed, 3 unchanged, 1 removed), 4 chunks (1 written, 2 deleted)' "$W/err" && ok ||
	bad "changed summary: $(cat "$W/err")"
"$BIN" query --index "$I" unrelated_counter > "$W/q.json" && ! grep -q 'unrelated_counter' "$W/q.json" && ok ||
	bad "the old chunk is gone"
"$BIN" query --index "$I" total > "$W/q.json" && grep -q '"path":"src/other.c"' "$W/q.json" && ok ||
	bad "the new chunk is found"
"$BIN" query --index "$I" guide > "$W/q.json" && ! grep -q 'docs/guide.md' "$W/q.json" && ok ||
	bad "the removed file is gone"

# the same tree as stored chunks: the same answers
"$BIN" digest -q --format chunks "$P" > "$W/proj.jsonl"
expect_ok "index FILE.jsonl" "$BIN" index "$W/proj.jsonl" --index "$W/j.db"
for q in "user by id" "http server" "store" "lookup user"; do
	"$BIN" query --index "$I" "$q" > "$W/a.json"
	"$BIN" query --index "$W/j.db" "$q" > "$W/b.json"
	cmp -s "$W/a.json" "$W/b.json" && [ -s "$W/a.json" ] && ok || bad "tree and jsonl differ for '$q'"
done

# ---------------------------------------------------------------- BM25
# a corpus with repeated terms, identifiers in every style, paths that
# match, short and long rows; scores compared with Python's own BM25
python3 - "$W/corpus.jsonl" <<'PY'
import json, sys, hashlib
texts = [
    ("src/parse_user.c", "parse the user record; parse again; parseUser(x)"),
    ("src/parse_user.c", "user user user id lookup"),
    ("src/parse_user.c", "the user id parser, by id"),
    ("lib/HttpClient.java", "class HttpClient { HTTPServer server; getUserById(int id) }"),
    ("lib/http/server.go", "func (s *Server) ServeHTTP(w ResponseWriter, r *Request) {}"),
    ("docs/user-guide.md", "The user guide: how to find a user by id, or by name."),
    ("docs/notes.txt", "nothing about that here, only unrelated words and more words"),
    ("src/x86_64/utf8.c", "utf8 decode for x86_64: utf8_decode(p, n) and UTF8Decoder"),
    ("test/test_parse.py", "def test_parse_user_by_id(): assert parse_user(1).id == 1"),
    ("a.c", "id"),
    ("b.c", " ".join(["filler"] * 200) + " user"),
]
# rows that match none of the queries, so that no term is in half the rows
# (FTS5 clamps such a term's IDF to 1e-6)
texts += [("misc/m%d.txt" % i, "alpha beta gamma %d delta" % i) for i in range(14)]
with open(sys.argv[1], "w") as f:
    n = {}
    for i, (p, t) in enumerate(texts):
        cid = hashlib.sha256(("%d%s" % (i, t)).encode()).hexdigest()[:32]
        f.write(json.dumps({"repo": "o/r", "ref": "", "commit": "", "path": p,
            "language": "", "chunk": n.get(p, 0), "start_line": i + 1,
            "end_line": i + 1, "text": t, "tokens": 1, "id": cid}) + "\n")
        n[p] = n.get(p, 0) + 1
PY
# the second round: one row's text changed, one file gone, indexed over the
# first, so FTS5's counts after deletions are checked too
python3 - "$W/corpus.jsonl" "$W/corpus2.jsonl" <<'PY'
import json, sys, hashlib
rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in rows if r["path"] != "misc/m13.txt"]
for r in rows:
    if r["path"] == "docs/notes.txt":
        r["text"] = "now about a user and an id, with words"
        r["id"] = hashlib.sha256(r["text"].encode()).hexdigest()[:32]
with open(sys.argv[2], "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
PY
for round in 1 2; do
[ $round = 1 ] && C=$W/corpus.jsonl || C=$W/corpus2.jsonl
expect_ok "index the corpus ($round)" "$BIN" index "$C" --index "$W/bm.db"
cp "$W/err" "$W/round$round.err"
"$TOKDUMP" "$C" > "$W/tokens.jsonl" || bad "tokdump"
for q in "user" "parse user" "getUserById" "http server" "utf8 decode" "user by id" \
    "id" "words about" "Server ServeHTTP request" "x86_64 UTF8Decoder filler"; do
for cap in 1 2 0; do
	"$TOKDUMP" -q "$q" > "$W/qtok.json"
	# 1: query's default (no --per-file)
	opt="--per-file $cap"; [ $cap = 1 ] && opt=
	# shellcheck disable=SC2086 # opt: none or two words
	"$BIN" query --index "$W/bm.db" -k 20 $opt "$q" > "$W/got.json" 2>"$W/err"
	if python3 - "$W/tokens.jsonl" "$W/qtok.json" "$W/got.json" "$q" "$C" "$cap" <<'PY'; then ok; else bad "bm25 for '$q', cap $cap (round $round)"; fi
import json, math, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
qt = []
for t, _ in json.load(open(sys.argv[2])):
    if t not in qt:
        qt.append(t)
got = [json.loads(l) for l in open(sys.argv[3])]
W = {"path": 4.0, "text": 1.0}
k1, b = 1.2, 0.75
def length(toks):   # FTS5 counts a colocated token only when it is first
    return sum(1 for i, (t, c) in enumerate(toks) if not c or i == 0)
N = len(docs)
D = [length(d["path"]) + length(d["text"]) for d in docs]
avgdl = sum(D) / N
def has(d, t):
    return any(x == t for col in ("path", "text") for x, _ in d[col])
idf = {}
for t in qt:
    n = sum(1 for d in docs if has(d, t))
    v = math.log((N - n + 0.5) / (n + 0.5))
    idf[t] = v if v > 0 else 1e-6
rows = [json.loads(l) for l in open(sys.argv[5])]
lines = [r["start_line"] for r in rows]
want = []
for i, d in enumerate(docs):
    if not any(has(d, t) for t in qt):
        continue
    s = 0.0
    for t in qt:
        f = sum(W[col] for col in ("path", "text") for x, _ in d[col] if x == t)
        s += idf[t] * f * (k1 + 1) / (f + k1 * (1 - b + b * D[i] / avgdl))
    want.append((-s, i))
want.sort()
# at most cap rows of a file, in that order (0: no cap)
cap, kept, per = int(sys.argv[6]), [], {}
for ns, i in want:
    p = rows[i]["path"]
    if cap and per.get(p, 0) >= cap:
        continue
    per[p] = per.get(p, 0) + 1
    kept.append((ns, i))
want = kept
assert len(got) == len(want), (len(got), len(want))
for (ns, i), g in zip(want, got):
    assert abs(-ns - g["score"]) <= 1e-4 * abs(ns) + 1e-9, (sys.argv[4], -ns, g)
    # ties may come in either order; a distinct score must be this row
    if g["start_line"] != lines[i]:
        others = [x for x in want if abs(x[0] - ns) < 1e-9]
        assert any(g["start_line"] == lines[j] for _, j in others), (sys.argv[4], g, i)
PY
done
done
done
grep -q '(0 added, 1 changed, .* 1 removed)' "$W/round2.err" && ok || bad "round 2 replaced: $(cat "$W/round2.err")"

# ---------------------------------------------------------------- hostile
for q in '"' '*' 'NEAR(' 'AND' 'OR' 'NOT' '"a" OR "b"' '(' ')' 'col:x' '^x' '+' 'a*' '-'; do
	"$BIN" query --index "$I" -- "$q" > "$W/out" 2>"$W/err"
	rc=$?
	if [ $rc -eq 0 ] && ! grep -qi 'sql\|fts5\|syntax' "$W/err"; then ok; else bad "query '$q': exit $rc: $(head -2 "$W/err")"; fi
done
"$BIN" query --index "$W/bm.db" -- 'NEAR(' > "$W/out" 2>&1 && [ ! -s "$W/out" ] && ok || bad "NEAR( finds nothing here"
printf '{"repo":"o/r","path":"w.txt","chunk":0,"start_line":1,"end_line":1,"text":"and or not near","id":"00000000000000000000000000000001"}\n' > "$W/words.jsonl"
"$BIN" index -q "$W/words.jsonl" --index "$W/w.db"
for q in 'AND' 'OR' 'NOT' 'NEAR(' '"near"'; do
	"$BIN" query --index "$W/w.db" -- "$q" | grep -q '"path":"w.txt"' && ok || bad "'$q' is a word searched for"
done
expect_fail "no words" 0 "no words to search for" "$BIN" query --index "$I" -- '*'
big=$(python3 -c 'print(("user \"*( NEAR AND -x " * 700)[:10240])')
expect_ok "10 KB query" "$BIN" query --index "$I" -- "$big"
expect_fail "empty query" 2 "the query is empty" "$BIN" query --index "$I" ""
expect_fail "no query" 2 "" "$BIN" query --index "$I"
expect_fail "-k 0" 2 "\-k" "$BIN" query --index "$I" -k 0 x
expect_fail "-k too many" 2 "\-k" "$BIN" query --index "$I" -k 1001 x

# ---------------------------------------------------------------- per file
# "user" matches 3 chunks of src/parse_user.c and chunks of 6 other files
"$BIN" query --index "$W/bm.db" -k 20 --per-file 0 user > "$W/all.json"
"$BIN" query --index "$W/bm.db" -k 5 --per-file 1 user > "$W/one.json"
"$BIN" query --index "$W/bm.db" -k 3 --per-file 50 user > "$W/big.json"
"$BIN" query --index "$W/bm.db" -k 3 --per-file 0 user > "$W/none.json"
python3 - "$W/all.json" "$W/one.json" <<'PY' && ok || bad "--per-file 1: $(cut -c1-60 "$W/one.json")"
import json, sys
full = [json.loads(l) for l in open(sys.argv[1])]
one = [json.loads(l) for l in open(sys.argv[2])]
assert sum(r["path"] == "src/parse_user.c" for r in full) == 3, "the corpus changed"
paths = [r["path"] for r in one]
# one chunk of a file, k still filled, the others' best chunks in bm25's order
assert len(paths) == 5 and len(set(paths)) == 5, paths
best = []
for r in full:
    if r["path"] not in [b["path"] for b in best]:
        best.append(r)
assert [(r["path"], r["start_line"], r["score"]) for r in one] == \
    [(r["path"], r["start_line"], r["score"]) for r in best[:5]], (one, best)
PY
cmp -s "$W/big.json" "$W/none.json" && [ "$(grep -c '' "$W/big.json")" -eq 3 ] && ok ||
	bad "--per-file above k: not the uncapped answer"
for v in -1 x 1001 ""; do
	expect_fail "--per-file '$v'" 2 "per-file needs a number from 0 to 1000" "$BIN" query --index "$I" --per-file "$v" x
done

# ---------------------------------------------------------------- bad input
expect_fail "no index" 1 "absent.db: no such file or directory" "$BIN" query --index "$W/absent.db" x
[ ! -e "$W/absent.db" ] && ok || bad "query made an index"
printf 'just some text\n' > "$W/notes.txt"
expect_fail "not an index" 1 "notes.txt: not a search index" "$BIN" query --index "$W/notes.txt" x
expect_fail "index into a text file" 1 "notes.txt: not a search index" "$BIN" index "$W/proj.jsonl" --index "$W/notes.txt"
[ "$(cat "$W/notes.txt")" = "just some text" ] && ok || bad "the text file was written"
{ head -1 "$W/proj.jsonl"; echo '{"repo":"o/r","path":"x"}'; } > "$W/bad.jsonl"
expect_fail "bad line" 1 'bad.jsonl: entry "line 2":.*missing' "$BIN" index "$W/bad.jsonl" --index "$W/bad.db"
"$BIN" query --index "$W/bad.db" user > "$W/out" 2>/dev/null
[ ! -s "$W/out" ] && ok || bad "a source with a bad line left chunks of its repository"
{ head -1 "$W/corpus.jsonl"; sed -n 2p "$W/proj.jsonl"; sed -n 2p "$W/corpus.jsonl"; } > "$W/turns.jsonl"
expect_fail "repositories in turns" 1 "not together" "$BIN" index -q "$W/turns.jsonl" --index "$W/t.db"
expect_fail "tokenizer of an existing index" 2 "made with the tokenizer" \
	"$BIN" index "$W/proj.jsonl" --index "$I" --tokenizer unicode61
# code-porter (a comparison for the bench): FTS5's porter stemmer on code's
# tokens, so word forms meet; code keeps them apart
printf '{"repo":"o/r","path":"p.c","chunk":0,"start_line":1,"end_line":1,"text":"int parse_chunks(void);\\n","id":"00000000000000000000000000000003"}\n' > "$W/stem.jsonl"
"$BIN" index -q "$W/stem.jsonl" --index "$W/porter.db" --tokenizer code-porter
"$BIN" index -q "$W/stem.jsonl" --index "$W/plain.db"
[ "$("$BIN" query --index "$W/porter.db" --format json parsing chunk | grep -c '"path":"p.c"')" -eq 1 ] &&
   [ -z "$("$BIN" query --index "$W/plain.db" --format json parsing chunk)" ] && ok ||
	bad "code-porter: parsing and chunk do not find parse_chunks"
expect_fail "missing source" 1 "no-such-dir" "$BIN" index "$W/no-such-dir" --index "$W/m.db"
# one bad source among good ones: the others are indexed, exit 1
"$BIN" index "$W/bad.jsonl" "$W/corpus.jsonl" --index "$W/two.db" 2>"$W/err"
[ $? -eq 1 ] && "$BIN" query --index "$W/two.db" utf8 | grep -q x86_64 && ok || bad "good sources indexed beside a bad one"

# ---------------------------------------------------------------- listing
printf '{"repo":"o/r","path":"esc.txt","chunk":0,"start_line":7,"end_line":9,"text":"first line\\nthe needle \\u001b[31mred\\u001b[0m\\nlast needle\\n","id":"00000000000000000000000000000002"}\n' > "$W/esc.jsonl"
"$BIN" index -q "$W/esc.jsonl" --index "$W/e.db"
"$BIN" query --index "$W/e.db" --format text needle > "$W/out"
if grep -q '^esc.txt:7-9  o/r  score ' "$W/out" && grep -q '^     8  the needle ?\[31mred?\[0m$' "$W/out" &&
   grep -q '^     9  last needle$' "$W/out" && ! grep -q 'first line' "$W/out" &&
   ! grep -q "$(printf '\033')" "$W/out"; then ok; else bad "listing: $(cat "$W/out")"; fi
if command -v script >/dev/null 2>&1; then
	B=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
	TERM=xterm script -qec "$B query --index $W/e.db needle" /dev/null > "$W/tty" 2>&1
	if grep -q "$(printf '\033\\[1;31m')needle" "$W/tty" && grep -q 'esc.txt:7-9' "$W/tty" &&
	   ! grep -q "$(printf '\033\\[31m')" "$W/tty"; then ok; else bad "terminal listing: $(od -c "$W/tty" | head -5)"; fi
else
	echo "skip: terminal listing (no script(1))"
fi
finish
