#!/bin/sh
# fleet.sh BINARY - `repodigest run` end to end on loopback with real peers: a
# feed of 200 synthetic repos (fixture tarballs under other names, scripts/
# make-mirror) served by nginx over HTTPS (test CA, names pinned with --resolve)
# as a GitHub mirror (--archive-url), stored in Ceph radosgw (--out s3://...).
# Debian's boto3 reads all 200 objects back: body equal to the same feed run
# into a local --out DIR from a file:// copy of the mirror, Content-Type,
# metadata pushedat = the feed's pushedAt, url, commit (= the local run's),
# generator; the downloads reuse one kept-alive connection per worker. A
# second run is 200 cache hits and sends no request at all to
# the mirror (nginx's access log does not grow).
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
. tests/integration/nginx.inc
. tests/integration/s3srv.inc
trap 's3srv_stop; cleanup' EXIT
"$S3SRV" install >"$W/install.log" 2>&1 || { bad "s3-server install: $(tail -3 "$W/install.log")"; finish; exit 1; }
PY=/usr/bin/python3     # Debian's python3, where python3-boto3 lives
# nginx first: radosgw, slow to start, starts in the background afterwards
# (while the mirror is made), so no failure here leaves its start running
NGINX_TTL=600 nginx_up python3-boto3

# a hermetic environment: no S3 configuration from the caller, loopback only
. scripts/hermetic-env.inc
hermetic_env
S3_SERVER_TTL=600 "$S3SRV" start "$W/s3" >"$W/s3.env" 2>"$W/s3.err" &
s3pid=$!
LOG=$NGINX_DIR/logs/mirror.log

# the feed: 200 repos over 9 owners, mixed case, every one with a pushedAt
python3 - "$W/repos.json" <<'PY'
import json, sys
recs = []
for i in range(200):
    o, r = "Fleet%d" % (i % 9), "repo-%03d" % i
    recs.append({"owner": o, "name": r, "url": "https://github.com/%s/%s" % (o, r),
                 "pushedAt": "2025-%02d-%02dT%02d:%02d:00Z" % (1 + i % 12, 1 + i % 28, i % 24, i % 60)})
json.dump(recs, open(sys.argv[1], "w"), indent=2)
PY
scripts/make-mirror "$W/repos.json" "$NGINX_WWW/mirror" >"$W/mm.log" 2>&1 ||
	{ bad "make-mirror: $(tail -3 "$W/mm.log")"; wait $s3pid; finish; exit 1; }
n=$(find "$NGINX_WWW/mirror" -name '*.tar.gz' ! -path '*/.fixtures/*' | wc -l)
[ "$n" -eq 200 ] && ok || bad "mirror holds $n tarballs, want 200"

if ! wait $s3pid; then bad "s3-server start: $(tail -5 "$W/s3.err")"; finish; exit 1; fi
. "$W/s3.env"
case $S3_ENDPOINT in http://127.0.0.1:*) ;; *) bad "endpoint not on loopback: $S3_ENDPOINT"; finish; exit 1 ;; esac
export R2_ENDPOINT="$S3_ENDPOINT" R2_ACCESS_KEY="$S3_ACCESS_KEY" R2_SECRET_KEY="$S3_SECRET_KEY"
export REPODIGEST_S3_REGION="$S3_REGION"

cat >"$W/s3.py" <<'PY'
import json, os, re, sys
import s3client

c = s3client.client()
cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "mb":
    c.create_bucket(Bucket=args[0])
elif cmd == "verify":           # verify BUCKET PREFIX FEED LOCALDIR
    bucket, prefix, feed, local = args
    recs = json.load(open(feed))
    keys = []
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        keys += [o["Key"] for o in page.get("Contents", [])]
    want = sorted("%s/gitingest/%s/%s/summary.txt" % (prefix, r["owner"], r["name"]) for r in recs)
    if sorted(keys) != want:
        print("FAIL keys: %d stored, %d wanted; extra %s, missing %s" % (len(keys), len(want),
              sorted(set(keys) - set(want))[:3], sorted(set(want) - set(keys))[:3]))
    fails = {}
    def check(name, cond, why):
        if not cond:
            fails.setdefault(name, why)
    for r in recs:
        key = "%s/gitingest/%s/%s/summary.txt" % (prefix, r["owner"], r["name"])
        o = c.get_object(Bucket=bucket, Key=key)
        body, m = o["Body"].read(), o["Metadata"]
        d = os.path.join(local, "gitingest", r["owner"], r["name"])
        ref = open(os.path.join(d, "summary.txt"), "rb").read()
        lm = json.load(open(os.path.join(d, "summary.txt.meta")))
        check("body", body == ref, "%s: %d bytes, local %d" % (key, len(body), len(ref)))
        check("content-type", o["ContentType"] == "text/plain", "%s: %r" % (key, o["ContentType"]))
        check("pushedat", m.get("pushedat") == r["pushedAt"], "%s: %r, feed %r" % (key, m.get("pushedat"), r["pushedAt"]))
        check("url", m.get("url") == r["url"], "%s: %r" % (key, m.get("url")))
        check("commit", re.fullmatch("[0-9a-f]{40}", m.get("commit", "")) is not None and
              m.get("commit") == lm.get("commit"), "%s: %r, local %r" % (key, m.get("commit"), lm.get("commit")))
        check("generator", m.get("generator", "").startswith("repodigest/") and
              m.get("generator") == lm.get("generator"), "%s: %r" % (key, m.get("generator")))
        check("processedat", re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", m.get("processedat", "")) is not None,
              "%s: %r" % (key, m.get("processedat")))
        check("repository line", body.startswith(("Repository: %s/%s\n" % (r["owner"].lower(), r["name"].lower())).encode()),
              "%s: %r" % (key, body[:60]))
    for name in ("body", "content-type", "pushedat", "url", "commit", "generator", "processedat", "repository line"):
        print(("FAIL %s: %s" % (name, fails[name])) if name in fails else "ok   %s" % name)
    print("objects %d" % len(keys))
PY
s3py() { PYTHONPATH=$PWD/tests/integration timeout 120 "$PY" "$W/s3.py" "$@"; }
BK=fleet PFX=run1
s3py mb "$BK" >"$W/mb.log" 2>&1 || { bad "create bucket: $(tail -3 "$W/mb.log")"; finish; exit 1; }

summary() { grep -o 'Pipeline complete: [^"]*' "$1" | tail -1; }
NET="--resolve mirror.test.invalid:$NGINX_PORT:127.0.0.1 --cacert $NGINX_CA"
HTTPS="--archive-url https://mirror.test.invalid:$NGINX_PORT/mirror/{owner}/{repo}.tar.gz"
FILE="--archive-url file://$NGINX_WWW/mirror/{owner}/{repo}.tar.gz"

# the reference: the same feed into a local directory, from the file:// mirror
timeout 120 "$B" run "$W/repos.json" --out "$W/local" $FILE -j 4 --state "$W/s0.json" >"$W/local.log" 2>&1
rc=$?
[ $rc -eq 0 ] && ok || bad "local run: exit $rc: $(tail -3 "$W/local.log")"
summary "$W/local.log" | grep -q '^Pipeline complete: 200 total, 0 cached (0.0%), 200 processed, 0 failed' &&
	ok || bad "local run: $(summary "$W/local.log")"

# the fleet: HTTPS mirror -> radosgw
timeout 180 "$B" run "$W/repos.json" --out "s3://$BK/$PFX" $HTTPS $NET -j 8 --timeout 60 \
	--state "$W/s1.json" --report "$W/r1.json" >"$W/run1.log" 2>"$W/run1.err"
rc=$?
[ $rc -eq 0 ] && ok || bad "S3 run: exit $rc: $(head -3 "$W/run1.err") $(grep '"level":"error"' "$W/run1.log" | head -3)"
summary "$W/run1.log" | grep -q '^Pipeline complete: 200 total, 0 cached (0.0%), 200 processed, 0 failed' &&
	ok || bad "S3 run: $(summary "$W/run1.log")"
g=$(grep -c ' GET /mirror/[^ ]* 200 ' "$LOG")
[ "$g" -eq 200 ] && ok || bad "mirror served $g GETs, want 200"
# keep-alive: each of the 8 workers reuses its connection from repo to repo
c=$(awk '{ print $5 }' "$LOG" | sort -u | wc -l)
[ "$c" -le 16 ] && ok || bad "200 downloads over $c connections, want at most 16 (one kept alive per worker)"
grep -c '"message":"Progress"' "$W/run1.log" | grep -qx 2 && ok || bad "progress lines: $(grep -c '"message":"Progress"' "$W/run1.log"), want 2"

s3py verify "$BK" "$PFX" "$W/repos.json" "$W/local" >"$W/verify" 2>&1 || bad "boto3: $(tail -3 "$W/verify")"
grep -qx 'objects 200' "$W/verify" && ok || bad "boto3 listed: $(grep objects "$W/verify")"
c=0
while read -r st rest; do
	case $st in ok) ok; c=$((c + 1)) ;; FAIL) bad "S3 object $rest"; c=$((c + 1)) ;; esac
done <"$W/verify"
[ $c -eq 8 ] && ok || bad "boto3 checks: $c results, want 8: $(head -3 "$W/verify")"

# second run: all cache hits (HEAD against radosgw), nothing asked of the mirror
before=$(grep -c '' "$LOG")
timeout 120 "$B" run "$W/repos.json" --out "s3://$BK/$PFX" $HTTPS $NET -j 8 --timeout 60 \
	--state "$W/s2.json" --report "$W/r2.json" >"$W/run2.log" 2>"$W/run2.err"
rc=$?
[ $rc -eq 0 ] && ok || bad "cached run: exit $rc: $(head -3 "$W/run2.err")"
summary "$W/run2.log" | grep -q '^Pipeline complete: 200 total, 200 cached (100.0%), 0 processed, 0 failed' &&
	ok || bad "cached run: $(summary "$W/run2.log")"
grep -c '"message":"Cache hit, skipping"' "$W/run2.log" | grep -qx 200 && ok || bad "cache hit lines: $(grep -c 'Cache hit' "$W/run2.log")"
# nginx writes a request's line when it ends: give any late one a moment
sleep 1
after=$(grep -c '' "$LOG")
[ "$after" -eq "$before" ] && ok || bad "cached run sent $((after - before)) requests to the mirror: $(tail -n +$((before + 1)) "$LOG" | head -3)"
python3 - "$W/r2.json" <<'PY' && ok || bad "cached run report: $(head -c 300 "$W/r2.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["cached"] == 200 and r["processed"] == 0 and r["failed"] == 0, r
assert len(r["repos"]) == 200 and all(x["status"] == "cached" for x in r["repos"]), r["repos"][:2]
PY
# a changed pushedAt is a miss for that repo only
python3 - "$W/repos.json" "$W/repos2.json" <<'PY'
import json, sys
recs = json.load(open(sys.argv[1]))
recs[7]["pushedAt"] = "2026-01-01T00:00:00Z"
json.dump(recs, open(sys.argv[2], "w"))
PY
timeout 120 "$B" run "$W/repos2.json" --out "s3://$BK/$PFX" $HTTPS $NET -j 8 --timeout 60 \
	--state "$W/s3.json" >"$W/run3.log" 2>"$W/run3.err"
summary "$W/run3.log" | grep -q '^Pipeline complete: 200 total, 199 cached (99.5%), 1 processed, 0 failed' &&
	ok || bad "one changed pushedAt: $(summary "$W/run3.log")"
a3=$(grep -c '' "$LOG")
[ $((a3 - after)) -eq 1 ] && tail -1 "$LOG" | grep -q ' GET /mirror/Fleet7/repo-007.tar.gz 200 ' && ok ||
	bad "one changed pushedAt: mirror saw $(tail -n +$((after + 1)) "$LOG" | head -3)"
finish
