#!/bin/sh
# tls.sh BINARY - net + tls against a real nginx on 127.0.0.1 (scripts/test-nginx),
# through the tlsprobe driver, musl and ASan builds: a trusted chain works and the
# bytes match; an unknown CA, a wrong name, an expired certificate, a chain
# whose issuer is not a CA (OpenSSL's s_server), a TLS 1.0-only server, a
# refused port and a silent server each end with one clear line saying which,
# exit 1, in bounded time. SSL_CERT_FILE and --cacert add the test CA; no switch turns
# verification off. BINARY (build/repodigest) only locates the build directory.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
. tests/integration/nginx.inc

BUILD=$(dirname "$BIN")
[ "$BUILD" = build ] || BUILD=build
PROBES="$BUILD/musl/itests/tlsprobe $BUILD/asan/itests/tlsprobe"
for p in $PROBES; do
	[ -x "$p" ] || { bad "missing $p (make test-build)"; finish; exit 1; }
done

# the server stops by itself after 300 s even if this script is killed
NGINX_TTL=300 nginx_up

# A listener that never accepts and never answers: connect completes through
# the backlog, then the handshake must time out. Stops by itself after 60 s.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
time.sleep(60)' > "$W/silent.port" 2>/dev/null &
PIDS="$PIDS $!"
i=0
while [ ! -s "$W/silent.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
SILENT=$(cat "$W/silent.port")

# A chain whose intermediate is not a CA (basicConstraints CA:FALSE), served
# by OpenSSL's s_server on 127.0.0.1: root -> notca -> test.invalid. It
# answers 3 handshakes (the two probes, one digest) and stops, or after 120 s.
N=$W/notca
mkdir -p "$N"
ec() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "$@" 2>/dev/null; }
ec -x509 -keyout "$N/root.key" -out "$N/root.pem" -days 30 -subj /CN=root \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
ec -new -keyout "$N/int.key" -out "$N/int.csr" -subj /CN=notca
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyCertSign\n' > "$N/int.ext"
openssl x509 -req -in "$N/int.csr" -CA "$N/root.pem" -CAkey "$N/root.key" -days 30 \
	-extfile "$N/int.ext" -out "$N/int.pem" 2>/dev/null
ec -new -keyout "$N/leaf.key" -out "$N/leaf.csr" -subj /CN=test.invalid
printf 'basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:test.invalid\nextendedKeyUsage=serverAuth\n' > "$N/leaf.ext"
openssl x509 -req -in "$N/leaf.csr" -CA "$N/int.pem" -CAkey "$N/int.key" -days 30 \
	-extfile "$N/leaf.ext" -out "$N/leaf.pem" 2>/dev/null
timeout 120 openssl s_server -accept 127.0.0.1:0 -cert "$N/leaf.pem" -key "$N/leaf.key" \
	-cert_chain "$N/int.pem" -naccept 3 -www </dev/null >"$N/server.out" 2>&1 &
PIDS="$PIDS $!"
i=0
while ! grep -q '^ACCEPT' "$N/server.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
NOTCA=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$N/server.out")
[ -n "$NOTCA" ] || { bad "s_server: $(cat "$N/server.out")"; finish; exit 1; }

# Does the TLS 1.0 server really speak TLS 1.0 (and nothing newer)? Otherwise
# the negative case proves nothing: skip it with the reason.
TLS10=yes
if ! echo | timeout 10 openssl s_client -connect "127.0.0.1:$NGINX_PORT_TLS10" -tls1 \
    -cipher 'DEFAULT:@SECLEVEL=0' 2>&1 | grep -q 'Protocol *: TLSv1$'; then
	TLS10="skipped: this OpenSSL will not serve TLS 1.0 even at @SECLEVEL=0"
	echo "tls.sh: TLS 1.0 case $TLS10" >&2
fi

T=test.invalid
C=codeload.test.invalid
for P in $PROBES; do
	f=$(basename "$(dirname "$(dirname "$P")")")
	R="--resolve $T:$NGINX_PORT:127.0.0.1 --resolve $C:$NGINX_PORT:127.0.0.1"

	# trusted through --cacert; body bytes equal to the served file
	if expect_ok "$f ok" "$P" $R --cacert "$NGINX_CA" -o "$W/hello" $T "$NGINX_PORT" /hello.txt; then
		grep -qx 'HTTP/1.1 200 OK' "$W/out" && grep -qx 'body 17 bytes' "$W/out" &&
		    cmp -s "$W/hello" "$NGINX_WWW/hello.txt" && ok ||
		    bad "$f ok: $(cat "$W/out")"
	fi
	# SNI picks the second name's (EC) certificate; 300 kB, many records
	if expect_ok "$f sni" env SSL_CERT_FILE="$NGINX_CA" "$P" $R -o "$W/rand" $C "$NGINX_PORT" /random.bin; then
		grep -qx 'body 300000 bytes' "$W/out" && cmp -s "$W/rand" "$NGINX_WWW/random.bin" && ok ||
		    bad "$f sni: $(cat "$W/out")"
	fi
	# a 404 is still a working TLS session
	expect_ok "$f 404" "$P" $R --cacert "$NGINX_CA" $T "$NGINX_PORT" /nope &&
	    { grep -q '^HTTP/1.1 404' "$W/out" && ok || bad "$f 404: $(cat "$W/out")"; }

	# trust: built-ins alone, and an unrelated CA, do not trust the test CA
	expect_fail "$f untrusted" 1 "$T:$NGINX_PORT: TLS: server certificate is untrusted" \
	    env -u SSL_CERT_FILE "$P" $R $T "$NGINX_PORT" /hello.txt
	expect_fail "$f other CA" 1 "server certificate is untrusted" \
	    "$P" $R --cacert "$NGINX_OTHER_CA" $T "$NGINX_PORT" /hello.txt
	expect_fail "$f wrong name" 1 "$T:$NGINX_PORT_WRONG: TLS: server certificate does not match the host name" \
	    "$P" --resolve "$T:$NGINX_PORT_WRONG:127.0.0.1" --cacert "$NGINX_CA" $T "$NGINX_PORT_WRONG" /
	# by address: no SNI, the certificate's iPAddress entry is checked
	# (BearSSL itself matches DNS names only)
	if expect_ok "$f by address" "$P" --cacert "$NGINX_CA" -o "$W/hello-ip" 127.0.0.1 "$NGINX_PORT" /hello.txt; then
		cmp -s "$W/hello-ip" "$NGINX_WWW/hello.txt" && ok || bad "$f by address: $(cat "$W/out")"
	fi
	expect_fail "$f address not in the certificate" 1 "127.0.0.1:$NGINX_PORT_WRONG: TLS: server certificate does not match the host name" \
	    "$P" --cacert "$NGINX_CA" 127.0.0.1 "$NGINX_PORT_WRONG" /
	expect_fail "$f expired" 1 "TLS: server certificate expired or not yet valid" \
	    "$P" --resolve "$T:$NGINX_PORT_EXPIRED:127.0.0.1" --cacert "$NGINX_CA" $T "$NGINX_PORT_EXPIRED" /
	# which certificate problem, in words: not "BearSSL X.509 error 58"
	expect_fail "$f issuer not a CA" 1 "$T:$NOTCA: TLS: server certificate's issuer is not a CA (127.0.0.1:$NOTCA, a certificate that signs another lacks CA:TRUE, or its path length limit is exceeded)" \
	    "$P" --resolve "$T:$NOTCA:127.0.0.1" --cacert "$N/root.pem" $T "$NOTCA" /
	if [ "$TLS10" = yes ]; then
		expect_fail "$f tls1.0" 1 "TLS: .*\(handshake failed\|TLS 1.2\).*TLS 1.2" \
		    "$P" --resolve "$T:$NGINX_PORT_TLS10:127.0.0.1" --cacert "$NGINX_CA" $T "$NGINX_PORT_TLS10" /
	fi

	# socket errors
	expect_fail "$f refused" 1 "$T:$NGINX_PORT_CLOSED: connection refused (127.0.0.1:$NGINX_PORT_CLOSED)" \
	    "$P" --resolve "$T:$NGINX_PORT_CLOSED:127.0.0.1" $T "$NGINX_PORT_CLOSED" /
	t0=$(date +%s)
	expect_fail "$f silent (stall)" 1 "read timed out (127.0.0.1:$SILENT, nothing for 1000 ms)" \
	    "$P" --timeout 1000 --resolve "$T:$SILENT:127.0.0.1" $T "$SILENT" /
	t1=$(date +%s)
	[ $((t1 - t0)) -le 5 ] && ok || bad "$f silent: took $((t1 - t0)) s for a 1 s limit"
	expect_fail "$f silent (deadline)" 1 "read timed out (127.0.0.1:$SILENT, deadline passed)" \
	    "$P" --timeout 20000 --deadline 1500 --resolve "$T:$SILENT:127.0.0.1" $T "$SILENT" /
	t2=$(date +%s)
	[ $((t2 - t1)) -le 5 ] && ok || bad "$f deadline: took $((t2 - t1)) s for a 1.5 s deadline"

	# anchor files: errors name the file
	printf 'not a certificate\n' > "$W/junk.pem"
	expect_fail "$f junk CA file" 1 "$W/junk.pem: no certificates in CA file" \
	    env SSL_CERT_FILE="$W/junk.pem" "$P" $R $T "$NGINX_PORT" /
	expect_fail "$f missing CA file" 1 "$W/none.pem: no such file" \
	    "$P" $R --cacert "$W/none.pem" $T "$NGINX_PORT" /
	# nothing was fetched by the failing cases above
	[ ! -s "$W/out" ] && ok || bad "$f: output after failure: $(cat "$W/out")"
done
# and as a user of the command sees it
expect_fail "digest: issuer not a CA" 1 "^repodigest: https://$T:$NOTCA/x.tar.gz: TLS: server certificate's issuer is not a CA (127.0.0.1:$NOTCA, a certificate that signs another lacks CA:TRUE" \
	"$BIN" digest --resolve "$T:$NOTCA:127.0.0.1" --cacert "$N/root.pem" "https://$T:$NOTCA/x.tar.gz"
finish
