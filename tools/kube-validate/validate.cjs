// validate.cjs FILE... - each manifest in deploy/ against the Kubernetes API
// schema that the npm package kubernetes-models ships (pinned in package.json
// and package-lock.json; no network, no cluster). Prints one line per check,
// "ok WHAT" or "bad WHAT: WHY"; exit 1 when any is bad.
//
// A file may hold several documents (---). A Kubernetes Job (batch/v1), a
// StatefulSet (apps/v1) and a Service (v1) are validated whole. A Cloud Run Job
// (run.googleapis.com/v1) is not a Kubernetes object, but Knative-shaped: its
// metadata is an ObjectMeta and its containers are core/v1 Containers, so
// those are validated with the Kubernetes schema and the rest (taskCount,
// parallelism, maxRetries, timeoutSeconds) by their documented types.
"use strict";
const fs = require("fs");
const YAML = require("yaml");
const { Job } = require("kubernetes-models/batch/v1/Job");
const { StatefulSet } = require("kubernetes-models/apps/v1/StatefulSet");
const { Service } = require("kubernetes-models/v1/Service");
const { Container } = require("kubernetes-models/v1/Container");
const { ObjectMeta } = require("@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta");

let bad = 0;
function check(what, fn) {
	try {
		fn();
		console.log("ok " + what);
	} catch (e) {
		bad++;
		console.log("bad " + what + ": " + String(e.message || e).split("\n")[0]);
	}
}
function int(v, name) {
	if (!Number.isInteger(v) || v < 0)
		throw new Error(name + " must be a non-negative integer, is " + JSON.stringify(v));
}

for (const file of process.argv.slice(2)) {
	let docs = [];
	check(file + ": YAML", () => {
		docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"),
		    { strict: true, uniqueKeys: true }).map((d) => {
			if (d.errors.length) throw d.errors[0];
			return d.toJS();
		});
	});
	for (const doc of docs) {
	if (!doc) continue;
	if (doc.apiVersion === "apps/v1" && doc.kind === "StatefulSet") {
		check(file + ": apps/v1 StatefulSet schema", () => new StatefulSet(doc).validate());
	} else if (doc.apiVersion === "v1" && doc.kind === "Service") {
		check(file + ": v1 Service schema", () => new Service(doc).validate());
	} else if (doc.apiVersion === "batch/v1" && doc.kind === "Job") {
		check(file + ": batch/v1 Job schema", () => new Job(doc).validate());
	} else if (doc.apiVersion === "run.googleapis.com/v1" && doc.kind === "Job") {
		check(file + ": metadata (ObjectMeta schema)", () => new ObjectMeta(doc.metadata).validate());
		const exec = doc.spec && doc.spec.template && doc.spec.template.spec;
		const task = exec && exec.template && exec.template.spec;
		check(file + ": execution and task spec types", () => {
			if (!task) throw new Error("spec.template.spec.template.spec missing");
			int(exec.taskCount, "taskCount");
			int(exec.parallelism, "parallelism");
			int(task.maxRetries, "maxRetries");
			int(task.timeoutSeconds, "timeoutSeconds");
			if (!Array.isArray(task.containers) || task.containers.length !== 1)
				throw new Error("want exactly one container");
		});
		for (const [i, c] of ((task && task.containers) || []).entries())
			check(file + ": container " + i + " (core/v1 Container schema)",
			    () => new Container(c).validate());
	} else {
		bad++;
		console.log("bad " + file + ": unknown kind " + doc.apiVersion + " " + doc.kind);
	}
	}
}
process.exit(bad ? 1 : 0);
