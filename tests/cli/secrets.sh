#!/bin/sh
# secrets.sh BINARY - no error path of any command prints a secret. Every
# command (digest, run, report, index, query, help, an unknown one) is driven
# into its usage errors, set-up errors and failures with secrets planted
# where users put them: a URL's userinfo password (PASSWD1) and query token
# (TOKEN1) in sources, feeds, mirrors, --api-url, --s3-endpoint, s3://
# destinations, --state, --resume, --report, -o and --index; S3 keys and a
# session token, GITHUB_TOKEN and a proxy password in the environment. Each
# case must fail (so its error path ran), and neither its stderr nor its
# stdout (run's log) may hold any planted secret. Loopback only: the
# addresses are 127.0.0.1 on port 1, which refuses at once.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-build/repodigest}
. tests/cli/lib.inc
B=$BIN
set -f

export REPODIGEST_S3_ACCESS_KEY=AKIDPLANTED REPODIGEST_S3_SECRET_KEY=S3SECRETKEY
export REPODIGEST_S3_SESSION_TOKEN=SESSIONTOKEN REPODIGEST_S3_ENDPOINT=http://127.0.0.1:1
export GITHUB_TOKEN=GHTOKENPLANTED NO_PROXY=
SECRETS='PASSWD1|TOKEN1|S3SECRETKEY|SESSIONTOKEN|GHTOKENPLANTED|PROXYPASS'
U='u:PASSWD1@127.0.0.1:1'
Q='token=TOKEN1'
mkdir -p "$W/t"
printf 'hello\n' >"$W/t/README.md"
printf '[{"owner":"o","name":"r","url":"https://github.com/o/r"}]' >"$W/f.json"
printf '{"format":"repodigest-run-report/1","repos":[]}' >"$W/r.json"

# case NAME CMD...: fails (exit 1 or 2), and prints no secret
case_() {
	n=$1; shift
	timeout 60 "$@" >"$W/out" 2>"$W/err" </dev/null
	rc=$?
	if [ $rc -ne 1 ] && [ $rc -ne 2 ]; then bad "$n: exit $rc, want 1 or 2: $(head -2 "$W/err")"; return; fi
	if [ ! -s "$W/err" ]; then bad "$n: no error line"; return; fi
	if grep -E -- "$SECRETS" "$W/out" "$W/err" >"$W/leak"; then bad "$n: a secret printed: $(head -2 "$W/leak")"; return; fi
	ok
}

# --- digest
case_ "digest: source URL" "$B" digest "http://$U/x.tar.gz?$Q"
case_ "digest: mirror" "$B" digest o/r --archive-url "http://$U/{owner}/{repo}.tar.gz?$Q"
case_ "digest: bad template" "$B" digest o/r --archive-url "http://$U/{nope}?$Q"
case_ "digest: template scheme" "$B" digest o/r --archive-url "ftp://$U/{owner}/{repo}?$Q"
case_ "digest: --api-url" "$B" digest o/r --api-url "http://$U/?$Q"
case_ "digest: --out s3 userinfo" "$B" digest "$W/t" --repo o/r --out "s3://$U/p?$Q"
case_ "digest: --out s3 refused" "$B" digest "$W/t" --repo o/r --out "s3://bkt/p?$Q"
case_ "digest: --s3-endpoint" "$B" digest "$W/t" --repo o/r --out s3://bkt/p --s3-endpoint "http://$U/?$Q"
case_ "digest: --out needs a name" "$B" digest "$W/t" --out "s3://$U/p?$Q"
case_ "digest: -o" "$B" digest "$W/t" -o "http://$U/nodir/x?$Q"
case_ "digest: --report" "$B" digest "$W/t" -o "$W/x.txt" --report "http://$U/nodir/r?$Q"
case_ "digest: -b on a URL" "$B" digest "http://$U/x.tar.gz?$Q" -b main
HTTPS_PROXY="http://pu:PROXYPASS@127.0.0.1:1" case_ "digest: proxy" \
	"$B" digest "https://127.0.0.1:1/x.tar.gz?$Q"
HTTPS_PROXY="socks5://pu:PROXYPASS@127.0.0.1:1" case_ "digest: proxy scheme" \
	"$B" digest "https://127.0.0.1:1/x.tar.gz"
case_ "digest: unknown option" "$B" digest "$W/t" "--frob=http://$U/?$Q"

# --- run
R="--log-format text --state $W/st.json"
case_ "run: feed URL" "$B" run "http://$U/f.json?$Q" $R
case_ "run: mirror" "$B" run "$W/f.json" $R --out "$W/o" --archive-url "http://$U/{owner}/{repo}.tar.gz?$Q"
case_ "run: bad template" "$B" run "$W/f.json" $R --archive-url "http://$U/{nope}?$Q"
case_ "run: fixed template" "$B" run "$W/f.json" $R --archive-url "http://$U/x.tar.gz?$Q"
case_ "run: --api-url" "$B" run "$W/f.json" $R --api-url "http://$U/?$Q"
case_ "run: --out s3 userinfo" "$B" run "$W/f.json" $R --out "s3://$U/p?$Q" --archive-url "file://$W/m/{owner}/{repo}.tar.gz"
case_ "run: --out s3 refused" "$B" run "$W/f.json" $R --out "s3://bkt/p?$Q" --archive-url "file://$W/m/{owner}/{repo}.tar.gz"
case_ "run: --s3-endpoint" "$B" run "$W/f.json" $R --out s3://bkt/p --s3-endpoint "http://$U/?$Q"
case_ "run: --report s3" "$B" run "$W/f.json" $R --out "$W/o" --report "s3://$U/k?$Q"
case_ "run: --report s3 key" "$B" run "$W/f.json" $R --out "$W/o" --report "s3://bkt?$Q"
case_ "run: --state s3" "$B" run "$W/f.json" --log-format text --out "$W/o" --archive-url "file://$W/m/{owner}/{repo}.tar.gz" --state "s3://bkt/k?$Q"
case_ "run: --resume s3" "$B" run "$W/f.json" $R --out "$W/o" --resume "s3://$U/k?$Q"
case_ "run: --resume file" "$B" run "$W/f.json" $R --out "$W/o" --resume "http://$U/k?$Q"
case_ "run: --state = feed" "$B" run "$W/f.json" --state "$W/f.json" --report "http://$U/k?$Q"
case_ "run: bad shard" "$B" run "$W/f.json" $R --shard "http://$U/?$Q"

# --- report
case_ "report: s3 userinfo" "$B" report "s3://$U/k?$Q"
case_ "report: s3 refused" "$B" report "s3://bkt/k?$Q"
case_ "report: file" "$B" report "http://$U/k?$Q"
case_ "report: -o s3" "$B" report "$W/r.json" -o "s3://bkt/k?$Q"
case_ "report: -o file" "$B" report "$W/r.json" -o "http://$U/nodir/k?$Q"

# --- index and query
case_ "index: source URL" "$B" index --index "$W/ix.db" "http://$U/x.tar.gz?$Q"
case_ "index: s3 userinfo" "$B" index --index "$W/ix.db" "s3://$U/p?$Q"
case_ "index: s3 refused" "$B" index --index "$W/ix.db" "s3://bkt/p?$Q"
case_ "index: bad template" "$B" index --index "$W/ix.db" o/r --archive-url "http://$U/{nope}?$Q"
case_ "index: --index" "$B" index --index "http://$U/nodir/ix.db?$Q" "$W/t"
case_ "query: --index" "$B" query --index "http://$U/nodir/ix.db?$Q" words
case_ "query: unknown option" "$B" query "--frob=http://$U/?$Q" words

# --- the rest
case_ "unknown command" "$B" "http://$U/?$Q"
case_ "help of an unknown command" "$B" help "http://$U/?$Q"
case_ "version's argument" "$B" version "http://$U/?$Q"
finish
