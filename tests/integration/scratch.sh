#!/bin/sh
# scratch.sh BINARY - the binary in an empty root, as in the FROM-scratch image
# (Containerfile.scratch): /repodigest, the writable /work (65534:0, 0775) and
# /tmp (1777) and nothing else: no /etc, no libc, no CA files, no shell. Run with
# chroot as the image's user 65534; proves that a digest, the batch run with
# its state file and an HTTPS download (nginx, test CA, --resolve: no
# resolv.conf) need no file from a base image. Needs root for chroot.
# (tests/integration/image.sh runs the image `make image` builds.)
BIN=$1
. "$(dirname "$0")/../cli/lib.inc"
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/nginx.inc
if [ "$(id -u)" -ne 0 ]; then
	echo "skip: the binary alone in an empty root (needs root for chroot)"
	finish; exit $?
fi
case "$W" in *" "*) bad "work dir with a space: $W"; finish; exit 1;; esac
R=$W/root
mkdir -p "$R"
cp "$BIN" "$R/repodigest"
mkdir -p "$R/work" "$R/tmp"
chown 65534:0 "$R/work" "$R/tmp"
chmod 0775 "$R/work"
chmod 1777 "$R/tmp"
# what the image holds: exactly these entries
n=$(find "$R" -mindepth 1 -maxdepth 1 | wc -l)
[ "$n" -eq 3 ] && ok || bad "rootfs has $n top-level entries, want 3 (repodigest work tmp)"
# the image has no environment of ours: clear it (SSL_CERT_FILE and the like
# would name files the root does not have)
CH="env -i PATH=/ $(command -v chroot) --userspec=65534:65534 $R"

expect_ok "version in an empty root" $CH /repodigest version
grep -q '^repodigest ' "$W/out" && ok || bad "version output"

# the offline batch run: feed + file:// mirror inside the root, state in /work
# (chroot starts in /, the image in its WORKDIR /work: the paths say /work)
mkdir -p "$R/data"
MIRROR_FIXTURES=project scripts/make-mirror examples/repos.json "$R/data/mirror" >/dev/null 2>&1 ||
	bad "make-mirror"
rm -rf "$R/data/mirror/.fixtures"
cp examples/repos.json "$R/data/feed.json"
nwant=$(find "$R/data/mirror" -name '*.tar.gz' | wc -l)
chmod -R a+rX "$R/data"
(cd / && timeout 120 $CH /repodigest run /data/feed.json \
	--archive-url 'file:///data/mirror/{owner}/{repo}.tar.gz' --log-format json \
	--out /work/digests --state /work/repodigest-state.json \
	--report /work/report.json >"$W/run.out" 2>"$W/run.err")
rc=$?
[ $rc -eq 0 ] && ok || bad "run in the empty root: exit $rc: $(tail -2 "$W/run.err")"
[ -s "$R/work/repodigest-state.json" ] && ok || bad "no state file in /work"
ndig=$(find "$R/work/digests/gitingest" -name summary.txt 2>/dev/null | wc -l)
[ "$ndig" -ge 5 ] && [ "$ndig" -eq "$nwant" ] && ok || bad "$ndig digests in /work/digests, want $nwant"
grep -q '"message":"Pipeline complete:' "$W/run.out" && ok || bad "no completion line: $(tail -1 "$W/run.out")"
# a single digest of a tarball, to stdout, matches the same outside the root
f=$(ls "$R/data/mirror"/*/*.tar.gz | head -1)
rel=${f#"$R"}
expect_ok "digest in the empty root" $CH /repodigest digest -q "$rel"
cp "$W/out" "$W/in-root.txt"
expect_ok "digest outside" "$BIN" digest -q "$f"
cmp -s "$W/out" "$W/in-root.txt" && ok || bad "digest differs inside the empty root"

# HTTPS inside the root: nginx with a test CA (the CA file is the only file
# the root gets; the name is pinned with --resolve)
NGINX_TTL=120 nginx_up
cp "$f" "$NGINX_WWW/scratch.tar.gz"
cp "$NGINX_CA" "$R/data/ca.pem"; chmod a+r "$R/data/ca.pem"
expect_ok "https in the empty root" $CH /repodigest digest -q --cacert /data/ca.pem \
	--resolve "test.invalid:$NGINX_PORT:127.0.0.1" "https://test.invalid:$NGINX_PORT/scratch.tar.gz"
cmp -s "$W/out" "$W/in-root.txt" && ok || bad "https digest differs"
finish
