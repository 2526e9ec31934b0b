#!/bin/sh
# image.sh BINARY - what `make image` builds, tested as platforms run it. The
# image is built twice from BINARY (scripts/image): the same digest both times,
# one layer holding exactly /repodigest, /work (65534:0, 0775) and /tmp (1777),
# the OCI labels (the source one a real URL or none), README's one size
# figure within a sixth of the measured layer. Its root is then run under bwrap with nothing else (no /bin,
# /etc, /etc/ssl, /dev, /proc; tests/integration/image.inc), loopback peers only,
# as the image's user 65534 and as an arbitrary uid with group 0 (OpenShift):
# `version`; an HTTPS digest from the loopback nginx (test CA with --cacert, name
# pinned with --resolve: no resolv.conf) equal to the same digest outside; a
# `serve` as 65534 with its database on a mounted volume (a job from a file://
# mirror stored there, SIGTERM exits 0); a short `run` of the example feed into
# radosgw (objects at gitingest/OWNER/REPO/summary.txt, state file and report in
# /work) against tests/s3-server.
BIN=$1
. "$(dirname "$0")/../cli/lib.inc"
cd "$(dirname "$0")/../.." || exit 1
if [ "$(id -u)" -ne 0 ]; then
	echo "skip: the image's runs (needs root: setpriv to the image's users)"
	finish; exit $?
fi
case "$W" in *" "*) bad "work dir with a space: $W"; finish; exit 1;; esac
chmod 0755 "$W"    # the image's users must reach $W/root
. tests/integration/image.inc
. scripts/hermetic-env.inc
hermetic_env
. tests/integration/nginx.inc

# ---- the build: twice, same digest
image_unpack "$BIN" || { bad "image build/unpack: $(tail -3 "$W/image.log")"; finish; exit 1; }
IMAGE_BUILD_DIR=$W/img2 scripts/image "$BIN" "$img_ver" >"$W/b2.log" 2>&1 || bad "second build: $(tail -3 "$W/b2.log")"
d2=$(sed -n 's/^digest=//p' "$W/img2/image/info")
[ -n "$d2" ] && [ "$d2" = "$IMG_DIGEST" ] && ok || bad "two builds, two digests: $IMG_DIGEST vs $d2"
rm -rf "$W/img2"
echo "image digest $IMG_DIGEST, compressed layer $layer_bytes bytes"
# exactly three entries, owners and modes as the Containerfile says
tar -tvzf "$W/img/image/oci/blobs/sha256/${layer#sha256:}" | awk '{print $1, $2, $6}' | sort > "$W/layer.txt"
printf '%s\n' "-rwxr-xr-x 0/0 repodigest" "drwxrwxr-x 65534/0 work/" "drwxrwxrwt 65534/0 tmp/" | sort > "$W/want.txt"
cmp -s "$W/layer.txt" "$W/want.txt" && ok || bad "layer entries: $(cat "$W/layer.txt")"
cfg=$(tr ',' '\n' < "$W/img/image/oci/blobs/sha256/${IMG_DIGEST#sha256:}" | sed -n 's/.*"config":{.*"digest":"sha256:\([0-9a-f]*\)".*/\1/p; s/^"digest":"sha256:\([0-9a-f]*\)"}*$/\1/p' | head -1)
for l in version revision licenses description; do
	grep -q "\"org.opencontainers.image.$l\":\"[^\"]" "$W/img/image/oci/blobs/sha256/$cfg" && ok ||
		bad "label org.opencontainers.image.$l missing"
done
# the source label is where the code is (the clone's https origin), or none:
# never a made-up URL
origin=$(git remote get-url origin 2>/dev/null || true)
src=$(sed -n 's/.*"org.opencontainers.image.source":"\([^"]*\)".*/\1/p' "$W/img/image/oci/blobs/sha256/$cfg")
case $origin in
https://*) [ "$src" = "$origin" ] && ok || bad "source label '$src', the origin is $origin" ;;
*) [ -z "$src" ] && ok || bad "source label '$src' without an https origin" ;;
esac
# one image-size figure: README's, from this measurement (within a sixth),
# and air-gapped.md points at it rather than giving one of its own
kib=$(tr '\n' ' ' <README.md | sed -n 's/.*the compressed size (about \([0-9]*\) KiB.*/\1/p')
[ -n "$kib" ] && [ $((kib * 1024 * 6)) -ge $((layer_bytes * 5)) ] && [ $((kib * 1024 * 6)) -le $((layer_bytes * 7)) ] &&
	ok || bad "README's image size (about ${kib:-?} KiB) is not the measured $layer_bytes bytes"
grep '^| the image |' docs/air-gapped.md | grep -q -E '[0-9] ?(KB|KiB|MB|MiB)' &&
	bad "air-gapped.md gives an image size of its own: $(grep '^| the image |' docs/air-gapped.md)" || ok
grep -q '"User":"65534:65534"' "$W/img/image/oci/blobs/sha256/$cfg" && ok || bad "image user is not 65534"
[ "$(find "$W/root" -mindepth 1 -maxdepth 1 | wc -l)" -eq 3 ] && ok || bad "root holds more than 3 entries"

# ---- data for the runs, inside the image's /tmp (the root itself is read-only)
D=$W/root/tmp/data
mkdir -p "$D"
cp examples/repos.json "$D/feed.json"
MIRROR_FIXTURES=project scripts/make-mirror "$D/feed.json" "$D/mirror" >/dev/null || bad "make-mirror"
rm -rf "$D/mirror/.fixtures"
f=$(ls "$D/mirror"/*/*.tar.gz | head -1)
"$BIN" digest -q "$f" > "$W/outside.txt" || bad "digest outside"
NGINX_TTL=300 nginx_up
cp "$f" "$NGINX_WWW/image.tar.gz"
cp "$NGINX_CA" "$D/ca.pem"
chmod -R a+rX "$D"
URL="https://test.invalid:$NGINX_PORT/image.tar.gz"
RES="test.invalid:$NGINX_PORT:127.0.0.1"

# ---- as 65534 and as an arbitrary uid with group 0
for who in "65534 65534" "1000123 0"; do
	set -- $who
	u=$1 g=$2
	image_run "$u" "$g" -- version >"$W/v.out" 2>&1 && grep -q '^repodigest ' "$W/v.out" && ok ||
		bad "$u:$g version: $(head -2 "$W/v.out")"
	image_run "$u" "$g" -- digest -q --cacert /tmp/data/ca.pem --resolve "$RES" "$URL" \
		>"$W/https.out" 2>"$W/https.err" && ok || bad "$u:$g https digest: $(head -2 "$W/https.err")"
	cmp -s "$W/https.out" "$W/outside.txt" && ok || bad "$u:$g https digest differs from the one outside"
	# without --cacert: the test CA is not trusted (no silent fallback)
	image_run "$u" "$g" -- digest -q --resolve "$RES" "$URL" >/dev/null 2>"$W/nocert.err"
	[ $? -eq 1 ] && ok || bad "$u:$g https without --cacert did not fail"
	# /work and /tmp writable, as the run's state file and report need
	image_run "$u" "$g" -- digest -q /tmp/data/mirror/Example-Council/.github.tar.gz \
		-o /work/probe-$u.txt >/dev/null 2>"$W/w.err" && [ -s "$W/root/work/probe-$u.txt" ] && ok ||
		bad "$u:$g cannot write /work: $(head -2 "$W/w.err")"
	image_run "$u" "$g" -- digest -q /tmp/data/mirror/Example-Council/.github.tar.gz \
		-o /tmp/probe-$u.txt >/dev/null 2>"$W/t.err" && [ -s "$W/root/tmp/probe-$u.txt" ] && ok ||
		bad "$u:$g cannot write /tmp: $(head -2 "$W/t.err")"
done
scripts/test-nginx stop "$W/nginx" >/dev/null 2>&1

# ---- `serve` as 65534 with its database on a mounted volume (IMG_WORK: a
# fresh directory at /work, as a Kubernetes volume): a job from the file://
# mirror completes and is stored there; SIGTERM ends it with 0
VOL=$W/vol
mkdir -p "$VOL" && chown 65534:65534 "$VOL"
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
repo=$(cd "$D/mirror" && ls -d */*.tar.gz | head -1 | sed 's/\.tar\.gz$//')
IMG_WORK=$VOL IMG_TIMEOUT=120 image_run 65534 65534 -- serve --listen "127.0.0.1:$port" \
	--db /work/repodigest.db --out /work/out -j 1 \
	--archive-url 'file:///tmp/data/mirror/{owner}/{repo}.tar.gz' >"$W/serve.out" 2>&1 &
spid=$!
i=0; while ! grep -q '"Listening"' "$W/serve.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
code=$(curl -sS -o "$W/job.json" -w '%{http_code}' --max-time 10 --json "{\"repo\":\"$repo\"}" \
	"http://127.0.0.1:$port/v1/jobs" 2>&1)
[ "$code" = 202 ] && ok || bad "serve in the image: POST $code: $(head -c 200 "$W/job.json") $(tail -2 "$W/serve.out")"
id=$(sed -n 's/.*"jobId":"\([0-9a-f-]*\)".*/\1/p' "$W/job.json")
i=0; st=
while [ -n "$id" ] && [ $i -lt 300 ]; do
	st=$(curl -sS --max-time 5 "http://127.0.0.1:$port/v1/jobs/$id" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')
	case $st in completed|failed|cancelled) break ;; esac
	sleep 0.1; i=$((i + 1))
done
[ "$st" = completed ] && [ -s "$VOL/out/gitingest/$repo/summary.txt" ] && [ -s "$VOL/repodigest.db" ] && ok ||
	bad "serve in the image: job $st, stored: $(find "$VOL" | head -5)"
[ "$(stat -c %u "$VOL/repodigest.db" 2>/dev/null)" = 65534 ] && ok || bad "serve in the image: database not 65534's"
# the server itself (inside bwrap's namespaces) gets the SIGTERM; found
# through /proc, since a minimal Debian has no pgrep
rpid=
for d in /proc/[0-9]*; do
	case $(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) in
	"/repodigest serve --listen 127.0.0.1:$port "*) rpid=${d#/proc/}; break ;;
	esac
done
[ -n "$rpid" ] && kill -TERM "$rpid"
wait $spid
rc=$?
[ $rc -eq 0 ] && grep -q '"message":"Stopped"' "$W/serve.out" && ok ||
	bad "serve in the image: exit $rc after SIGTERM: $(tail -2 "$W/serve.out")"

# ---- a short run into radosgw, as each user
. tests/integration/s3srv.inc
trap 's3srv_stop; cleanup' EXIT
"$S3SRV" install >"$W/install.log" 2>&1 || { bad "s3-server install: $(tail -3 "$W/install.log")"; finish; exit 1; }
scripts/setup python3-boto3 >/dev/null 2>&1 || { bad "setup python3-boto3"; finish; exit 1; }
S3_SERVER_TTL=300 "$S3SRV" start "$W/s3" >"$W/s3.env" 2>"$W/s3.err" || { bad "s3-server: $(tail -3 "$W/s3.err")"; finish; exit 1; }
. "$W/s3.env"
want=$(cd "$D/mirror" && find . -name '*.tar.gz' | sed 's|^\./|gitingest/|; s|\.tar\.gz$|/summary.txt|' | sort)
for who in "65534 65534" "1000123 0"; do
	set -- $who
	u=$1 g=$2 bk=image-$1
	s3ls mb "$bk" >"$W/mb.log" 2>&1 || { bad "create bucket $bk: $(tail -2 "$W/mb.log")"; continue; }
	rm -f "$W/root/work/state.json" "$W/root/work/report.json"
	image_run "$u" "$g" R2_ENDPOINT="$S3_ENDPOINT" R2_ACCESS_KEY="$S3_ACCESS_KEY" \
		R2_SECRET_KEY="$S3_SECRET_KEY" REPODIGEST_S3_REGION="$S3_REGION" NO_PROXY=127.0.0.1 -- \
		run /tmp/data/feed.json --out "s3://$bk" --archive-url 'file:///tmp/data/mirror/{owner}/{repo}.tar.gz' \
		--state /work/state.json --report /work/report.json --log-format text >"$W/run.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && ok || bad "$u:$g run into radosgw: exit $rc: $(tail -3 "$W/run.out")"
	[ -s "$W/root/work/state.json" ] && [ -s "$W/root/work/report.json" ] && ok ||
		bad "$u:$g no state file or report in /work"
	got=$(s3ls ls "$bk" | sort)
	[ -n "$want" ] && [ "$got" = "$want" ] && ok || bad "$u:$g objects: $(echo "$got" | head -3) ... want $(echo "$want" | head -3)"
done
finish
