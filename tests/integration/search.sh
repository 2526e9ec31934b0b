#!/bin/sh
# search.sh BINARY - `repodigest index s3://BUCKET[/PREFIX]` against a real,
# signature-checking S3 server (Ceph radosgw on 127.0.0.1, tests/s3-server),
# musl and ASan builds. Debian's boto3 (tests/integration/
# s3client.py) stores the objects a `run --format chunks` stores:
# gitingest/OWNER/REPO/chunks.jsonl and gitingest/OWNER/REPO/@REF/chunks.jsonl,
# beside objects that are not chunks, and 1,005 more keys so that the list
# takes two pages (ListObjectsV2 answers 1,000 keys at most).
# Checks: every chunk object indexed, as the same chunks from a file would
# be; the ref kept apart; other objects left alone; a key prefix; indexing
# again writes nothing; a malformed object is one line naming it, the others
# are indexed, exit 1; a wrong secret and a missing bucket are one line each,
# exit 1, nothing indexed; no secret in anything repodigest printed. One
# server (TTL 600 s), stopped by the EXIT trap.
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

BUILD=$(dirname "$BIN")
BINS="$BIN $BUILD/asan/repodigest"
for b in $BINS; do [ -x "$b" ] || { bad "missing $b (make test-build)"; finish; exit 1; }; done
if ! "$S3SRV" install >"$W/install.log" 2>&1 ||
	! scripts/setup python3-boto3 >"$W/setup.log" 2>&1; then
	bad "s3-server or boto3 install: $(tail -3 "$W/install.log" "$W/setup.log")"; finish; exit 1
fi
PY=/usr/bin/python3
. scripts/hermetic-env.inc
hermetic_env
if ! S3_SERVER_TTL=600 "$S3SRV" start "$W/s3" >"$W/s3.env" 2>"$W/s3.err"; then
	bad "s3-server start: $(tail -5 "$W/s3.err")"; finish; exit 1
fi
. "$W/s3.env"
case $S3_ENDPOINT in http://127.0.0.1:*) ;; *) bad "endpoint not on loopback: $S3_ENDPOINT"; finish; exit 1 ;; esac
export S3_ENDPOINT S3_ACCESS_KEY S3_SECRET_KEY S3_REGION

# s3.py mb BUCKET | put BUCKET KEY FILE | pad BUCKET PREFIX N (N empty objects)
cat >"$W/s3.py" <<'PY'
import sys
from concurrent.futures import ThreadPoolExecutor
import s3client
c = s3client.client()
cmd, a = sys.argv[1], sys.argv[2:]
if cmd == "mb":
    c.create_bucket(Bucket=a[0])
elif cmd == "put":
    c.put_object(Bucket=a[0], Key=a[1], Body=open(a[2], "rb").read())
elif cmd == "pad":
    with ThreadPoolExecutor(8) as ex:
        list(ex.map(lambda i: c.put_object(Bucket=a[0], Key="%s%04d" % (a[1], i), Body=b""),
                    range(int(a[2]))))
PY
s3py() { PYTHONPATH=$PWD/tests/integration timeout 300 "$PY" "$W/s3.py" "$@"; }

# two repositories' chunks, one also at another ref
mkdir -p "$W/a/src" "$W/b/lib"
printf 'int get_user_by_id(int id);\n' > "$W/a/src/user.c"
printf 'def fetchAccount(name):\n    return name\n' > "$W/b/lib/account.py"
"$BIN" digest -q --format chunks "$W/a" --repo owner/alpha > "$W/alpha.jsonl"
"$BIN" digest -q --format chunks "$W/b" --repo owner/beta > "$W/beta.jsonl"
sed 's/"ref":""/"ref":"dev"/; s/get_user_by_id/get_user_by_name/' "$W/alpha.jsonl" > "$W/alpha-dev.jsonl"
printf '{"repo":"owner/bad","path":"x"}\n' > "$W/bad.jsonl"
printf 'not chunks\n' > "$W/other.txt"
s3py mb idx >/dev/null 2>&1 && ok || bad "make bucket"
for kv in "gitingest/owner/alpha/chunks.jsonl alpha.jsonl" \
    "gitingest/owner/alpha/@dev/chunks.jsonl alpha-dev.jsonl" \
    "gitingest/owner/beta/chunks.jsonl beta.jsonl" \
    "gitingest/owner/beta/summary.txt other.txt" \
    "elsewhere/owner/gamma/chunks.jsonl bad.jsonl" \
    "pre/gitingest/owner/beta/chunks.jsonl beta.jsonl"; do
	set -- $kv
	s3py put idx "$1" "$W/$2" || bad "put $1"
done
# past one page of the list: keys sorted before and after the chunk objects
s3py pad idx gitingest/aaa/pad 600 || bad "pad"
s3py pad idx gitingest/zzz/pad 405 || bad "pad"

ENV="R2_ENDPOINT=$S3_ENDPOINT R2_ACCESS_KEY=$S3_ACCESS_KEY R2_SECRET_KEY=$S3_SECRET_KEY"
for b in $BINS; do
	tag=$(basename "$(dirname "$b")")
	I=$W/$tag.db
	expect_ok "$tag index s3://" env $ENV "$b" index s3://idx --index "$I"
	grep -q '3 repositories indexed' "$W/err" && ok || bad "$tag: three repositories: $(cat "$W/err")"
	"$b" query --index "$I" "user by id" > "$W/q.json"
	grep -q '"repo":"owner/alpha","ref":"","path":"src/user.c"' "$W/q.json" && ok || bad "$tag: alpha found"
	"$b" query --index "$I" "user by name" > "$W/q.json"
	grep -q '"repo":"owner/alpha","ref":"dev"' "$W/q.json" && ok || bad "$tag: alpha@dev kept apart"
	"$b" query --index "$I" --repo owner/beta "fetch account" > "$W/q.json"
	[ "$(grep -c '"repo":"owner/beta"' "$W/q.json")" -eq 1 ] && ok || bad "$tag: beta"
	# the same chunks from files give the same answers
	"$b" index -q "$W/alpha.jsonl" "$W/alpha-dev.jsonl" "$W/beta.jsonl" --index "$W/$tag-files.db"
	for q in "user by id" "user by name" "fetch account"; do
		"$b" query --index "$I" "$q" > "$W/x.json"
		"$b" query --index "$W/$tag-files.db" "$q" > "$W/y.json"
		cmp -s "$W/x.json" "$W/y.json" && ok || bad "$tag: s3 and files differ for '$q'"
	done
	# again: nothing written
	expect_ok "$tag index s3:// again" env $ENV "$b" index s3://idx --index "$I"
	[ "$(grep -c '(0 written, 0 deleted)' "$W/err")" -eq 3 ] && ok || bad "$tag: again: $(cat "$W/err")"
	# a key prefix
	expect_ok "$tag index s3://idx/pre" env $ENV "$b" index s3://idx/pre/ --index "$W/$tag-pre.db"
	grep -q 'owner/beta: 1 files' "$W/err" && grep -q '1 repository indexed' "$W/err" && ok ||
		bad "$tag: prefix: $(cat "$W/err")"
	# a wrong secret and a missing bucket: one line, exit 1, nothing indexed
	expect_fail "$tag wrong secret" 1 "s3://idx: .*SignatureDoesNotMatch" env R2_ENDPOINT="$S3_ENDPOINT" \
		R2_ACCESS_KEY="$S3_ACCESS_KEY" R2_SECRET_KEY="wrong$S3_SECRET_KEY" "$b" index -q s3://idx --index "$W/$tag-w.db"
	expect_fail "$tag missing bucket" 1 "s3://nosuchbucket: .*NoSuchBucket" env $ENV \
		"$b" index -q s3://nosuchbucket --index "$W/$tag-w.db"
	"$b" query --index "$W/$tag-w.db" user > "$W/q.json" 2>/dev/null
	[ ! -s "$W/q.json" ] && ok || bad "$tag: failures indexed something"
	if grep -rq -e "$S3_SECRET_KEY" "$W"/*.err "$W/err" "$W/out" 2>/dev/null; then bad "$tag: secret printed"; else ok; fi
done

# a malformed chunk object: named, the others indexed, exit 1
s3py put idx gitingest/owner/bad/chunks.jsonl "$W/bad.jsonl" || bad "put bad"
env $ENV "$BIN" index -q s3://idx --index "$W/bad.db" 2>"$W/err"
rc=$?
[ $rc -eq 1 ] && grep -q 's3://idx/gitingest/owner/bad/chunks.jsonl: entry "line 1": .*missing' "$W/err" &&
	[ "$(grep -c '' "$W/err")" -eq 1 ] && ok || bad "bad object: exit $rc: $(cat "$W/err")"
"$BIN" query --index "$W/bad.db" "fetch account" | grep -q owner/beta && ok || bad "others indexed beside the bad one"
finish
