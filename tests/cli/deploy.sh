#!/bin/sh
# deploy.sh BINARY - the deployment examples in deploy/ stay true to the binary:
# valid against the Kubernetes API schema (scripts/kube-validate, offline),
# every option they pass is one `repodigest run` (serve.yaml: `serve`) knows,
# every variable they set
# is documented, the shard and grace settings agree with what the platform does
# (Kubernetes' completions and 30 s termination grace, Cloud Run's SIGKILL 10 s
# after SIGTERM), Pod Security "restricted", per-index retries and a failure
# policy, and objects at gitingest/{owner}/{repo}/summary.txt.
BIN=$1
. "$(dirname "$0")/lib.inc"
cd "$(dirname "$0")/../.." || exit 1
# Debian's python3 with PyYAML (python3-yaml)
PY=/usr/bin/python3
scripts/setup python3-yaml >"$W/setup.log" 2>&1 || { bad "setup python3-yaml: $(tail -2 "$W/setup.log")"; finish; exit 1; }
"$BIN" run --help > "$W/help" 2>&1 || bad "run --help"

# check.py FILE KIND: prints one line per finding, "ok" lines counted as passes
cat > "$W/check.py" <<'PYEOF'
import re, sys, yaml
path, kind, helpf, readme = sys.argv[1:5]
helptext = open(helpf).read()
readmetext = open(readme).read()
def out(ok, what):
    print(("ok " if ok else "bad ") + what)
try:
    doc = yaml.safe_load(open(path))
    out(True, "yaml")
except Exception as e:
    out(False, "yaml: %s" % e); sys.exit(0)
if kind == "k8s":
    job = doc["spec"]; pod = job["template"]["spec"]
else:
    job = doc["spec"]["template"]["spec"]; pod = job["template"]["spec"]
c = pod["containers"][0]
args = c["args"]
out(args[0] == "run", "first argument is the run command")
opts = [a for a in args if a.startswith("--")]
for o in opts:
    out(re.search(r"(^|[ ,])" + re.escape(o) + r"\b", helptext) is not None,
        "option %s is in run --help" % o)
env = {e["name"]: e for e in c.get("env", [])}
for n in env:
    out(("`%s`" % n) in readmetext, "variable %s is documented in README.md" % n)
def argval(name):
    return args[args.index(name) + 1] if name in args else None
if kind == "k8s":
    out(job.get("completionMode") == "Indexed", "Indexed completion mode")
    out(env.get("REPODIGEST_SHARDS", {}).get("value") == str(job["completions"]),
        "REPODIGEST_SHARDS equals completions")
    out(job["parallelism"] <= job["completions"], "parallelism <= completions")
    grace = int(argval("--grace") or 25)
    out(grace < pod["terminationGracePeriodSeconds"],
        "--grace below terminationGracePeriodSeconds")
    out(pod["restartPolicy"] == "Never", "restartPolicy Never")
    psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
    out(psc.get("runAsNonRoot") is True or csc.get("runAsNonRoot") is True, "runAsNonRoot")
    out(psc.get("runAsUser") == 65534, "runs as the image's user 65534")
    out((csc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault",
        "seccompProfile RuntimeDefault")
    out(csc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation false")
    out(csc.get("capabilities", {}).get("drop") == ["ALL"], "capabilities drop ALL")
    out(csc.get("readOnlyRootFilesystem") is True, "read-only root")
    out(isinstance(job.get("backoffLimitPerIndex"), int) and isinstance(job.get("maxFailedIndexes"), int),
        "backoffLimitPerIndex and maxFailedIndexes")
    rules = job.get("podFailurePolicy", {}).get("rules", [])
    out(any(r["action"] == "FailJob" and r.get("onExitCodes", {}).get("operator") == "In"
            and 2 in r["onExitCodes"].get("values", []) for r in rules), "exit 2 (usage) fails the job")
    out(any(r["action"] == "Ignore" and any(p.get("type") == "DisruptionTarget"
            for p in r.get("onPodConditions", [])) for r in rules), "DisruptionTarget ignored")
    for f in ("ttlSecondsAfterFinished", "activeDeadlineSeconds"):
        out(isinstance(job.get(f), int) and job[f] > 0, f)
    res = c.get("resources", {})
    out("memory" in res.get("requests", {}) and "memory" in res.get("limits", {}), "memory request and limit")
    mounts = [m["mountPath"] for m in c.get("volumeMounts", [])]
    for f in ("--state", "--report"):
        v = argval(f)
        if v and not v.startswith("s3://"):
            out(any(v.startswith(m.rstrip("/") + "/") for m in mounts),
                "%s %s is on a mounted volume" % (f, v))
v = argval("--report")
if v and v.startswith("s3://"):
    # one object per pod or task: the same argument everywhere, so the key
    # must carry the shard index
    out("{shard}" in v, "--report %s has {shard} in its key" % v)
else:
    out(job["parallelism"] <= job["taskCount"], "parallelism <= taskCount")
    # Cloud Run: SIGKILL 10 s after SIGTERM; the state and report need ~2 s
    grace = argval("--grace")
    out(grace is not None and int(grace) <= 8, "--grace %s <= 8 (SIGKILL 10 s after SIGTERM)" % grace)
    out("REPODIGEST_SHARDS" not in env, "no REPODIGEST_SHARDS (Cloud Run gives the count)")
    v = argval("--state")
    out(v is None or v.startswith("/work/") or v.startswith("/tmp/"),
        "--state is in a directory the image makes writable")
# repodigest adds gitingest/ itself: the bucket layout is gitingest/{owner}/{repo}/
v = argval("--out") or ""
out(v.startswith("s3://") and "gitingest" not in v, "--out %s: objects at gitingest/{owner}/{repo}/summary.txt" % v)
for n in ("R2_ENDPOINT", "R2_ACCESS_KEY", "R2_SECRET_KEY"):
    out(n in env and "valueFrom" in env[n], "%s comes from a secret" % n)
PYEOF
for f in "kubernetes-indexed-job.yaml k8s" "cloud-run-job.yaml cloudrun"; do
	set -- $f
	"$PY" "$W/check.py" "deploy/$1" "$2" "$W/help" README.md > "$W/res" 2>&1 || bad "$1: check.py failed: $(tail -2 "$W/res")"
	[ -s "$W/res" ] || bad "$1: no findings"
	while read -r st what; do
		if [ "$st" = ok ]; then ok; else bad "$1: $what"; fi
	done < "$W/res"
done

# deploy/serve.yaml: the service's StatefulSet
"$BIN" serve --help > "$W/shelp" 2>&1 || bad "serve --help"
cat > "$W/serve.py" <<'PYEOF'
import re, sys, yaml
path, helpf, readme = sys.argv[1:4]
helptext, readmetext = open(helpf).read(), open(readme).read()
def out(ok, what):
    print(("ok " if ok else "bad ") + what)
docs = list(yaml.safe_load_all(open(path)))
kinds = {d["kind"]: d for d in docs}
out(set(kinds) == {"StatefulSet", "Service"}, "a StatefulSet and a Service")
ss = kinds["StatefulSet"]["spec"]; pod = ss["template"]["spec"]; c = pod["containers"][0]
args = c["args"]
def argval(name):
    return args[args.index(name) + 1] if name in args else None
out(args[0] == "serve", "first argument is the serve command")
for o in [a for a in args if a.startswith("--")]:
    out(re.search(r"(^|[ ,])" + re.escape(o) + r"\b", helptext) is not None,
        "option %s is in serve --help" % o)
out(ss["replicas"] == 1, "one replica (one writer per job table)")
env = {e["name"]: e for e in c.get("env", [])}
for n in env:
    out(("`%s`" % n) in readmetext, "variable %s is documented in README.md" % n)
tok = env.get("REPODIGEST_API_TOKEN", {})
out("secretKeyRef" in tok.get("valueFrom", {}) and not tok["valueFrom"]["secretKeyRef"].get("optional"),
    "the API token from a Secret, not optional (off loopback it is required)")
listen = argval("--listen") or ""
port = int(listen.rsplit(":", 1)[1]) if ":" in listen else 3030
out(listen.startswith("0.0.0.0:"), "listens on every address (the pod's)")
cports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
out(port in cports.values(), "containerPort is the --listen port")
lp, rp = c.get("livenessProbe", {}).get("httpGet", {}), c.get("readinessProbe", {}).get("httpGet", {})
out(lp.get("path") == "/healthz", "liveness probe on /healthz")
out(rp.get("path") == "/readyz", "readiness probe on /readyz")
for p in (lp, rp):
    out(cports.get(p.get("port"), p.get("port")) == port, "probe port %s is the service's" % p.get("port"))
mounts = [m["mountPath"] for m in c.get("volumeMounts", [])]
for f in ("--db", "--index"):
    v = argval(f)
    out(v is not None and any(v.startswith(m.rstrip("/") + "/") for m in mounts),
        "%s %s is on a mounted volume" % (f, v))
claims = [t["metadata"]["name"] for t in ss.get("volumeClaimTemplates", [])]
out(all(m["name"] in claims for m in c.get("volumeMounts", [])), "the volume is a claim of its own")
grace = int(argval("--grace") or 25)
out(grace < pod["terminationGracePeriodSeconds"], "--grace below terminationGracePeriodSeconds")
psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
out(psc.get("runAsNonRoot") is True, "runAsNonRoot")
out(psc.get("runAsUser") == 65534, "runs as the image's user 65534")
out((csc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault",
    "seccompProfile RuntimeDefault")
out(csc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation false")
out(csc.get("capabilities", {}).get("drop") == ["ALL"], "capabilities drop ALL")
out(csc.get("readOnlyRootFilesystem") is True, "read-only root")
res = c.get("resources", {})
out("memory" in res.get("requests", {}) and "memory" in res.get("limits", {}), "memory request and limit")
svc = kinds["Service"]["spec"]
out(svc["selector"] == ss["selector"]["matchLabels"], "the Service selects the pod")
out(all(p.get("targetPort") in cports or p.get("targetPort") == port for p in svc["ports"]),
    "the Service targets the service's port")
v = argval("--out") or ""
out(v.startswith("s3://") and "gitingest" not in v, "--out %s: objects at gitingest/{owner}/{repo}/" % v)
for n in ("R2_ENDPOINT", "R2_ACCESS_KEY", "R2_SECRET_KEY"):
    out(n in env and "valueFrom" in env[n], "%s comes from a secret" % n)
PYEOF
"$PY" "$W/serve.py" deploy/serve.yaml "$W/shelp" README.md > "$W/res" 2>&1 || bad "serve.yaml: serve.py failed: $(tail -2 "$W/res")"
[ -s "$W/res" ] || bad "serve.yaml: no findings"
while read -r st what; do
	if [ "$st" = ok ]; then ok; else bad "serve.yaml: $what"; fi
done < "$W/res"

# the Kubernetes API schema, offline (pinned npm packages)
# (its findings on stdout; set-up messages and npm's errors on stderr)
scripts/kube-validate deploy/kubernetes-indexed-job.yaml deploy/cloud-run-job.yaml deploy/serve.yaml > "$W/kv" 2>"$W/kv.err"
rc=$?
[ $rc -eq 0 ] || [ -s "$W/kv" ] || bad "kube-validate: exit $rc: $(tail -3 "$W/kv.err")"
[ -s "$W/kv" ] || [ $rc -ne 0 ] || bad "kube-validate printed nothing"
while read -r st what; do
	if [ "$st" = ok ]; then ok; else bad "schema: $what"; fi
done < "$W/kv"
# ---- the image run with exactly each manifest's args and env, for every index
# (tests/integration/image.inc): the feed and the GitHub downloads come from
# nginx on loopback (the feed argument is the one thing replaced: by the example
# feed over HTTPS; --archive-url, --resolve and --cacert are added to reach the
# mirror), the secrets are radosgw's, and each pod or task gets what its platform
# sets: JOB_COMPLETION_INDEX, or CLOUD_RUN_TASK_INDEX + CLOUD_RUN_TASK_COUNT, and
# a fresh /work (emptyDir). Every repository of the feed must land once, at
# gitingest/{owner}/{repo}/summary.txt in the manifests' bucket, and the shard
# reports in the bucket must merge into a complete batch.
if readelf -l "$BIN" 2>/dev/null | grep -q INTERP; then
	# the ASan build links glibc dynamically: the image holds the static one
	echo "skip: running the image with each manifest (not with $BIN, a dynamic build)"
	finish; exit $?
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "skip: running the image with each manifest (needs root: the image runs under bwrap as its own users)"
	finish; exit $?
fi
chmod 0755 "$W"
. tests/integration/image.inc
. tests/integration/s3srv.inc
. scripts/hermetic-env.inc
hermetic_env
. tests/integration/nginx.inc
trap 's3srv_stop; cleanup' EXIT
"$S3SRV" install >"$W/install.log" 2>&1 || { bad "s3-server install: $(tail -3 "$W/install.log")"; finish; exit 1; }
# nginx first: radosgw, slow to start, starts in the background afterwards
# (while the image is unpacked)
NGINX_TTL=600 nginx_up python3-boto3
S3_SERVER_TTL=600 "$S3SRV" start "$W/s3" >"$W/s3.env" 2>"$W/s3.err" &
s3pid=$!
image_unpack "$BIN" || { bad "image: $(tail -3 "$W/image.log")"; wait $s3pid; finish; exit 1; }
cp examples/repos.json "$NGINX_WWW/repos.json"
MIRROR_FIXTURES=project scripts/make-mirror examples/repos.json "$NGINX_WWW/mirror" >/dev/null || bad "make-mirror"
mkdir -p "$W/root/tmp/data"
cp "$NGINX_CA" "$W/root/tmp/data/ca.pem"
chmod -R a+rX "$W/root/tmp/data"
wait $s3pid || { bad "s3-server: $(tail -3 "$W/s3.err")"; finish; exit 1; }
. "$W/s3.env"
H=test.invalid:$NGINX_PORT
EXTRA="--archive-url https://$H/mirror/{owner}/{repo}.tar.gz --resolve $H:127.0.0.1 --cacert /tmp/data/ca.pem"
want=$(cd "$NGINX_WWW/mirror" && find . -name '*.tar.gz' ! -path './.fixtures/*' |
	sed 's|^\./|gitingest/|; s|\.tar\.gz$|/summary.txt|' | sort)

# s3.py mb|ls|empty BUCKET (the client from tests/integration/s3client.py)
cat > "$W/s3.py" <<'PYEOF'
import sys, s3client
c = s3client.client()
cmd, bucket = sys.argv[1], sys.argv[2]
if cmd == "mb":
    c.create_bucket(Bucket=bucket)
keys = [o["Key"] for p in c.get_paginator("list_objects_v2").paginate(Bucket=bucket) for o in p.get("Contents", [])]
if cmd == "ls":
    print("\n".join(sorted(keys)))
elif cmd == "empty":
    for k in keys:
        c.delete_object(Bucket=bucket, Key=k)
PYEOF
s3py() { S3_ENDPOINT=$S3_ENDPOINT S3_ACCESS_KEY=$S3_ACCESS_KEY S3_SECRET_KEY=$S3_SECRET_KEY \
	S3_REGION=$S3_REGION PYTHONPATH=$PWD/tests/integration timeout 60 /usr/bin/python3 "$W/s3.py" "$@"; }

# spec.py FILE KIND: the container's args (one a line) to $W/args, its env as
# NAME=VALUE lines to $W/env (secrets: radosgw's; an optional secret: left
# out, as the platform would), the index count to $W/count
cat > "$W/spec.py" <<'PYEOF'
import os, sys, yaml
path, kind, w = sys.argv[1:4]
doc = yaml.safe_load(open(path))
if kind == "k8s":
    job = doc["spec"]; pod = job["template"]["spec"]; count = job["completions"]
else:
    job = doc["spec"]["template"]["spec"]; pod = job["template"]["spec"]; count = job["taskCount"]
c = pod["containers"][0]
secrets = {"R2_ENDPOINT": os.environ["S3_ENDPOINT"], "R2_ACCESS_KEY": os.environ["S3_ACCESS_KEY"],
           "R2_SECRET_KEY": os.environ["S3_SECRET_KEY"]}
with open(w + "/args", "w") as f:
    for a in c["args"]:
        assert "\n" not in a
        f.write(a + "\n")
with open(w + "/env", "w") as f:
    for e in c.get("env", []):
        if "value" in e:
            f.write("%s=%s\n" % (e["name"], e["value"]))
        elif e["name"] in secrets:
            f.write("%s=%s\n" % (e["name"], secrets[e["name"]]))
        elif not e["valueFrom"]["secretKeyRef"].get("optional"):
            sys.exit("%s: no test value for the secret %s" % (path, e["name"]))
open(w + "/count", "w").write(str(count))
PYEOF
for f in "kubernetes-indexed-job.yaml k8s" "cloud-run-job.yaml cloudrun"; do
	set -- $f
	m=$1 kind=$2
	S3_ENDPOINT=$S3_ENDPOINT S3_ACCESS_KEY=$S3_ACCESS_KEY S3_SECRET_KEY=$S3_SECRET_KEY \
		"$PY" "$W/spec.py" "deploy/$m" "$kind" "$W" >"$W/spec.err" 2>&1 || { bad "$m: $(tail -1 "$W/spec.err")"; continue; }
	# the bucket the manifest names, emptied between the two manifests
	bk=$(sed -n '/^--out$/{n;p;}' "$W/args" | sed -n 's|^s3://\([^/]*\).*|\1|p')
	[ -n "$bk" ] || { bad "$m: no s3:// --out"; continue; }
	s3py mb "$bk" >/dev/null 2>&1
	s3py empty "$bk" >"$W/mb.log" 2>&1 && [ -z "$(s3py ls "$bk")" ] && ok || bad "$m: bucket $bk: $(tail -1 "$W/mb.log")"
	n=$(cat "$W/count")
	i=0 reports=
	while [ "$i" -lt "$n" ]; do
		if [ "$kind" = k8s ]; then plat="JOB_COMPLETION_INDEX=$i"
		else plat="CLOUD_RUN_TASK_INDEX=$i CLOUD_RUN_TASK_COUNT=$n"; fi
		# the args: exactly the manifest's, the feed URL replaced, the mirror added
		set --
		while read -r a; do
			case $a in https://*repos.json) a=https://$H/repos.json;; esac
			set -- "$@" "$a"
		done < "$W/args"
		mkdir -p "$W/work$i"; chown 65534:0 "$W/work$i"; chmod 0775 "$W/work$i"
		# the region is radosgw's (R2 needs none: "auto")
		IMG_WORK=$W/work$i image_run 65534 65534 $(cat "$W/env") $plat \
			REPODIGEST_S3_REGION="$S3_REGION" NO_PROXY=127.0.0.1 -- "$@" $EXTRA \
			>"$W/run$i.out" 2>&1
		rc=$?
		[ $rc -eq 0 ] && ok || bad "$m index $i: exit $rc: $(tail -2 "$W/run$i.out")"
		grep -q "\"shard $i/$n (" "$W/run$i.out" && ok || bad "$m index $i: not shard $i/$n: $(head -1 "$W/run$i.out")"
		reports="$reports s3://$bk/reports/shard-$i.json"
		i=$((i + 1))
	done
	got=$(s3py ls "$bk" | grep -v '^reports/' | grep -v '\.meta$')
	[ -n "$want" ] && [ "$got" = "$want" ] && ok ||
		bad "$m: objects $(echo "$got" | tr '\n' ' ' | cut -c1-200), want $(echo "$want" | tr '\n' ' ' | cut -c1-200)"
	# the shard reports in the bucket merge into one complete batch, each repo once
	R2_ENDPOINT=$S3_ENDPOINT R2_ACCESS_KEY=$S3_ACCESS_KEY R2_SECRET_KEY=$S3_SECRET_KEY \
		REPODIGEST_S3_REGION=$S3_REGION timeout 60 "$BIN" report $reports --json >"$W/merged.json" 2>"$W/merged.err"
	rc=$?
	[ $rc -eq 0 ] && ok || bad "$m: report of the shards: exit $rc: $(head -2 "$W/merged.err")"
	"$PY" - "$W/merged.json" "$(echo "$want" | grep -c .)" <<'PYEOF' && ok || bad "$m: merged report: $(head -c 300 "$W/merged.json")"
import json, sys
m = json.load(open(sys.argv[1])); n = int(sys.argv[2])
assert m["total"] == n and m["processed"] == n and m["failed"] == 0, (m["total"], m["processed"])
assert m.get("duplicates", []) == [], m["duplicates"]
assert m.get("shards_missing", 0) in (0, []), m.get("shards_missing")
PYEOF
done
finish
