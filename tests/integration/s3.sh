#!/bin/sh
# s3.sh BINARY - `repodigest digest --out s3://BUCKET[/PREFIX]` against a real,
# signature-checking S3 server (Ceph radosgw on 127.0.0.1, ../shared/scripts/
# s3-server), musl and ASan builds. Debian's boto3 is the independent client:
# it makes the buckets and reads back every object (body byte for byte equal to
# `digest --format full`, Content-Type, the five metadata fields).
# Checks: the R2_* and AWS_* variable sets (and REPODIGEST_S3_* precedence,
# flag overrides), prefixes (none, needing URI encoding, extra slashes), atomic
# overwrite, clock-skew correction, and failures that print one line, exit 1
# and store nothing: wrong secret (SignatureDoesNotMatch), missing bucket
# (NoSuchBucket), endpoint down (connection refused), unsafe --repo names.
# Over HTTPS (a test CA and server certificate made here with openssl, radosgw
# serving TLS too, playing AWS: rgw_dns_name s3.us-east-1.amazonaws.com set
# through CEPH_ARGS, the names pinned to 127.0.0.1 by --resolve): digest and a
# two-repo `run` (then its cache hits) with --cacert, read back by boto3
# verifying the same CA; without --cacert the untrusted certificate is one
# clear line, exit 1, nothing stored; a name not in the certificate likewise.
# Addressing: a DNS-label bucket goes virtual-hosted (BUCKET.s3.REGION.
# amazonaws.com/KEY), a dotted one path-style, REPODIGEST_S3_ADDRESSING=path
# forces path-style; radosgw's access log shows which form each request took.
# Run reports stored in S3 and merged from there. Through a proxy (Debian's
# tinyproxy): absolute-form requests over http, a CONNECT tunnel over https.
# Keep-alive: the bench driver itests/s3bench PUTs five objects over one
# connection.
# Finally: no secret, session token or GITHUB_TOKEN in anything repodigest
# printed. One server for the run (TTL 900 s), stopped by the EXIT trap.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
SHARED=${SHARED:-../shared}
. tests/integration/s3srv.inc
PIDS=
cleanup() {
	s3srv_stop
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

BUILD=$(dirname "$BIN")
BINS="$BIN $BUILD/asan/repodigest"
for b in $BINS; do [ -x "$b" ] || { bad "missing $b (make test-build)"; finish; exit 1; }; done
"$S3SRV" install >"$W/install.log" 2>&1 || { bad "s3-server install: $(tail -3 "$W/install.log")"; finish; exit 1; }
scripts/setup python3-boto3 openssl tinyproxy >"$W/setup.log" 2>&1 || { bad "setup python3-boto3: $(tail -3 "$W/setup.log")"; finish; exit 1; }
PY=/usr/bin/python3     # Debian's python3, where python3-boto3 lives

# a hermetic environment: no S3 configuration from the caller, loopback only
. scripts/hermetic-env.inc
hermetic_env
rnd() { head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
GITHUB_TOKEN="ghp_testtoken_$(rnd)"; export GITHUB_TOKEN
WRONG_SECRET="wrongsecret$(rnd)"
SESSION_TOKEN="sessiontoken$(rnd)"

# a test CA and a server certificate for the AWS names used below and, for
# boto3, 127.0.0.1 (P-256 keys: quick to make; BearSSL and OpenSSL both take them)
VH=s3.us-east-1.amazonaws.com
mkdir -p "$W/tls"
if ! { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$W/tls/ca.key" -out "$W/tls/ca.pem" -subj "/CN=repodigest s3.sh test CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$W/tls/srv.key" -out "$W/tls/srv.csr" -subj "/CN=$VH" &&
	printf 'subjectAltName=DNS:%s,DNS:*.%s,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		"$VH" "$VH" >"$W/tls/ext" &&
	openssl x509 -req -in "$W/tls/srv.csr" -CA "$W/tls/ca.pem" -CAkey "$W/tls/ca.key" -CAcreateserial \
	-days 2 -extfile "$W/tls/ext" -out "$W/tls/srv.pem"; } >"$W/tls/log" 2>&1; then
	bad "openssl: $(tail -3 "$W/tls/log")"; finish; exit 1
fi
CA=$W/tls/ca.pem

# rgw_dns_name (s3-server's config says 127.0.0.1) through CEPH_ARGS, which
# every ceph program reads as if it were on its command line
if ! CEPH_ARGS="--rgw_dns_name=$VH" S3_TLS_CERT="$W/tls/srv.pem" S3_TLS_KEY="$W/tls/srv.key" \
	S3_SERVER_TTL=900 "$S3SRV" start "$W/s3" >"$W/s3.env" 2>"$W/s3.err"; then
	bad "s3-server start: $(tail -5 "$W/s3.err")"; finish; exit 1
fi
. "$W/s3.env"
case $S3_ENDPOINT in http://127.0.0.1:*) ;; *) bad "endpoint not on loopback: $S3_ENDPOINT"; finish; exit 1 ;; esac
case ${S3_ENDPOINT_HTTPS:-} in https://127.0.0.1:*) ;; *) bad "no HTTPS endpoint on loopback: ${S3_ENDPOINT_HTTPS:-}"; finish; exit 1 ;; esac
TLS_PORT=${S3_ENDPOINT_HTTPS##*:}
RGWLOG=$W/s3/log/client.rgw.log

# boto3 helper: s3.py CMD ARGS (the client from tests/integration/s3client.py:
# server from S3_* in the environment; with S3PY_HTTPS=1 over HTTPS, verifying
# the certificate with the test CA S3PY_CA)
#   mb BUCKET...                          create buckets
#   verify BUCKET KEY REF COMMIT O/R TOL [PUSHEDAT]
#                                         one "ok NAME" / "FAIL NAME: why" line per check
#   empty BUCKET                          exit 0 if the bucket holds no object
#   same BUCKET KEY FILE                  exit 0 if the object's body equals FILE
#   nobucket BUCKET                       exit 0 if the bucket does not exist
cat >"$W/s3.py" <<'PY'
import datetime, os, re, sys
import botocore.exceptions
import s3client

c = s3client.client()

def code(e):
    return e.response.get("Error", {}).get("Code", "?")

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "mb":
    for b in args:
        c.create_bucket(Bucket=b)
elif cmd == "empty":
    keys = [o["Key"] for o in c.list_objects_v2(Bucket=args[0]).get("Contents", [])]
    if keys:
        print("stored:", " ".join(keys))
        sys.exit(1)
elif cmd == "same":
    bucket, key, ref = args
    sys.exit(0 if c.get_object(Bucket=bucket, Key=key)["Body"].read() == open(ref, "rb").read() else 1)
elif cmd == "nobucket":
    try:
        c.head_bucket(Bucket=args[0])
    except botocore.exceptions.ClientError as e:
        sys.exit(0 if code(e) in ("404", "NoSuchBucket") else 1)
    print("bucket exists:", args[0])
    sys.exit(1)
elif cmd == "verify":
    bucket, key, ref, commit, repo, tol = args[:6]
    pushedat = args[6] if len(args) > 6 else ""
    def check(name, cond, why=""):
        print(("ok   %s" % name) if cond else ("FAIL %s: %s" % (name, why)))
    try:
        h = c.head_object(Bucket=bucket, Key=key)
        body = c.get_object(Bucket=bucket, Key=key)["Body"].read()
    except botocore.exceptions.ClientError as e:
        check("object s3://%s/%s exists" % (bucket, key), False, code(e))
        sys.exit(0)
    want = open(ref, "rb").read()
    if body == want:
        check("body", True)
    else:
        i = next((i for i, (a, b) in enumerate(zip(body, want)) if a != b), min(len(body), len(want)))
        check("body", False, "%d bytes, want %d, first difference at %d" % (len(body), len(want), i))
    check("content-type", h.get("ContentType") == "text/plain", repr(h.get("ContentType")))
    m = h["Metadata"]
    names = {"pushedat", "url", "processedat", "commit", "generator"}
    check("metadata names", set(m) == names, "got %s" % sorted(m))
    check("pushedat", m.get("pushedat") == pushedat, repr(m.get("pushedat")))
    check("url", m.get("url") == "https://github.com/" + repo, repr(m.get("url")))
    p = m.get("processedat", "")
    ok = re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", p) is not None
    if ok:
        t = datetime.datetime.strptime(p[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
        off = abs((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds())
        ok = off <= float(tol)
    check("processedat", ok, repr(p))
    check("commit", m.get("commit") == commit, repr(m.get("commit")))
    check("generator", m.get("generator", "").startswith("repodigest/"), repr(m.get("generator")))
elif cmd == "runreport":
    # runreport BUCKET KEY SHARD TOTAL: a run report as `run --report` writes it
    import json
    bucket, key, shard, total = args
    o = c.get_object(Bucket=bucket, Key=key)
    r = json.loads(o["Body"].read())
    why = []
    if o.get("ContentType") != "application/json": why.append("content-type %r" % o.get("ContentType"))
    if r.get("format") != "repodigest-run-report/1": why.append("format %r" % r.get("format"))
    if r.get("shard") != shard: why.append("shard %r" % r.get("shard"))
    if r.get("total") != int(total) or len(r.get("repos", [])) != int(total): why.append("total %r" % r.get("total"))
    if r.get("failed") != 0: why.append("failed %r" % r.get("failed"))
    print("ok" if not why else "FAIL " + "; ".join(why))
else:
    sys.exit("s3.py: unknown command " + cmd)
PY
s3py() { PYTHONPATH=$PWD/tests/integration timeout 60 "$PY" "$W/s3.py" "$@"; }

# fixtures and their commit ids ("NAME SHA" lines)
bash "$SHARED/testdata/gitingest/make-fixtures.sh" --tar "$W/fx" >"$W/fx.ids" || { bad "make-fixtures"; finish; exit 1; }
sha() { awk -v n="$1" '$1 == n { print $2 }' "$W/fx.ids"; }
SHA_BASIC=$(sha basic) SHA_MIXED=$(sha mixed)
echo "$SHA_BASIC" | grep -q '^[0-9a-f]\{40\}$' && echo "$SHA_MIXED" | grep -q '^[0-9a-f]\{40\}$' ||
	{ bad "fixture commit ids: $(cat "$W/fx.ids")"; finish; exit 1; }

# a TCP port on 127.0.0.1 that nothing listens on
DOWN=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# Everything repodigest prints is kept under $W/cap for the secrets check.
mkdir -p "$W/cap"
nrun=0
keep() { nrun=$((nrun + 1)); cp "$W/out" "$W/cap/$nrun.out"; cp "$W/err" "$W/cap/$nrun.err"; }
# put NAME CMD... : CMD exits 0 (expect_ok), output kept
put() { expect_ok "$@"; r=$?; keep; return $r; }
# putfail NAME RC PATTERN CMD... : CMD exits RC within 30 s with exactly one
# line on stderr matching PATTERN
putfail() {
	n=$1 want=$2 pat=$3; shift 3
	timeout 30 "$@" >"$W/out" 2>"$W/err"
	rc=$?; keep
	if [ "$rc" -ne "$want" ]; then bad "$n: exit $rc, want $want: $(head -3 "$W/err")"; return 1; fi
	if ! grep -q -- "$pat" "$W/err"; then bad "$n: stderr lacks '$pat': $(head -3 "$W/err")"; return 1; fi
	if [ "$(grep -c '' "$W/err")" -ne 1 ]; then bad "$n: not one line: $(head -5 "$W/err")"; return 1; fi
	ok
}
# verify TAG BUCKET KEY REF COMMIT OWNER/REPO [TOLERANCE_S [PUSHEDAT]]: boto3 reads the object back
verify() {
	s3py verify "$2" "$3" "$4" "$5" "$6" "${7:-900}" "${8:-}" >"$W/verify" 2>&1 || { bad "$1: boto3: $(tail -3 "$W/verify")"; return; }
	[ -s "$W/verify" ] || { bad "$1: boto3 said nothing"; return; }
	while read -r st rest; do
		case $st in ok) ok ;; *) bad "$1: $rest" ;; esac
	done <"$W/verify"
}
# stored_nothing TAG BUCKET: the bucket is still empty
stored_nothing() {
	if s3py empty "$2" >"$W/empty" 2>&1; then ok; else bad "$1: $(head -3 "$W/empty")"; fi
}

K=gitingest/RepoDigest/basic/summary.txt
ODD="sp ace/+p=e(1)!*'~ሴ.x"
for B in $BINS; do
	case $B in */asan/*) t=asan ;; *) t=musl ;; esac
	tag=$t/$(basename "$B")
	ok_bk=rd-$t-ok err_bk=rd-$t-err
	s3py mb "$ok_bk" "$err_bk" >"$W/mb" 2>&1 || { bad "$tag: create buckets: $(tail -3 "$W/mb")"; continue; }

	# the references: the same source as --format full on stdout
	"$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic --format full >"$W/cap/$t.basic.ref" 2>"$W/cap/$t.basic.ref.err" ||
		bad "$tag: reference digest (basic)"
	"$B" digest -q "$W/fx/mixed.tar.gz" --repo RepoDigest/basic --format full >"$W/cap/$t.mixed-as-basic.ref" 2>"$W/cap/$t.mixed.ref.err" ||
		bad "$tag: reference digest (mixed)"
	"$B" digest -q "$W/fx/mixed.tar.gz" --repo RepoDigest/mixed --format full >"$W/cap/$t.mixed.ref" 2>>"$W/cap/$t.mixed.ref.err" ||
		bad "$tag: reference digest (mixed)"

	# R2_* variables, as the seed system's users write them; no region: "auto"; no prefix
	put "$tag R2_* env" env R2_ENDPOINT="$S3_ENDPOINT" R2_ACCESS_KEY="$S3_ACCESS_KEY" R2_SECRET_KEY="$S3_SECRET_KEY" \
		"$B" digest "$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$ok_bk" &&
		verify "$tag R2_*" "$ok_bk" "$K" "$W/cap/$t.basic.ref" "$SHA_BASIC" RepoDigest/basic

	# AWS_* variables (AWS_ENDPOINT_URL), region from AWS_REGION, a prefix with a trailing '/'
	put "$tag AWS_* env" env AWS_ENDPOINT_URL="$S3_ENDPOINT" AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" \
		AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" AWS_REGION="$S3_REGION" \
		"$B" digest "$W/fx/mixed.tar.gz" --repo RepoDigest/mixed --out "s3://$ok_bk/pre/fix/" &&
		verify "$tag AWS_*" "$ok_bk" "pre/fix/gitingest/RepoDigest/mixed/summary.txt" "$W/cap/$t.mixed.ref" "$SHA_MIXED" RepoDigest/mixed

	# a prefix whose bytes need SigV4 URI encoding (space, + = ( ) ! * ' ~, UTF-8),
	# and one with leading, trailing and inner '//' (inner ones stay: S3 keeps them)
	put "$tag encoded prefix" env R2_ENDPOINT="$S3_ENDPOINT" R2_ACCESS_KEY="$S3_ACCESS_KEY" R2_SECRET_KEY="$S3_SECRET_KEY" \
		"$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$ok_bk/$ODD" &&
		verify "$tag encoded prefix" "$ok_bk" "$ODD/$K" "$W/cap/$t.basic.ref" "$SHA_BASIC" RepoDigest/basic
	put "$tag slashes in prefix" env R2_ENDPOINT="$S3_ENDPOINT" R2_ACCESS_KEY="$S3_ACCESS_KEY" R2_SECRET_KEY="$S3_SECRET_KEY" \
		"$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$ok_bk//sl//ash//" &&
		verify "$tag slashes in prefix" "$ok_bk" "sl//ash/$K" "$W/cap/$t.basic.ref" "$SHA_BASIC" RepoDigest/basic

	# AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL (down), AWS_DEFAULT_REGION
	put "$tag AWS_ENDPOINT_URL_S3" env AWS_ENDPOINT_URL_S3="$S3_ENDPOINT" AWS_ENDPOINT_URL="http://127.0.0.1:$DOWN" \
		AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" AWS_DEFAULT_REGION="$S3_REGION" \
		"$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$ok_bk/aws-s3" &&
		verify "$tag AWS_ENDPOINT_URL_S3" "$ok_bk" "aws-s3/$K" "$W/cap/$t.basic.ref" "$SHA_BASIC" RepoDigest/basic

	# REPODIGEST_S3_* beat R2_* (wrong secret, endpoint down) and AWS_*
	put "$tag REPODIGEST_S3_* precedence" env REPODIGEST_S3_ENDPOINT="$S3_ENDPOINT" REPODIGEST_S3_ACCESS_KEY="$S3_ACCESS_KEY" \
		REPODIGEST_S3_SECRET_KEY="$S3_SECRET_KEY" REPODIGEST_S3_REGION="$S3_REGION" \
		R2_ENDPOINT="http://127.0.0.1:$DOWN" R2_ACCESS_KEY="$S3_ACCESS_KEY" R2_SECRET_KEY="$WRONG_SECRET" \
		AWS_SECRET_ACCESS_KEY="$WRONG_SECRET" \
		"$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$ok_bk/prec" &&
		verify "$tag REPODIGEST_S3_*" "$ok_bk" "prec/$K" "$W/cap/$t.basic.ref" "$SHA_BASIC" RepoDigest/basic

	# R2_* beat AWS_* (wrong secret, endpoint down)
	put "$tag R2_* over AWS_*" env R2_ENDPOINT="$S3_ENDPOINT" R2_ACCESS_KEY="$S3_ACCESS_KEY" R2_SECRET_KEY="$S3_SECRET_KEY" \
		AWS_ENDPOINT_URL="http://127.0.0.1:$DOWN" AWS_ACCESS_KEY_ID="WRONGKEY" AWS_SECRET_ACCESS_KEY="$WRONG_SECRET" \
		"$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$ok_bk/r2-over-aws" &&
		verify "$tag R2_* over AWS_*" "$ok_bk" "r2-over-aws/$K" "$W/cap/$t.basic.ref" "$SHA_BASIC" RepoDigest/basic

	# flags override the environment: --s3-endpoint over a down endpoint, --s3-region
	put "$tag --s3-endpoint/--s3-region" env REPODIGEST_S3_ENDPOINT="http://127.0.0.1:$DOWN" \
		REPODIGEST_S3_ACCESS_KEY="$S3_ACCESS_KEY" REPODIGEST_S3_SECRET_KEY="$S3_SECRET_KEY" REPODIGEST_S3_REGION=bogus-region-1 \
		"$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$ok_bk/flags" \
		--s3-endpoint "$S3_ENDPOINT" --s3-region "$S3_REGION" &&
		verify "$tag flags" "$ok_bk" "flags/$K" "$W/cap/$t.basic.ref" "$SHA_BASIC" RepoDigest/basic

	# overwrite: another source at the same key replaces the object whole
	put "$tag overwrite" env R2_ENDPOINT="$S3_ENDPOINT" R2_ACCESS_KEY="$S3_ACCESS_KEY" R2_SECRET_KEY="$S3_SECRET_KEY" \
		"$B" digest -q "$W/fx/mixed.tar.gz" --repo RepoDigest/basic --out "s3://$ok_bk" &&
		verify "$tag overwrite" "$ok_bk" "$K" "$W/cap/$t.mixed-as-basic.ref" "$SHA_MIXED" RepoDigest/basic

	# clock skew: our clock an hour behind, corrected once from the server's Date
	put "$tag clock skew" env REPODIGEST_TEST_CLOCK_SKEW=-3600 \
		R2_ENDPOINT="$S3_ENDPOINT" R2_ACCESS_KEY="$S3_ACCESS_KEY" R2_SECRET_KEY="$S3_SECRET_KEY" \
		"$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$ok_bk/skew" &&
		{ grep -qi clock "$W/err" && ok || bad "$tag clock skew: stderr does not mention the correction: $(head -3 "$W/err")"; } &&
		verify "$tag clock skew" "$ok_bk" "skew/$K" "$W/cap/$t.basic.ref" "$SHA_BASIC" RepoDigest/basic

	# failures: one line, exit 1, nothing stored (the error bucket stays empty)
	putfail "$tag wrong secret" 1 SignatureDoesNotMatch env R2_ENDPOINT="$S3_ENDPOINT" R2_ACCESS_KEY="$S3_ACCESS_KEY" \
		R2_SECRET_KEY="$WRONG_SECRET" "$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$err_bk"
	stored_nothing "$tag wrong secret stored something" "$err_bk"
	nb=rd-$t-missing-$(rnd)
	putfail "$tag missing bucket" 1 NoSuchBucket env R2_ENDPOINT="$S3_ENDPOINT" R2_ACCESS_KEY="$S3_ACCESS_KEY" \
		R2_SECRET_KEY="$S3_SECRET_KEY" "$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$nb"
	if s3py nobucket "$nb" >"$W/nb" 2>&1; then ok; else bad "$tag missing bucket: $(head -3 "$W/nb")"; fi
	s=$(date +%s)
	putfail "$tag endpoint down" 1 "[Cc]onnection refused" env R2_ENDPOINT="http://127.0.0.1:$DOWN" R2_ACCESS_KEY="$S3_ACCESS_KEY" \
		R2_SECRET_KEY="$S3_SECRET_KEY" AWS_SESSION_TOKEN="$SESSION_TOKEN" "$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$err_bk"
	[ $(( $(date +%s) - s )) -le 20 ] && ok || bad "$tag endpoint down: took too long"
	stored_nothing "$tag endpoint down stored something" "$err_bk"
	for r in ../x owner/..; do
		timeout 30 env R2_ENDPOINT="$S3_ENDPOINT" R2_ACCESS_KEY="$S3_ACCESS_KEY" R2_SECRET_KEY="$S3_SECRET_KEY" \
			"$B" digest -q "$W/fx/basic.tar.gz" --repo "$r" --out "s3://$err_bk" >"$W/out" 2>"$W/err"
		rc=$?; keep
		case $rc in 1|2) [ -s "$W/err" ] && ok || bad "$tag --repo $r: refused silently" ;;
		*) bad "$tag --repo $r: exit $rc, want 1 or 2: $(head -3 "$W/err")" ;; esac
		stored_nothing "$tag --repo $r stored something" "$err_bk"
	done
done

# --- HTTPS and virtual-hosted addressing
# a two-repo feed whose archives are the fixtures (file:// mirror: no network)
cat >"$W/feed.json" <<EOF
[{"owner": "RepoDigest", "name": "basic", "url": "https://github.com/RepoDigest/basic", "pushedAt": "2025-03-01T10:00:00Z"},
 {"owner": "RepoDigest", "name": "mixed", "url": "https://github.com/RepoDigest/mixed", "pushedAt": "2025-03-02T11:00:00Z"}]
EOF
# the mirror names each repository by owner and name, as a run's template must
mkdir -p "$W/fxm/RepoDigest" && cp "$W/fx/basic.tar.gz" "$W/fx/mixed.tar.gz" "$W/fxm/RepoDigest/" ||
	bad "the mirror of the fixtures"
MIRROR="file://$W/fxm/{owner}/{repo}.tar.gz"
# vverify TAG BUCKET KEY REF COMMIT O/R [PUSHEDAT]: verify, boto3 over HTTPS with the test CA
vverify() { S3PY_HTTPS=1 S3PY_CA=$CA verify "$1" "$2" "$3" "$4" "$5" "$6" 900 "${7:-}"; }
# logged TAG PATTERN: radosgw's access log gets a line matching PATTERN (its
# log is written asynchronously: wait up to 10 s)
logged() {
	i=0
	while [ $i -lt 50 ]; do
		grep -q -- "$2" "$RGWLOG" 2>/dev/null && { ok; return 0; }
		sleep 0.2; i=$((i + 1))
	done
	bad "$1: radosgw's log has no line matching $2"
}
# the pipeline's last line
complete() { grep -o 'Pipeline complete: [^"]*' "$W/out" | tail -1; }
# radosgw plays AWS: an amazonaws.com endpoint pinned to it by --resolve
# (radosgw takes a Host name it does not know for a bucket name). By address
# (https://127.0.0.1:PORT) the certificate's IP entry is checked (x509ip.c).
VENV="AWS_ENDPOINT_URL=https://$VH:$TLS_PORT AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY"
PIN="$VH:$TLS_PORT:127.0.0.1"
for B in $BINS; do
	case $B in */asan/*) t=asan ;; *) t=musl ;; esac
	tag=$t/$(basename "$B")
	# dotted buckets cannot be TLS host names: path-style by themselves
	tb=rd.$t.tls tb_err=rd.$t.tlserr vb=rd-$t-vh
	s3py mb "$tb" "$tb_err" "$vb" >"$W/mb" 2>&1 || { bad "$tag: create buckets: $(tail -3 "$W/mb")"; continue; }

	# digest over HTTPS, trusting the test CA through --cacert
	put "$tag https --cacert" env $VENV "$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic \
		--out "s3://$tb/d" --cacert "$CA" --resolve "$PIN" &&
		vverify "$tag https" "$tb" "d/$K" "$W/cap/$t.basic.ref" "$SHA_BASIC" RepoDigest/basic
	logged "$tag dotted bucket path-style" "\"PUT /$tb/d/$K HTTP/1.1\" 200"

	# run over HTTPS: both repos stored with the feed's pushedAt; a second
	# run finds both in the cache (HEAD over the same TLS setup)
	put "$tag https run" env $VENV "$B" run "$W/feed.json" --out "s3://$tb/run" --archive-url "$MIRROR" \
		--cacert "$CA" --resolve "$PIN" --state "$W/state-$t" -j 2 &&
		{ complete | grep -q '^Pipeline complete: 2 total, 0 cached (0.0%), 2 processed, 0 failed' && ok ||
		bad "$tag https run: $(complete)"; }
	vverify "$tag https run basic" "$tb" "run/$K" "$W/cap/$t.basic.ref" "$SHA_BASIC" RepoDigest/basic 2025-03-01T10:00:00Z
	vverify "$tag https run mixed" "$tb" "run/gitingest/RepoDigest/mixed/summary.txt" "$W/cap/$t.mixed.ref" \
		"$SHA_MIXED" RepoDigest/mixed 2025-03-02T11:00:00Z
	put "$tag https run again" env $VENV "$B" run "$W/feed.json" --out "s3://$tb/run" --archive-url "$MIRROR" \
		--cacert "$CA" --resolve "$PIN" --state "$W/state2-$t" -j 2 &&
		{ complete | grep -q '^Pipeline complete: 2 total, 2 cached (100.0%), 0 processed, 0 failed' && ok ||
		bad "$tag https run again: $(complete)"; }

	# by address, as MinIO is often deployed: the certificate's iPAddress
	put "$tag https by address" env $VENV AWS_ENDPOINT_URL="https://127.0.0.1:$TLS_PORT" "$B" digest -q \
		"$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$tb/ip" --cacert "$CA" &&
		vverify "$tag https by address" "$tb" "ip/$K" "$W/cap/$t.basic.ref" "$SHA_BASIC" RepoDigest/basic

	# without --cacert the certificate is untrusted; a name not in it
	# (localhost) is refused too: one line, exit 1, nothing stored
	putfail "$tag https without --cacert" 1 "certificate is untrusted" env $VENV \
		"$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$tb_err" --resolve "$PIN"
	stored_nothing "$tag https without --cacert stored something" "$tb_err"
	putfail "$tag https wrong name" 1 "does not match the host name" env $VENV AWS_ENDPOINT_URL="https://localhost:$TLS_PORT" \
		"$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$tb_err" --cacert "$CA" \
		--resolve "localhost:$TLS_PORT:127.0.0.1"
	stored_nothing "$tag https wrong name stored something" "$tb_err"

	# virtual-hosted: an amazonaws.com endpoint and a DNS-label bucket go to
	# https://BUCKET.s3.us-east-1.amazonaws.com/KEY (the log shows the path
	# without the bucket); only the bucket's host name is pinned for it
	put "$tag virtual-hosted" env $VENV "$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic \
		--out "s3://$vb/v-$t" --cacert "$CA" --resolve "$vb.$VH:$TLS_PORT:127.0.0.1" &&
		vverify "$tag virtual-hosted" "$vb" "v-$t/$K" "$W/cap/$t.basic.ref" "$SHA_BASIC" RepoDigest/basic
	logged "$tag virtual-hosted form" "\"PUT /v-$t/$K HTTP/1.1\" 200"
	# REPODIGEST_S3_ADDRESSING=path: the same endpoint, path-style
	put "$tag forced path-style" env $VENV REPODIGEST_S3_ADDRESSING=path "$B" digest -q "$W/fx/basic.tar.gz" \
		--repo RepoDigest/basic --out "s3://$vb/p-$t" --cacert "$CA" --resolve "$PIN" &&
		vverify "$tag forced path-style" "$vb" "p-$t/$K" "$W/cap/$t.basic.ref" "$SHA_BASIC" RepoDigest/basic
	logged "$tag forced path-style form" "\"PUT /$vb/p-$t/$K HTTP/1.1\" 200"
	# a run's HEAD (cache check) and PUT are virtual-hosted too
	put "$tag virtual-hosted run" env $VENV "$B" run "$W/feed.json" --out "s3://$vb/run-$t" --archive-url "$MIRROR" \
		--cacert "$CA" --resolve "$vb.$VH:$TLS_PORT:127.0.0.1" --state "$W/state3-$t" -j 2 &&
		{ complete | grep -q '^Pipeline complete: 2 total, 0 cached (0.0%), 2 processed, 0 failed' && ok ||
		bad "$tag virtual-hosted run: $(complete)"; }
	vverify "$tag virtual-hosted run" "$vb" "run-$t/gitingest/RepoDigest/mixed/summary.txt" "$W/cap/$t.mixed.ref" \
		"$SHA_MIXED" RepoDigest/mixed 2025-03-02T11:00:00Z
	logged "$tag virtual-hosted run HEAD" "\"HEAD /run-$t/gitingest/RepoDigest/mixed/summary.txt HTTP/1.1\" 404"
	# a bad REPODIGEST_S3_ADDRESSING is a usage error
	putfail "$tag bad addressing" 1 "REPODIGEST_S3_ADDRESSING" env $VENV REPODIGEST_S3_ADDRESSING=dns \
		"$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$tb_err"
done

# run reports in S3 (pods whose disks go with them): each shard's `run
# --report s3://BUCKET/shard-{shard}.json` (the same argument for every
# shard, "{shard}" becoming its index) is read back by boto3 and merged by `repodigest
# report` from S3, and from stdin; a report that cannot be stored makes the run
# exit 1 (its digests are stored all the same); a report URL without a key is
# refused before any work
R2ENV="R2_ENDPOINT=$S3_ENDPOINT R2_ACCESS_KEY=$S3_ACCESS_KEY R2_SECRET_KEY=$S3_SECRET_KEY"
for B in $BINS; do
	case $B in */asan/*) t=asan ;; *) t=musl ;; esac
	tag=$t/$(basename "$B")
	rb=rd-$t-reports
	s3py mb "$rb" >"$W/mb" 2>&1 || { bad "$tag: create bucket: $(tail -3 "$W/mb")"; continue; }
	for i in 0 1; do
		put "$tag run --report s3:// shard $i" env $R2ENV "$B" run "$W/feed.json" --out "$W/rep-$t" \
			--archive-url "$MIRROR" --state "$W/rstate-$t-$i" --shard "$i/2" --report "s3://$rb/reports/shard-{shard}.json"
	done
	# the two repos fall into the shards by hash: the totals add up to 2
	n0=$(grep -o 'Pipeline complete: [0-9]*' "$W/cap/$((nrun - 1)).out" | grep -o '[0-9]*$')
	n1=$(grep -o 'Pipeline complete: [0-9]*' "$W/cap/$nrun.out" | grep -o '[0-9]*$')
	[ "$((${n0:-9} + ${n1:-9}))" -eq 2 ] && ok || bad "$tag shard totals: $n0 + $n1"
	for i in 0 1; do
		eval "n=\$n$i"
		v=$(s3py runreport "$rb" "reports/shard-$i.json" "$i/2" "${n:-9}" 2>&1)
		[ "$v" = ok ] && ok || bad "$tag report shard $i read by boto3: $v"
	done
	put "$tag report from s3://" env $R2ENV "$B" report --json "s3://$rb/reports/shard-0.json" "s3://$rb/reports/shard-1.json" &&
		{ "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["total"] == 2 and r["processed"] == 2 and r.get("shards_missing") == 0 else 1)' "$W/out" &&
		ok || bad "$tag merged from s3://: $(head -c 300 "$W/out")"; }
	# the merged report written back to S3 is byte for byte the one written to a file
	put "$tag report -o s3://" env $R2ENV "$B" report -o "s3://$rb/reports/merged.json" \
		"s3://$rb/reports/shard-0.json" "s3://$rb/reports/shard-1.json"
	env $R2ENV "$B" report -o "$W/merged-$t.json" "s3://$rb/reports/shard-0.json" "s3://$rb/reports/shard-1.json" >/dev/null 2>&1
	s3py same "$rb" reports/merged.json "$W/merged-$t.json" >"$W/same" 2>&1 && ok || bad "$tag report -o s3://: $(tail -2 "$W/same")"
	env $R2ENV "$B" report --json "s3://$rb/reports/shard-0.json" >"$W/r0.json" 2>"$W/err"
	# the same report twice (stdin and file): shard 0's repos counted once,
	# each named as a duplicate (r0.json is a merged report: it names no
	# shard, so none is missing and the merge is complete)
	timeout 30 "$B" report --json - "$W/r0.json" <"$W/r0.json" >"$W/out" 2>"$W/err"; rc=$?; keep
	[ $rc -eq 0 ] && "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); n=int(sys.argv[2]); sys.exit(0 if r["total"] == n and len(r["duplicates"]) == n else 1)' "$W/out" "${n0:-9}" &&
		ok || bad "$tag report -: exit $rc: $(head -c 300 "$W/out") $(head -3 "$W/err")"
	putfail "$tag report: missing object" 1 "s3://$rb/reports/nope.json" env $R2ENV "$B" report "s3://$rb/reports/nope.json"
	putfail "$tag run --report to a missing bucket" 1 "cannot write the report.*NoSuchBucket" env $R2ENV \
		"$B" run "$W/feed.json" --out "$W/rep2-$t" --archive-url "$MIRROR" --state "$W/rstate2-$t" \
		--report "s3://rd-$t-nobucket-$(rnd)/r.json" --log-format json
	[ -s "$W/rep2-$t/gitingest/RepoDigest/mixed/summary.txt" ] && ok || bad "$tag digests not stored when the report failed"
	putfail "$tag run --report s3://BUCKET (no key)" 1 "s3://BUCKET/KEY" env $R2ENV \
		"$B" run "$W/feed.json" --out "$W/rep3-$t" --archive-url "$MIRROR" --state "$W/rstate3-$t" --report "s3://$rb/"
	[ ! -e "$W/rep3-$t" ] && ok || bad "$tag run with a bad report URL did some work"
	# the state file in S3, written and read back through the sink: a run
	# with --state s3://..., then --resume from there with a mirror that
	# does not exist (a download would fail): every repo done earlier, the
	# state boto3 reads is the one written to a file; a missing state is
	# one line, exit 1
	put "$tag run --state s3://" env $R2ENV "$B" run "$W/feed.json" --out "$W/st-$t" \
		--archive-url "$MIRROR" --state "s3://$rb/state/run.json"
	env $R2ENV "$B" run "$W/feed.json" --out "$W/st-$t" --archive-url "$MIRROR" \
		--state "$W/st-$t.json" >/dev/null 2>&1
	s3py same "$rb" state/run.json "$W/st-$t.json" >"$W/same" 2>&1 && ok ||
		bad "$tag --state s3:// differs from the file's: $(tail -2 "$W/same")"
	put "$tag run --resume s3://" env $R2ENV "$B" run "$W/feed.json" --out "$W/st-$t" \
		--archive-url "file://$W/nomirror/{owner}/{repo}.tar.gz" --resume "s3://$rb/state/run.json" \
		--state "s3://$rb/state/run2.json" --report "$W/st-$t-report.json" &&
		{ "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if [x["status"] for x in r["repos"]] == ["done-earlier"] * 2 and r["failed"] == 0 else 1)' "$W/st-$t-report.json" &&
		ok || bad "$tag --resume s3://: $(head -c 300 "$W/st-$t-report.json")"; }
	# another ref's object (decision 4): its key holds "@" and "%2F", which
	# SigV4 must encode as the server decodes it; boto3 reads the body back
	put "$tag digest OWNER/REPO@REF --out s3://" env $R2ENV "$B" digest "RepoDigest/mixed@feature/x" \
		--archive-url "$MIRROR" --repo RepoDigest/mixed --out "s3://$rb/refs"
	"$B" digest "RepoDigest/mixed@feature/x" --archive-url "$MIRROR" --repo RepoDigest/mixed \
		--format full -o "$W/ref-$t.txt" >/dev/null 2>&1
	s3py same "$rb" "refs/gitingest/RepoDigest/mixed/@feature%2Fx/summary.txt" "$W/ref-$t.txt" >"$W/same" 2>&1 &&
		ok || bad "$tag the ref's object is not at @feature%2Fx: $(tail -2 "$W/same")"
	putfail "$tag run --resume s3:// (missing)" 1 "Cannot resume: s3://$rb/state/nope.json" env $R2ENV \
		"$B" run "$W/feed.json" --out "$W/st-$t" --archive-url "$MIRROR" --resume "s3://$rb/state/nope.json" \
		--state "$W/st2-$t.json"
	# a destination that would fail every repository stops the run before
	# any download: one line naming the cause, exit 1, no state file. The
	# mirror does not exist: a download would log a failure.
	for c in "SignatureDoesNotMatch|$S3_ENDPOINT|$WRONG_SECRET|$rb" \
	    "NoSuchBucket|$S3_ENDPOINT|$S3_SECRET_KEY|rd-$t-nob-$(rnd)" \
	    "[Cc]onnection refused|http://127.0.0.1:$DOWN|$S3_SECRET_KEY|$rb"; do
		pat=${c%%|*} rest=${c#*|}; ep=${rest%%|*} rest=${rest#*|}; sk=${rest%%|*} bk=${rest#*|}
		rm -f "$W/ffstate-$t"
		putfail "$tag run, S3 unusable ($pat)" 1 "S3 destination is unusable: .*$pat" \
			env R2_ENDPOINT="$ep" R2_ACCESS_KEY="$S3_ACCESS_KEY" R2_SECRET_KEY="$sk" \
			"$B" run "$W/feed.json" --out "s3://$bk/ff" --archive-url "file://$W/nomirror/{owner}/{repo}.tar.gz" \
			--state "$W/ffstate-$t" --log-format json
		grep -q '"Failed"\|"Retrying"\|"Stored digest"' "$W/out" && bad "$tag run, S3 unusable ($pat): work was done" || ok
		[ ! -e "$W/ffstate-$t" ] && ok || bad "$tag run, S3 unusable ($pat): a state file was written"
	done
done

# S3 through an HTTP proxy (Debian's tinyproxy, foreground, 300 s TTL): over
# http the requests go in absolute form and radosgw still accepts the
# signature (signed for the endpoint's Host and path, not the proxy's);
# over https through a CONNECT tunnel. The proxy's log shows each, and never
# the secret
PXP=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$W/tinyproxy.conf" <<EOF
Port $PXP
Listen 127.0.0.1
Timeout 30
LogFile "$W/tinyproxy.log"
LogLevel Info
MaxClients 16
Allow 127.0.0.1
ConnectPort $TLS_PORT
DisableViaHeader Yes
EOF
timeout -s TERM 300 "$(command -v tinyproxy || echo /usr/sbin/tinyproxy)" -d -c "$W/tinyproxy.conf" \
	</dev/null >"$W/tinyproxy.out" 2>&1 &
PIDS="$PIDS $!"
i=0
until "$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$PXP" 2>/dev/null; do
	i=$((i + 1)); [ $i -ge 100 ] && break; sleep 0.1
done
S3_PORT=${S3_ENDPOINT##*:}
for B in $BINS; do
	case $B in */asan/*) t=asan ;; *) t=musl ;; esac
	tag=$t/$(basename "$B")
	pb=rd-$t-proxied
	s3py mb "$pb" >"$W/mb" 2>&1 || { bad "$tag: create bucket: $(tail -3 "$W/mb")"; continue; }
	put "$tag S3 via HTTP_PROXY" env $R2ENV HTTP_PROXY="http://127.0.0.1:$PXP" NO_PROXY= no_proxy= \
		"$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$pb/http" &&
		verify "$tag S3 via HTTP_PROXY" "$pb" "http/$K" "$W/cap/$t.basic.ref" "$SHA_BASIC" RepoDigest/basic
	grep -q "PUT http://127.0.0.1:$S3_PORT/$pb/http/$K HTTP/1.1" "$W/tinyproxy.log" && ok ||
		bad "$tag S3 via HTTP_PROXY: no absolute-form PUT in the proxy's log"
	put "$tag S3 over https via HTTPS_PROXY" env AWS_ENDPOINT_URL="https://127.0.0.1:$TLS_PORT" AWS_REGION=us-east-1 \
		AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" \
		HTTPS_PROXY="http://127.0.0.1:$PXP" NO_PROXY= no_proxy= \
		"$B" digest -q "$W/fx/basic.tar.gz" --repo RepoDigest/basic --out "s3://$pb/https" --cacert "$CA" &&
		verify "$tag S3 over https via HTTPS_PROXY" "$pb" "https/$K" "$W/cap/$t.basic.ref" "$SHA_BASIC" RepoDigest/basic
	grep -q "CONNECT 127.0.0.1:$TLS_PORT HTTP/1.1" "$W/tinyproxy.log" && ok ||
		bad "$tag S3 over https via HTTPS_PROXY: no CONNECT in the proxy's log"
done
if grep -q -F -e "$S3_SECRET_KEY" "$W/tinyproxy.log" "$W/tinyproxy.out"; then
	bad "the S3 secret reached the proxy"
else ok; fi

# keep-alive: the bench driver (itests/s3bench, one s3_client) PUTs five
# objects over one connection, and they are stored whole
mkdir -p "$W/kf"
for i in 1 2 3 4 5; do head -c $((20000 * i)) /dev/urandom | base64 >"$W/kf/f$i.txt"; done
for SB in "$BUILD/musl/itests/s3bench" "$BUILD/asan/itests/s3bench"; do
	case $SB in */asan/*) t=asan ;; *) t=musl ;; esac
	kb=rd-$t-keepalive
	[ -x "$SB" ] || { bad "missing $SB (make test-build)"; continue; }
	s3py mb "$kb" >"$W/mb" 2>&1 || { bad "$t s3bench: create bucket: $(tail -3 "$W/mb")"; continue; }
	if timeout 60 env R2_ENDPOINT="$S3_ENDPOINT" R2_ACCESS_KEY="$S3_ACCESS_KEY" R2_SECRET_KEY="$S3_SECRET_KEY" \
		"$SB" "s3://$kb" "$W"/kf/f*.txt >"$W/out" 2>"$W/err"; then
		grep -q '^put 5 objects, .* 1 connections$' "$W/out" && ok || bad "$t s3bench: $(cat "$W/out")"
	else
		bad "$t s3bench: $(head -3 "$W/err")"
	fi
	keep
	for i in 1 5; do
		s3py same "$kb" "bench/f$i.txt" "$W/kf/f$i.txt" >"$W/same" 2>&1 && ok || bad "$t s3bench f$i.txt: $(tail -2 "$W/same")"
	done
done

# secrets: nothing repodigest printed holds a secret (the server's, the wrong
# one, the session token) or the GitHub token
if grep -r -l -F -e "$S3_SECRET_KEY" -e "$WRONG_SECRET" -e "$SESSION_TOKEN" -e "$GITHUB_TOKEN" "$W/cap" >"$W/leaks"; then
	bad "secret or token in repodigest's output: $(tr '\n' ' ' <"$W/leaks")"
elif [ "$(find "$W/cap" -type f | grep -c '')" -lt 10 ]; then
	bad "secrets check: too few captured outputs"
else ok; fi
finish
