#!/bin/sh
# serve.sh - the service's network half (src/serve) against independent
# clients on 127.0.0.1, through the probe server (serve_probe.c: demo routes
# and a synthetic event thread, a test harness), for each build in PROBES
# (default: the musl and ASan+UBSan probes; tests/run adds the TSan one):
#   - curl: JSON answers and errors, 404/405/413/415, HEAD, keep-alive
#     reuse, chunked uploads, deferred answers, the original routes' bodies
#   - the token: 401 without it, Bearer and ?access_token where allowed, the
#     token never in the log, the listen rule (exit 2 naming the variable)
#   - raw sockets (python): malformed requests get their 4xx and a close and
#     disturb no one; slowloris 408; idle close; handler timeout 503
#   - curl -N: Server-Sent Events
#   - python3-websockets 10.4: subscribe, events in order, pings, close;
#     raw malformed frames get 1002/1007/1009
#   - 1,000 idle connections do not slow a probe client; the connection cap
#   - a slow subscriber is dropped (1008) while a fast one gets every event
#   - webhooks signed with Python's hmac accepted, others refused
#   - SIGTERM: WebSocket clients get 1001, the server exits 0
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.inc
PROBES=${PROBES:-"build/musl/itests/serve_probe build/asan/itests/serve_probe"}
PY=/usr/bin/python3
CLIENT=tests/integration/serve_client.py
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
for p in $PROBES; do [ -x "$p" ] || { bad "missing $p"; finish; exit 1; }; done
scripts/setup curl python3 python3-websockets >"$W/setup.log" 2>&1 ||
	{ bad "setup: $(tail -3 "$W/setup.log")"; finish; exit 1; }

# start NAME PROBE [ARGS]: run it in the background (stderr to $W/NAME.log),
# wait for its port; sets PORT and PID
start() {
	n=$1 probe=$2; shift 2
	rm -f "$W/$n.port"
	"$probe" --port-file "$W/$n.port" --ttl 240 "$@" 2>"$W/$n.log" &
	PID=$!
	PIDS="$PIDS $PID"
	i=0
	while [ ! -s "$W/$n.port" ] && [ $i -lt 100 ]; do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
	PORT=$(cat "$W/$n.port" 2>/dev/null)
	[ -n "$PORT" ] || { bad "$n: did not start: $(tail -3 "$W/$n.log")"; return 1; }
}

# stop PID: SIGTERM, then it must exit 0 within 15 s
stop() {
	kill -TERM "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
	if kill -0 "$1" 2>/dev/null; then
		bad "pid $1 still running 15 s after SIGTERM"; kill -9 "$1"
	fi
	wait "$1" 2>/dev/null
	rc=$?
	[ "$rc" -eq 0 ] && ok || bad "exit $rc after SIGTERM"
}

# py NAME ARGS...: a serve_client.py part; its ok/bad lines are counted
py() {
	n=$1; shift
	timeout 120 $PY "$CLIENT" "$@" >"$W/py.out" 2>&1
	rc=$?
	k=$(grep -c '^ok ' "$W/py.out")
	pass=$((pass + k))
	grep '^bad ' "$W/py.out" | while read -r l; do echo "FAIL serve.sh: $n: $l" >&2; done
	fail=$((fail + $(grep -c '^bad ' "$W/py.out")))
	if [ "$rc" -ne 0 ] && ! grep -q '^bad ' "$W/py.out"; then
		bad "$n: exit $rc: $(tail -3 "$W/py.out")"
	fi
	[ "$k" -gt 0 ] || bad "$n: no checks ran: $(tail -3 "$W/py.out")"
}

# expect NAME WANT_STATUS PATTERN CURL_ARGS...: one curl request
expect() {
	n=$1 want=$2 pat=$3; shift 3
	code=$(curl -sS -o "$W/body" -w '%{http_code}' --max-time 10 "$@" 2>"$W/curl.err")
	if [ "$code" != "$want" ]; then
		bad "$n: status $code, want $want: $(head -c 300 "$W/body") $(cat "$W/curl.err")"
	elif ! grep -q -- "$pat" "$W/body"; then
		bad "$n: body lacks '$pat': $(head -c 300 "$W/body")"
	else
		ok
	fi
}

for PROBE in $PROBES; do
	tag=$(basename "$(dirname "$(dirname "$PROBE")")")
	# ------------------------------------------------ open server
	start "$tag-open" "$PROBE" --request-ms 1500 --idle-ms 2000 \
	    --handler-ms 1500 || continue
	open_pid=$PID
	U=http://127.0.0.1:$PORT
	expect "$tag healthz" 200 '"status":"ok"' "$U/healthz"
	expect "$tag 404 shape" 404 '{"error":{"code":"not_found","message":"GET /nope: no such route"}}' "$U/nope"
	expect "$tag 405" 405 '"method_not_allowed"' -X PUT "$U/healthz"
	curl -sS -i -X PUT --max-time 10 "$U/v1/jobs" | tr -d '\r' | grep -q '^Allow: POST$' && ok ||
		bad "$tag 405 Allow header"
	curl -sS -I --max-time 10 "$U/healthz" >"$W/head" 2>&1
	grep -q '^Content-Length: 15' "$W/head" && ok || bad "$tag HEAD: $(cat "$W/head")"
	expect "$tag job" 202 '"repository":"octo/hello","ref":"dev","formats":\["full","chunks"\],"priority":5' \
	    --json '{"repo":"https://github.com/octo/hello","ref":"dev","formats":["chunks","full"],"priority":5}' "$U/v1/jobs"
	expect "$tag job: three repo forms" 202 '"repository":"o/r"' --json '{"repo":"github.com/o/r"}' "$U/v1/jobs"
	expect "$tag job: bad repo named" 400 '"message":"repo: ' --json '{"repo":"not a repo"}' "$U/v1/jobs"
	expect "$tag job: unknown field named" 400 'formt: unknown field' --json '{"repo":"o/r","formt":["full"]}' "$U/v1/jobs"
	expect "$tag job: bad format named" 400 'unknown format \\"pdf\\"' --json '{"repo":"o/r","formats":["pdf"]}' "$U/v1/jobs"
	expect "$tag job: not JSON" 400 'want one JSON object' --json '{"repo":' "$U/v1/jobs"
	expect "$tag job: form-encoded refused" 415 'application/json' -d '{"repo":"o/r"}' "$U/v1/jobs"
	expect "$tag capture" 200 '"jobId":"abc-1"' "$U/v1/jobs/abc-1"
	expect "$tag ingest (original route)" 202 '"status":"queued","message":"GitHub ingest job queued","project":"default","dataset":"hello","repository":"octo/hello","branch":"main","scope":"project"' \
	    --json '{"repo":"github.com/octo/hello","branch":"main"}' "$U/projects/default/ingest/github"
	expect "$tag ingest delete" 404 'nothing ingested' -X DELETE --json '{"dataset":"hello"}' "$U/projects/default/ingest/github"
	expect "$tag delete without a field" 400 'dataset: missing' -X DELETE --json '{}' "$U/projects/default/ingest/github"
	head -c 70000 /dev/zero | tr '\0' 'a' >"$W/big"
	expect "$tag body over the limit" 413 'body_too_large' --data-binary @"$W/big" "$U/test/echo"
	head -c 50000 /dev/zero | tr '\0' 'b' >"$W/mid"
	expect "$tag chunked upload" 200 '{"bytes":50000}' -H 'Transfer-Encoding: chunked' --data-binary @"$W/mid" "$U/test/echo"
	expect "$tag deferred answer" 200 '"answered":"later"' "$U/test/later?ms=300"
	curl -sS -v --max-time 10 "$U/healthz" "$U/v1/jobs/k" >"$W/two" 2>&1
	grep -q 'Re-using existing connection' "$W/two" && ok || bad "$tag keep-alive: $(grep -i connect "$W/two")"
	# SSE with curl -N: a snapshot, then the events the thread posts
	curl -sS -N --max-time 4 "$U/v1/jobs/s1/events" >"$W/sse" 2>/dev/null &
	cpid=$!
	sleep 0.5
	curl -sS --max-time 5 "$U/test/emit?n=3&job=s1" >/dev/null
	wait $cpid
	[ "$(grep -c '^event: progress$' "$W/sse")" -eq 3 ] &&
	grep -q '^event: snapshot$' "$W/sse" &&
	grep -q '^data: {"jobId":"s1","status":"running",.*"currentFile":"src/\\"quoted\\"\\n.c","seq":2' "$W/sse" &&
	grep -q '^retry: ' "$W/sse" && ok || bad "$tag SSE: $(head -c 600 "$W/sse")"
	expect "$tag SSE: 404 for a bad id" 404 'no such job' "$U/v1/jobs/a%20b/events"
	py "$tag raw" raw "$PORT"
	py "$tag slowloris" slowloris "$PORT" 1500 2000
	py "$tag ws" ws "$PORT"
	py "$tag frames" frames "$PORT"
	py "$tag no webhook secret" nohook "$PORT"
	# one JSON line per request, with method, path, status and ms
	grep -q '"message":"request","context":{"operation":"http","metadata":{"method":"GET","path":"/healthz","status":"200","ms":"[0-9]*"}}}' \
	    "$W/$tag-open.log" && ok || bad "$tag request log line: $(head -2 "$W/$tag-open.log")"
	# SIGTERM with a WebSocket client connected: 1001, exit 0
	rm -f "$W/ready"
	timeout 60 $PY "$CLIENT" shutdown "$PORT" "$W/ready" >"$W/sd.out" 2>&1 &
	spid=$!
	i=0; while [ ! -s "$W/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	stop "$open_pid"
	wait $spid
	grep -q '^ok shutdown' "$W/sd.out" && ok || bad "$tag shutdown: $(cat "$W/sd.out")"

	# ------------------------------------------------ token and webhooks
	TOKEN=tok-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	SECRET=whs-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	export REPODIGEST_API_TOKEN="$TOKEN" REPODIGEST_WEBHOOK_SECRET="$SECRET"
	start "$tag-auth" "$PROBE"
	rc=$?
	unset REPODIGEST_API_TOKEN REPODIGEST_WEBHOOK_SECRET
	[ $rc -eq 0 ] || continue
	auth_pid=$PID
	U=http://127.0.0.1:$PORT
	curl -sS -i --max-time 10 "$U/v1/jobs/x" | tr -d '\r' >"$W/401"
	grep -q '^HTTP/1.1 401' "$W/401" && grep -q '^WWW-Authenticate: Bearer' "$W/401" && ok ||
		bad "$tag 401: $(head -3 "$W/401")"
	expect "$tag open route" 200 ok "$U/healthz"
	expect "$tag page open" 200 'probe' "$U/"
	expect "$tag bearer" 200 '"jobId":"x"' -H "Authorization: Bearer $TOKEN" "$U/v1/jobs/x"
	expect "$tag wrong token" 401 'missing or wrong API token' -H "Authorization: Bearer ${TOKEN}x" "$U/v1/jobs/x"
	expect "$tag query token refused on REST" 401 unauthorized "$U/v1/jobs/x?access_token=$TOKEN"
	curl -sS -N --max-time 2 "$U/v1/jobs/q1/events?access_token=$TOKEN" >"$W/sse2" 2>/dev/null
	grep -q '^event: snapshot$' "$W/sse2" && ok || bad "$tag SSE with ?access_token: $(head -c 200 "$W/sse2")"
	py "$tag ws token" ws "$PORT" "$TOKEN"
	py "$tag ws auth" wsauth "$PORT" "$TOKEN"
	py "$tag webhooks" hook "$PORT" "$SECRET"
	stop "$auth_pid"
	if grep -q -- "$TOKEN" "$W/$tag-auth.log"; then bad "$tag: the token reached the log"; else ok; fi
	grep -q '"path":"/v1/jobs/q1/events"' "$W/$tag-auth.log" && ok ||
		bad "$tag: access_token not stripped from the logged path"

	# ------------------------------------------------ limits
	start "$tag-cap" "$PROBE" --max-conns 50 || continue
	py "$tag cap" cap "$PORT" 50
	stop "$PID"
	start "$tag-load" "$PROBE" --sub-out-max 65536 --write-ms 3000 || continue
	py "$tag idle" idle "$PORT" 1000
	py "$tag slow subscriber" slow "$PORT" 4000 1000
	stop "$PID"

	# ------------------------------------------------ the listen rule
	expect_fail "$tag listen off loopback, no token" 2 'REPODIGEST_API_TOKEN' \
	    env -u REPODIGEST_API_TOKEN "$PROBE" --listen 0.0.0.0:0 --ttl 1
	expect_fail "$tag listen: bad address" 2 'want ADDR:PORT' "$PROBE" --listen nowhere --ttl 1
	export REPODIGEST_API_TOKEN=t
	if start "$tag-any" "$PROBE" --listen 0.0.0.0:0; then
		expect "$tag listen off loopback with a token" 200 ok "http://127.0.0.1:$PORT/healthz"
		stop "$PID"
	fi
	unset REPODIGEST_API_TOKEN
done
finish
