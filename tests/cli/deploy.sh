#!/bin/sh
# deploy.sh BINARY - the deployment examples in deploy/ stay true to the binary:
# valid YAML, every option they pass is one `repodigest run` knows, every
# variable they set is documented, and the shard and grace settings agree with
# what the platform does (Kubernetes' completions and 30 s termination grace).
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
    out("REPODIGEST_SHARDS" not in env, "no REPODIGEST_SHARDS (Cloud Run gives the count)")
    v = argval("--state")
    out(v is None or v.startswith("/work/") or v.startswith("/tmp/"),
        "--state is in a directory the image makes writable")
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

# the image's writable directories exist in the build context
for d in work tmp; do
	[ -d "deploy/rootfs/$d" ] && grep -q "deploy/rootfs/ /" Containerfile.scratch && ok || bad "deploy/rootfs/$d"
done
finish
