#!/bin/sh
# chunks.sh BINARY - where --format chunks is stored (issue 13), read back by
# python3 (files, and boto3 for S3), never by repodigest itself:
#   - `run --format full,chunks` over the sample feed (offline file:// mirror)
#     stores gitingest/OWNER/REPO/summary.txt and chunks.jsonl per repository,
#     each with its sidecar (size and SHA-256 of its body, content type, the
#     feed's pushedAt, one commit for both, a generator naming the chunk
#     settings for chunks.jsonl only); every line is a chunk of that repo;
#     chunks.jsonl is what `digest --format chunks` makes of the tarball, and
#     summary.txt what `run --format full` stores (capped at --max-output
#     although the digest kept every body for the chunker);
#   - a second run is all cache hits; --chunk-size 500 rewrites chunks.jsonl
#     only (summary.txt's processedat unchanged); --format full then is all
#     cache hits (only the objects asked for count); a lost chunks sidecar
#     makes that one repo redo chunks.jsonl alone, as does a failed put of
#     chunks.jsonl (the repo fails, summary.txt stays); --dry-run stores nothing;
#   - `run --format chunks` stores chunks.jsonl only;
#   - `digest --format chunks --out DIR` stores the object `run` would: a
#     cache hit for it;
#   - the usage errors of --format and the chunk options;
#   - the same against radosgw (tests/s3-server, SigV4 checked):
#     both objects with their Content-Type and x-amz-meta-*, equal to the
#     local bodies; cache hits; --chunk-size rewrites chunks.jsonl only;
#     `digest --format chunks --out s3://`.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
. tests/integration/s3srv.inc
cleanup() {
	s3srv_stop
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
B=$BIN
[ -x "$B" ] || { bad "missing $B"; finish; exit 1; }
PY=/usr/bin/python3

FEED=tests/data/feeds/sample-repos.json
scripts/make-mirror "$FEED" "$W/mirror" >/dev/null || { bad "make-mirror"; finish; exit 1; }
M="--archive-url file://$W/mirror/{owner}/{repo}.tar.gz"
summary() { grep -o '\(Pipeline\|Dry run\) complete: [^"]*' "$1" | tail -1; }
# runl DIR [args]: one run into DIR, log in $W/out
runl() {
	d=$1; shift
	timeout 120 "$B" run "$FEED" --out "$d" $M --state "$W/st" -j 2 --log-format json \
	    --max-output 2048 "$@" >"$W/out" 2>"$W/err"
}

# the feed's valid records: "owner name pushedAt" (pushedAt "-" when absent)
"$PY" - "$FEED" >"$W/repos" <<'PY'
import json, re, sys
seen = set()
for r in json.load(open(sys.argv[1])):
    try:
        o, n, u = r["owner"], r["name"], r["url"]
    except (TypeError, KeyError):
        continue
    if not (isinstance(o, str) and isinstance(n, str) and isinstance(u, str)):
        continue
    if not re.fullmatch(r"[A-Za-z0-9-]{1,39}", o) or not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", n) or n in (".", ".."):
        continue
    if re.sub(r"(\.git)?/?$", "", u).lower() != ("https://github.com/%s/%s" % (o, n)).lower():
        continue
    if (o.lower(), n.lower()) in seen:
        continue
    seen.add((o.lower(), n.lower()))
    p = r.get("pushedAt")
    print(o, n, p if isinstance(p, str) and p else "-")
PY
NREPO=$(grep -c '' "$W/repos")
NPUSHED=$(awk '$3 != "-"' "$W/repos" | grep -c '')
[ "$NREPO" -gt 10 ] && [ "$NPUSHED" -gt 0 ] && [ "$NPUSHED" -lt "$NREPO" ] && ok ||
	bad "premise: $NREPO repos, $NPUSHED with pushedAt"

# check.py DIR REPOS FORMATS SIZE OVERLAP: every object of every repo as stored
# in a local directory, one "FAIL ..." line per problem, then "N checked"
cat >"$W/check.py" <<'PY'
import hashlib, json, os, sys
root, repos, formats, size, overlap = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4], sys.argv[5]
fields = ["repo", "ref", "commit", "path", "language", "chunk", "start_line", "end_line", "text", "tokens", "id"]
n = 0
for line in open(repos):
    o, r, p = line.split()
    p = "" if p == "-" else p
    d = os.path.join(root, "gitingest", o, r)
    commits = set()
    for name in ("summary.txt", "chunks.jsonl"):
        fmt = "full" if name == "summary.txt" else "chunks"
        path = os.path.join(d, name)
        if fmt not in formats:
            if os.path.exists(path) or os.path.exists(path + ".meta"):
                print("FAIL %s/%s: %s stored, not asked for" % (o, r, name))
            continue
        try:
            body = open(path, "rb").read()
            meta = json.load(open(path + ".meta"))
        except Exception as e:
            print("FAIL %s/%s: %s: %s" % (o, r, name, e))
            continue
        why = []
        if meta.get("size") != str(len(body)): why.append("size %r, body %d" % (meta.get("size"), len(body)))
        if meta.get("sha256") != hashlib.sha256(body).hexdigest(): why.append("sha256")
        if meta.get("pushedat") != p: why.append("pushedat %r" % meta.get("pushedat"))
        if meta.get("url") != "https://github.com/%s/%s" % (o, r): why.append("url %r" % meta.get("url"))
        g = meta.get("generator", "")
        ct = meta.get("content-type")
        if fmt == "chunks":
            if not g.endswith(" format/chunks chunk-size/%s chunk-overlap/%s" % (size, overlap)) or "max-output/0 " not in g:
                why.append("generator %r" % g)
            if ct != "application/jsonl": why.append("content-type %r" % ct)
            for i, ln in enumerate(body.decode("utf-8").splitlines()):
                c = json.loads(ln)
                if list(c) != fields: why.append("line %d fields %s" % (i + 1, list(c))); break
                if c["repo"] != "%s/%s" % (o, r) or c["commit"] != meta.get("commit") or c["ref"] != "":
                    why.append("line %d repo/commit/ref %r %r %r" % (i + 1, c["repo"], c["commit"], c["ref"])); break
                if len(c["text"].encode("utf-16-le")) // 2 > int(size): why.append("line %d longer than %s" % (i + 1, size)); break
        else:
            if "chunk" in g or "format/" in g: why.append("generator %r" % g)
            if ct != "text/plain": why.append("content-type %r" % ct)
        commits.add(meta.get("commit"))
        if why: print("FAIL %s/%s: %s: %s" % (o, r, name, "; ".join(why)))
        n += 1
    if len(commits) > 1: print("FAIL %s/%s: commits differ: %s" % (o, r, commits))
print("%d checked" % n)
PY
# check NAME DIR FORMATS [SIZE OVERLAP]
check() {
	"$PY" "$W/check.py" "$2" "$W/repos" "$3" "${4:-1000}" "${5:-100}" >"$W/chk" 2>&1
	want=$NREPO; [ "$3" = full,chunks ] && want=$((NREPO * 2))
	if grep -q FAIL "$W/chk" || ! grep -qx "$want checked" "$W/chk"; then
		bad "$1: $(grep -v '^ok' "$W/chk" | head -5)"; else ok; fi
}
# meta DIR O R NAME FIELD: one field of a stored sidecar
meta() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
	"$1/gitingest/$2/$3/$4.meta" "$5"; }

# --- 1. both objects, one download
D=$W/both
runl "$D" --format full,chunks || bad "full,chunks: $(head -3 "$W/err")"
case $(summary "$W/out") in
"Pipeline complete: $NREPO total, 0 cached (0.0%), $NREPO processed, 0 failed"*) ok ;;
*) bad "full,chunks: $(summary "$W/out")" ;;
esac
[ "$(grep -c '"objects":"summary.txt,chunks.jsonl"' "$W/out")" -eq "$NREPO" ] && ok ||
	bad "full,chunks: Stored digest lines: $(grep -m1 'Stored digest' "$W/out")"
check "full,chunks stored" "$D" full,chunks
cp -R "$D" "$W/both0"

# chunks.jsonl is digest --format chunks of the tarball; summary.txt is what
# a run of the full format alone stores (the same cap)
runl "$W/fullonly" --format full || bad "full: $(head -3 "$W/err")"
grep -q '"objects"' "$W/out" && bad "full alone: Stored digest names its objects" || ok
nd=0 ns=0 ntr=0
while read -r o r p; do
	"$B" digest --repo "$o/$r" --format chunks "$W/mirror/$o/$r.tar.gz" >"$W/ref.jsonl" 2>"$W/err" ||
		bad "digest $o/$r: $(head -2 "$W/err")"
	cmp -s "$W/ref.jsonl" "$D/gitingest/$o/$r/chunks.jsonl" && nd=$((nd + 1)) ||
		bad "$o/$r: chunks.jsonl differs from digest --format chunks"
	cmp -s "$W/fullonly/gitingest/$o/$r/summary.txt" "$D/gitingest/$o/$r/summary.txt" && ns=$((ns + 1)) ||
		bad "$o/$r: summary.txt differs from run --format full's"
	grep -q 'Summary truncated at 2KB limit' "$D/gitingest/$o/$r/summary.txt" && ntr=$((ntr + 1))
done <"$W/repos"
[ "$nd" -eq "$NREPO" ] && [ "$ns" -eq "$NREPO" ] && ok
[ "$ntr" -gt 0 ] && ok || bad "premise: no summary.txt reached the 2 KiB cap"
# a chunk file with several chunks and files, so the comparisons mean something
[ "$(cat "$D"/gitingest/*/*/chunks.jsonl | grep -c '')" -gt "$NREPO" ] && ok ||
	bad "premise: too few chunks"

# --- 2. the cache, object by object
runl "$D" --format full,chunks || bad "again: $(head -3 "$W/err")"
case $(summary "$W/out") in
"Pipeline complete: $NREPO total, $NPUSHED cached"*) ok ;;
*) bad "again: $(summary "$W/out")" ;;
esac
O1=$(awk '$3 != "-" { print $1; exit }' "$W/repos") R1=$(awk '$3 != "-" { print $2; exit }' "$W/repos")
p1=$(meta "$D" "$O1" "$R1" summary.txt processedat)
c1=$(meta "$D" "$O1" "$R1" chunks.jsonl processedat)
sleep 1.1       # processedat has whole seconds
runl "$D" --format full,chunks --chunk-size 500 --chunk-overlap 50 || bad "size 500: $(head -3 "$W/err")"
case $(summary "$W/out") in
"Pipeline complete: $NREPO total, 0 cached (0.0%), $NREPO processed"*) ok ;;
*) bad "size 500: $(summary "$W/out")" ;;
esac
# the ones with pushedAt redo chunks.jsonl only
[ "$(grep -c '"objects":"chunks.jsonl"' "$W/out")" -eq "$NPUSHED" ] && ok ||
	bad "size 500: $(grep -c '"objects":"chunks.jsonl"' "$W/out") repos stored chunks.jsonl alone"
[ "$(meta "$D" "$O1" "$R1" summary.txt processedat)" = "$p1" ] && ok || bad "size 500 rewrote summary.txt"
[ "$(meta "$D" "$O1" "$R1" chunks.jsonl processedat)" != "$c1" ] && ok || bad "size 500 kept chunks.jsonl"
check "size 500 stored" "$D" full,chunks 500 50
"$B" digest --repo "$O1/$R1" --format chunks --chunk-size 500 --chunk-overlap 50 \
	"$W/mirror/$O1/$R1.tar.gz" 2>/dev/null | cmp -s - "$D/gitingest/$O1/$R1/chunks.jsonl" && ok ||
	bad "size 500: chunks.jsonl differs from digest --chunk-size 500"
# only the objects asked for count
runl "$D" --format full || bad "full after: $(head -3 "$W/err")"
case $(summary "$W/out") in
"Pipeline complete: $NREPO total, $NPUSHED cached"*) ok ;;
*) bad "full after full,chunks: $(summary "$W/out")" ;;
esac
# a lost sidecar: that repository redoes chunks.jsonl alone
rm "$D/gitingest/$O1/$R1/chunks.jsonl.meta"
runl "$D" --format full,chunks --chunk-size 500 --chunk-overlap 50 --dry-run || bad "dry run: $(head -3 "$W/err")"
case $(summary "$W/out") in
"Dry run complete: $NREPO total, $((NPUSHED - 1)) would be skipped as cached, $((NREPO - NPUSHED + 1)) would be processed"*) ok ;;
*) bad "dry run: $(summary "$W/out")" ;;
esac
[ ! -e "$D/gitingest/$O1/$R1/chunks.jsonl.meta" ] && ok || bad "dry run stored"
runl "$D" --format full,chunks --chunk-size 500 --chunk-overlap 50 || bad "lost sidecar: $(head -3 "$W/err")"
case $(summary "$W/out") in
"Pipeline complete: $NREPO total, $((NPUSHED - 1)) cached"*) ok ;;
*) bad "lost sidecar: $(summary "$W/out")" ;;
esac
grep "\"repo\":\"$O1/$R1\"" "$W/out" | grep -q '"objects":"chunks.jsonl"' && ok ||
	bad "lost sidecar: $(grep "Stored digest.*$O1/$R1\"" "$W/out")"
check "after the lost sidecar" "$D" full,chunks 500 50
# one put that fails (chunks.jsonl's place taken by a directory): that repo
# fails with summary.txt stored; once the place is free, chunks.jsonl alone
mkdir -p "$W/blk/gitingest/$O1/$R1/chunks.jsonl/x"
runl "$W/blk" --format full,chunks || bad "blocked: exit $?: $(head -3 "$W/err")"
case $(summary "$W/out") in
"Pipeline complete: $NREPO total, 0 cached (0.0%), $((NREPO - 1)) processed, 1 failed"*) ok ;;
*) bad "blocked: $(summary "$W/out")" ;;
esac
[ -f "$W/blk/gitingest/$O1/$R1/summary.txt.meta" ] && ok || bad "blocked: summary.txt not stored"
rm -r "$W/blk/gitingest/$O1/$R1/chunks.jsonl"
runl "$W/blk" --format full,chunks || bad "unblocked: $(head -3 "$W/err")"
case $(summary "$W/out") in
"Pipeline complete: $NREPO total, $((NPUSHED - 1)) cached"*) ok ;;
*) bad "unblocked: $(summary "$W/out")" ;;
esac
grep "\"repo\":\"$O1/$R1\"" "$W/out" | grep -q '"objects":"chunks.jsonl"' && ok ||
	bad "unblocked: $(grep "Stored digest.*$O1/$R1\"" "$W/out")"
check "after the failed put" "$W/blk" full,chunks

# --- 3. chunks alone
runl "$W/conly" --format chunks || bad "chunks: $(head -3 "$W/err")"
check "chunks alone" "$W/conly" chunks
[ -z "$(find "$W/conly" -name 'summary.txt*')" ] && ok || bad "chunks alone stored summary.txt"

# --- 4. digest --format chunks --out DIR: the object run stores, a cache hit
printf '[{"owner":"%s","name":"%s","url":"https://github.com/%s/%s","pushedAt":"%s"}]\n' \
	"$O1" "$R1" "$O1" "$R1" "$(awk -v o="$O1" -v r="$R1" '$1 == o && $2 == r { print $3 }' "$W/repos")" >"$W/one.json"
expect_ok "digest --out DIR" "$B" digest --repo "$O1/$R1" --format chunks --out "$W/dg/" "$W/mirror/$O1/$R1.tar.gz"
cmp -s "$W/dg/gitingest/$O1/$R1/chunks.jsonl" "$W/conly/gitingest/$O1/$R1/chunks.jsonl" && ok ||
	bad "digest --out DIR: body differs from run's"
[ "$(meta "$W/dg" "$O1" "$R1" chunks.jsonl generator)" = "$(meta "$W/conly" "$O1" "$R1" chunks.jsonl generator)" ] &&
	ok || bad "digest --out DIR: generator differs from run's"
# digest --out has no pushedAt: given the feed's (as sink.sh does), the
# object is current for run
P1=$(awk -v o="$O1" -v r="$R1" '$1 == o && $2 == r { print $3 }' "$W/repos")
sed -i "s/\"pushedat\": \"\"/\"pushedat\": \"$P1\"/" "$W/dg/gitingest/$O1/$R1/chunks.jsonl.meta"
timeout 60 "$B" run "$W/one.json" --out "$W/dg" $M --state "$W/st" -j 1 --format chunks >"$W/out" 2>&1
case $(summary "$W/out") in "Pipeline complete: 1 total, 1 cached"*) ok ;; *) bad "digest then run: $(summary "$W/out")" ;; esac

# --- 5. usage
expect_fail "run --format xml" 2 "run: --format must be full, chunks or full,chunks: xml" \
	"$B" run "$FEED" --format xml
expect_fail "run --format full,full" 2 "run: --format must be" "$B" run "$FEED" --format full,full
expect_fail "run --format full," 2 "run: --format must be" "$B" run "$FEED" --format full,
expect_fail "run --chunk-size alone" 2 "need --format chunks" "$B" run "$FEED" --chunk-size 500
expect_fail "run overlap >= size" 2 "less than --chunk-size" \
	"$B" run "$FEED" --format chunks --chunk-size 100 --chunk-overlap 100
expect_fail "digest chunks --max-output" 2 "does not apply" \
	"$B" digest . --format chunks --max-output 100

# --- 6. S3 (radosgw, which checks every signature)
if ! "$S3SRV" install >"$W/install.log" 2>&1 ||
	! scripts/setup python3-boto3 >"$W/setup.log" 2>&1; then
	bad "s3-server or boto3 install: $(tail -3 "$W/install.log" "$W/setup.log")"; finish; exit 1
fi
. scripts/hermetic-env.inc
hermetic_env
if ! S3_SERVER_TTL=600 "$S3SRV" start "$W/s3" >"$W/s3.env" 2>"$W/s3.err"; then
	bad "s3-server start: $(tail -5 "$W/s3.err")"; finish; exit 1
fi
. "$W/s3.env"
case $S3_ENDPOINT in http://127.0.0.1:*) ;; *) bad "endpoint not on loopback: $S3_ENDPOINT"; finish; exit 1 ;; esac
export S3_ENDPOINT S3_ACCESS_KEY S3_SECRET_KEY S3_REGION
VENV="R2_ENDPOINT=$S3_ENDPOINT R2_ACCESS_KEY=$S3_ACCESS_KEY R2_SECRET_KEY=$S3_SECRET_KEY"
# s3.py mb BUCKET | cmp BUCKET PREFIX LOCALDIR REPOS FORMATS | get BUCKET KEY FIELD |
#       same BUCKET KEY FILE (exit 0 if the object's body equals FILE)
# (the client from tests/integration/s3client.py)
cat >"$W/s3.py" <<'PY'
import json, os, sys
import s3client
c = s3client.client()
cmd, a = sys.argv[1], sys.argv[2:]
if cmd == "mb":
    c.create_bucket(Bucket=a[0])
elif cmd == "same":
    b = c.get_object(Bucket=a[0], Key=a[1])["Body"].read()
    sys.exit(0 if b == open(a[2], "rb").read() else 1)
elif cmd == "get":
    h = c.head_object(Bucket=a[0], Key=a[1])
    print(h["ContentType"] if a[2] == "content-type" else h["Metadata"].get(a[2], ""))
elif cmd == "cmp":
    bucket, prefix, local, repos, formats = a
    want = {"full": "summary.txt", "chunks": "chunks.jsonl"}
    names = [want[f] for f in formats.split(",")]
    keys = {o["Key"] for p in c.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for o in p.get("Contents", [])}
    n = 0
    for line in open(repos):
        o, r, _ = line.split()
        for name in ("summary.txt", "chunks.jsonl"):
            key = "%sgitingest/%s/%s/%s" % (prefix, o, r, name)
            if name not in names:
                if key in keys: print("FAIL %s: stored, not asked for" % key)
                continue
            if key not in keys:
                print("FAIL %s: missing" % key); continue
            keys.discard(key)
            obj = c.get_object(Bucket=bucket, Key=key)
            body = obj["Body"].read()
            lp = os.path.join(local, "gitingest", o, r, name)
            lm = json.load(open(lp + ".meta"))
            m = obj["Metadata"]
            why = []
            if body != open(lp, "rb").read(): why.append("body differs from the local run's")
            if obj["ContentType"] != lm["content-type"]: why.append("content-type %r" % obj["ContentType"])
            if set(m) != {"pushedat", "url", "processedat", "commit", "generator"}: why.append("metadata %s" % sorted(m))
            for f in ("pushedat", "url", "commit", "generator"):
                if m.get(f) != lm[f]: why.append("%s %r, local %r" % (f, m.get(f), lm[f]))
            if why: print("FAIL %s: %s" % (key, "; ".join(why)))
            n += 1
    for k in sorted(keys): print("FAIL %s: unexpected" % k)
    print("%d compared" % n)
PY
s3py() { PYTHONPATH=$PWD/tests/integration timeout 120 "$PY" "$W/s3.py" "$@"; }
s3py mb chunks || { bad "create bucket"; finish; exit 1; }
# s3cmp NAME PREFIX LOCALDIR FORMATS
s3cmp() {
	s3py cmp chunks "$2" "$3" "$W/repos" "$4" >"$W/cmp" 2>&1
	want=$NREPO; [ "$4" = full,chunks ] && want=$((NREPO * 2))
	if grep -q FAIL "$W/cmp" || ! grep -qx "$want compared" "$W/cmp"; then
		bad "$1: $(head -5 "$W/cmp")"; else ok; fi
}
runs3() { pre=$1; shift; timeout 180 env $VENV "$B" run "$FEED" --out "s3://chunks/$pre" $M --state "$W/st" -j 2 \
	--max-output 2048 --format full,chunks "$@" >"$W/out" 2>"$W/err"; }
runs3 p || bad "s3 run: $(head -3 "$W/err")"
case $(summary "$W/out") in
"Pipeline complete: $NREPO total, 0 cached (0.0%), $NREPO processed, 0 failed"*) ok ;;
*) bad "s3 run: $(summary "$W/out") $(head -3 "$W/err")" ;;
esac
# the same bodies and metadata as the local run with the same settings (1.)
s3cmp "s3 objects" p/ "$W/both0" full,chunks
runs3 p || bad "s3 again: $(head -3 "$W/err")"
case $(summary "$W/out") in
"Pipeline complete: $NREPO total, $NPUSHED cached"*) ok ;;
*) bad "s3 again: $(summary "$W/out")" ;;
esac
K1=p/gitingest/$O1/$R1
ps=$(s3py get chunks "$K1/summary.txt" processedat)
cs=$(s3py get chunks "$K1/chunks.jsonl" processedat)
sleep 1.1
runs3 p --chunk-size 500 --chunk-overlap 50 || bad "s3 size 500: $(head -3 "$W/err")"
[ "$(grep -c '"objects":"chunks.jsonl"' "$W/out")" -eq "$NPUSHED" ] && ok ||
	bad "s3 size 500: $(summary "$W/out")"
[ "$(s3py get chunks "$K1/summary.txt" processedat)" = "$ps" ] && ok || bad "s3 size 500 rewrote summary.txt"
[ "$(s3py get chunks "$K1/chunks.jsonl" processedat)" != "$cs" ] && ok || bad "s3 size 500 kept chunks.jsonl"
[ "$(s3py get chunks "$K1/chunks.jsonl" content-type)" = application/jsonl ] && ok || bad "s3 content type"
s3cmp "s3 after size 500" p/ "$D" full,chunks
# digest --format chunks --out s3://: the object run stores
expect_ok "digest --out s3" env $VENV "$B" digest --repo "$O1/$R1" --format chunks \
	--out "s3://chunks/d" "$W/mirror/$O1/$R1.tar.gz"
[ "$(s3py get chunks "d/gitingest/$O1/$R1/chunks.jsonl" generator)" = "$(meta "$W/conly" "$O1" "$R1" chunks.jsonl generator)" ] &&
	ok || bad "digest --out s3: generator"
s3py same chunks "d/gitingest/$O1/$R1/chunks.jsonl" "$W/conly/gitingest/$O1/$R1/chunks.jsonl" &&
	ok || bad "digest --out s3: body"

finish
