#!/bin/sh
# deploy.sh BINARY - the deployment examples in deploy/ stay true to the binary:
# valid against the Kubernetes API schema (scripts/kube-validate, offline),
# every option they pass is one `repodigest run` knows, every variable they set
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

# the Kubernetes API schema, offline (pinned npm packages)
scripts/kube-validate deploy/kubernetes-indexed-job.yaml deploy/cloud-run-job.yaml > "$W/kv" 2>&1
[ -s "$W/kv" ] || bad "kube-validate printed nothing"
while read -r st what; do
	if [ "$st" = ok ]; then ok; else bad "schema: $what"; fi
done < "$W/kv"
finish
