#!/bin/sh
# trust.sh BINARY - the built-in trust store is Mozilla's server-auth roots from
# the pinned certdata.txt, and nothing of the build host's own CA store:
#   - the anchors are generated again (the Makefile's rule, into a scratch file)
#     inside a mount namespace whose /etc/ssl and /usr/local/share/ca-certificates
#     hold a throwaway CA made here (the real host's store is never touched); that
#     CA's key is absent from them, and present when given as CA_EXTRA (so the
#     search can see it), which a binary linked with them reports as "+1 extra";
#   - their count, and BINARY's `version`, equal the server-auth roots without a
#     server distrust-after date counted independently here (Python over
#     certdata.txt);
#   - against nginx on loopback whose chain ends in the test CA (not Mozilla's):
#     refused without --cacert, with one line naming the cause, accepted with
#     --cacert and with SSL_CERT_FILE.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
. tests/integration/nginx.inc
CERTDATA=vendor/src/ca-certificates/mozilla/certdata.txt
[ -f "$CERTDATA" ] || { bad "missing $CERTDATA (make vendor)"; finish; exit 1; }
command -v bwrap >/dev/null 2>&1 || scripts/setup bubblewrap >/dev/null 2>&1 ||
	{ bad "setup bubblewrap"; finish; exit 1; }

# ---- the independent count: certificates whose trust record makes them a
# server-auth delegator, matched by issuer and serial, without a date in
# CKA_NSS_SERVER_DISTRUST_AFTER
want=$(python3 - "$CERTDATA" <<'EOF'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
objs, cur, i, data = [], None, 0, False
while i < len(lines):
    line = lines[i]; i += 1
    if not data:
        data = line == "BEGINDATA"; continue
    if not line or line.startswith("#"):
        continue
    f = line.split(" ", 2)
    if f[0] == "CKA_CLASS":
        cur = {"class": f[2]}; objs.append(cur); continue
    if f[1] == "MULTILINE_OCTAL":
        v = []
        while lines[i] != "END":
            v.append(lines[i]); i += 1
        i += 1
        cur[f[0]] = "".join(v)
    else:
        cur[f[0]] = f[2] if len(f) > 2 else ""
key = lambda o: (o["CKA_ISSUER"], o["CKA_SERIAL_NUMBER"])
certs = {key(o): o for o in objs if o["class"] == "CKO_CERTIFICATE"}
n = 0
for t in objs:
    if t["class"] == "CKO_NSS_TRUST" and t.get("CKA_TRUST_SERVER_AUTH") == "CKT_NSS_TRUSTED_DELEGATOR":
        if certs[key(t)].get("CKA_NSS_SERVER_DISTRUST_AFTER", "CK_FALSE") == "CK_FALSE":
            n += 1
print(n)
EOF
)
[ "${want:-0}" -gt 100 ] && ok || bad "independent count of certdata.txt: '$want'"
echo "certdata.txt: $want server-auth roots without a distrust-after date"

"$B" version > "$W/version" 2>&1 || bad "version: $(cat "$W/version")"
grep -q "^trust: Mozilla roots (certdata.txt via Debian ca-certificates [0-9][^)]*), $want anchors\$" \
	"$W/version" && ok || bad "version does not name the store with $want anchors: $(cat "$W/version")"

# ---- a throwaway CA where a Debian host keeps its local CAs
mkdir -p "$W/local-ca" "$W/etc-ssl/certs" "$W/gen" "$W/gen-extra"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=repodigest throwaway local CA" \
	-keyout "$W/throwaway.key" -out "$W/local-ca/throwaway.crt" >/dev/null 2>&1 ||
	{ bad "openssl: throwaway CA"; finish; exit 1; }
# the host's bundle as update-ca-certificates would make it: its CAs, then the local one
cat /etc/ssl/certs/ca-certificates.crt "$W/local-ca/throwaway.crt" > "$W/etc-ssl/certs/ca-certificates.crt" 2>/dev/null ||
	cp "$W/local-ca/throwaway.crt" "$W/etc-ssl/certs/ca-certificates.crt"
cp "$W/local-ca/throwaway.crt" "$W/etc-ssl/certs/throwaway.pem"
modulus=$(openssl x509 -noout -modulus -in "$W/local-ca/throwaway.crt" | sed 's/^Modulus=//' | tr 'A-F' 'a-f')
[ ${#modulus} -eq 512 ] && ok || bad "throwaway modulus: $modulus"

# hexbytes FILE: every 0xNN byte of a generated anchors.c, one stream
hexbytes() { grep -o '0x[0-9a-f][0-9a-f]' "$1" | sed 's/^0x//' | tr -d '\n'; }

# the Makefile's own rule, in a namespace where the host's CA places hold the
# throwaway CA (bind mounts: the real /etc/ssl is left as it is); a make of its
# own, whatever variables the `make test` that runs this was given
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL
gen() {
	bwrap --dev-bind / / --bind "$W/etc-ssl" /etc/ssl \
		--bind "$W/local-ca" /usr/local/share/ca-certificates \
		sh -c 'test -f /usr/local/share/ca-certificates/throwaway.crt &&
			grep -q "BEGIN CERT" /etc/ssl/certs/throwaway.pem && exec "$@"' gen \
		make -s --no-print-directory "$@" >"$W/gen.log" 2>&1
}
if gen ANCHORS_C="$W/gen/anchors.c" TRUST_INPUTS="$W/gen/inputs" "$W/gen/anchors.c"; then
	ok
	hexbytes "$W/gen/anchors.c" > "$W/gen/hex"
	[ -s "$W/gen/hex" ] && ! grep -q "$modulus" "$W/gen/hex" && ok ||
		bad "the throwaway CA of the host's store is in the generated anchors"
	grep -q "^const size_t tls_builtin_anchors_count = $want;" "$W/gen/anchors.c" && ok ||
		bad "generated count: $(grep anchors_count "$W/gen/anchors.c"), want $want"
	grep -q '^const size_t tls_builtin_anchors_extra = 0;' "$W/gen/anchors.c" && ok || bad "extra count not 0"
	# the same as the build's own: nothing of the host's store differs between them
	cmp -s "$W/gen/anchors.c" build/gen/anchors.c && ok || bad "anchors differ from build/gen/anchors.c"
else
	bad "generating anchors: $(tail -5 "$W/gen.log")"
fi
# the control: given on purpose, the same CA is found, and counted apart
if gen ANCHORS_C="$W/gen-extra/anchors.c" TRUST_INPUTS="$W/gen-extra/inputs" \
    CA_EXTRA="$W/local-ca/throwaway.crt" "$W/gen-extra/anchors.c"; then
	hexbytes "$W/gen-extra/anchors.c" | grep -q "$modulus" && ok || bad "CA_EXTRA: the CA is not in the anchors"
	grep -q "^const size_t tls_builtin_anchors_count = $((want + 1));" "$W/gen-extra/anchors.c" &&
		grep -q '^const size_t tls_builtin_anchors_extra = 1;' "$W/gen-extra/anchors.c" && ok ||
		bad "CA_EXTRA counts: $(grep 'anchors_[ce]' "$W/gen-extra/anchors.c")"
	# a binary linked with them says so
	if musl-gcc -Isrc/base -Isrc/net -Ivendor/src/bearssl/inc -c "$W/gen-extra/anchors.c" -o "$W/anchors.o" &&
	    musl-gcc -static -o "$W/rd-extra" $(make -s --no-print-directory print-musl-objs) "$W/anchors.o" \
	    -pthread -lm 2>"$W/link.log"; then
		"$W/rd-extra" version | grep -q "^trust: Mozilla roots (.*), $want anchors +1 extra\$" && ok ||
			bad "version with CA_EXTRA: $("$W/rd-extra" version)"
	else
		bad "linking with CA_EXTRA anchors: $(tail -3 "$W/link.log")"
	fi
else
	bad "generating anchors with CA_EXTRA: $(tail -5 "$W/gen.log")"
fi
# a missing CA_EXTRA file is one clear error, not a silent build without it
gen ANCHORS_C="$W/gen-none/anchors.c" TRUST_INPUTS="$W/gen-none/inputs" CA_EXTRA="$W/none.pem" \
	"$W/gen-none/anchors.c" && bad "CA_EXTRA of a missing file built" ||
	{ grep -q "CA_EXTRA=$W/none.pem: cannot read it" "$W/gen.log" && ok || bad "CA_EXTRA missing: $(tail -3 "$W/gen.log")"; }

# ---- a server whose chain ends in a CA that is not Mozilla's
NGINX_TTL=120 nginx_up
mkdir -p "$W/tree/t"
printf 'hello\n' > "$W/tree/t/hello.txt"
tar -czf "$NGINX_WWW/t.tar.gz" -C "$W/tree" t
R="--resolve test.invalid:$NGINX_PORT:127.0.0.1"
URL="https://test.invalid:$NGINX_PORT/t.tar.gz"
expect_fail "untrusted" 1 \
	"^repodigest: $URL: TLS: server certificate is untrusted (unknown CA) (127.0.0.1:$NGINX_PORT, its chain ends in a CA outside Mozilla's roots and --cacert/SSL_CERT_FILE)\$" \
	env -u SSL_CERT_FILE "$B" digest -q $R "$URL"
[ ! -s "$W/out" ] && ok || bad "untrusted: output written"
expect_ok "--cacert" "$B" digest -q $R --cacert "$NGINX_CA" "$URL" &&
	{ grep -q '^hello$' "$W/out" && ok || bad "--cacert: digest lacks the file"; }
expect_ok "SSL_CERT_FILE" env SSL_CERT_FILE="$NGINX_CA" "$B" digest -q $R "$URL" &&
	{ grep -q '^hello$' "$W/out" && ok || bad "SSL_CERT_FILE: digest lacks the file"; }
finish
