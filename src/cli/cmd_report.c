/*
 * cmd_report.c - `repodigest report REPORT...`: merge the run reports of a
 * sharded batch (report.c does the merging), print the totals, and
 * optionally store the merged report. See cmd.h.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "err.h"
#include "out.h"
#include "report.h"
#include "sink.h"
#include "log.h"

struct report_args {
	const char *output;
	int json;
	struct net_args net;
	struct s3_args s3;
};

#define RA(f) offsetof(struct report_args, f)
static const struct opt report_opts[] = {
	OPT_STR_("output", 'o', "DEST", RA(output), CHK_NONE,
	    "also write the merged report as JSON: a file\n"
	    "(atomically) or s3://BUCKET/KEY"),
	OPT_FLAG_("json", 0, RA(json), "print the merged report as JSON, not text"),
	OPT_END
};

static const struct opt_group report_groups[] = {
	{ report_opts, 0 },
	{ net_opts, RA(net) },
	{ s3_opts, RA(s3) },
	{ NULL, 0 }
};
#undef RA

static const struct opt_cmd report_cmd = {
	"report", "report REPORT.json... [-o DEST] [--json]", "REPORT", 1,
	1 << 30,
	"Merge the reports of a sharded run (run --report): totals, duplicates,\n"
	"failed and pending repositories, missing shards. REPORT: a file, -\n"
	"(stdin) or s3://BUCKET/KEY (S3 settings from the environment, as for\n"
	"run, or the options below).\n",
	report_groups,
	"Exit status: 0 complete, 1 bad report, 2 usage, 3 incomplete (repos\n"
	"failed or pending, or shards missing).\n"
};

/* The network, set up on first use: only s3:// reports need it. */
struct report_net {
	const struct report_args *ra;
	struct net_setup ns;
	int ready;      /* 1 set up, -1 failed (said on stderr) */
};

static void
report_defaults(struct report_args *ra)
{
	memset(ra, 0, sizeof *ra);
	net_args_init(&ra->net);
}

/* see cmd.h */
void
cmd_report_help(void)
{
	struct report_args ra;

	report_defaults(&ra);
	opts_help(&report_cmd, &ra, stdout);
}

static const struct fetch_opts *
net_get(struct report_net *rn)
{
	if (rn->ready == 0)
		rn->ready = net_setup(&rn->ns, &rn->ra->net, 1) == 0 ? 1 : -1;
	return rn->ready == 1 ? &rn->ns.fo : NULL;
}

/* One report from s3://BUCKET/KEY. Returns 0, -1 (said), or an error. */
static int
load_s3(struct report *m, struct report_net *rn, const char *url,
    struct err_ctx *ec)
{
	struct sink_net net = { rn->ra->s3.endpoint, rn->ra->s3.region, NULL };
	struct buf b;
	int e;

	if ((net.fetch = net_get(rn)) == NULL)
		return -1;
	memset(ec, 0, sizeof *ec);
	buf_init(&b, REPORT_MAX_BYTES);
	e = sink_read_doc(url, &net, &b, ec);
	if (e == 0)
		e = report_add(m, url, b.p != NULL ? b.p : (const uint8_t *)"",
		    b.len, ec);
	else if (e == ERR_LIMIT)
		err_set(ec, e, "larger than a run report can be");
	buf_free(&b);
	return e;
}

/* Load, merge, store: 0, -1 (said on stderr) or an error code in ec. */
static int
merge(struct report *m, struct report_net *rn, char **files, int n,
    char **txt, struct err_ctx *ec)
{
	const struct report_args *ra = rn->ra;
	int r = 0;

	for (int i = 0; i < n && r == 0; i++)
		r = strncmp(files[i], "s3://", 5) == 0 ?
		    load_s3(m, rn, files[i], ec) : report_load(m, files[i], ec);
	if (r == 0 && (r = report_finish(m)) == 0 && (ra->json ||
	    ra->output) && (*txt = report_json(m)) == NULL)
		r = ERR_NOMEM;
	if (r == 0 && ra->output != NULL) {
		struct sink_net net = { ra->s3.endpoint, ra->s3.region, NULL };
		/* the network only for s3:// (net_get says why it fails) */
		if (strncmp(ra->output, "s3://", 5) == 0 &&
		    (net.fetch = net_get(rn)) == NULL)
			r = -1;
		else
			r = sink_write_doc(ra->output, &net, (const uint8_t *)*txt,
			    strlen(*txt), "application/json", ec);
	}
	return r;
}

/* see cmd.h */
int
cmd_report(int argc, char **argv)
{
	struct report_args ra;
	struct report_net rn;
	struct report m;
	struct err_ctx ec;
	char line[1024], *txt = NULL;
	int r, nops;

	report_defaults(&ra);
	if ((r = opts_parse(&report_cmd, argc, argv, &ra, &nops)) != 0) {
		if (r == OPTS_HELP)
			cmd_report_help();
		return r == OPTS_HELP ? 0 : r;
	}
	memset(&rn, 0, sizeof rn);
	rn.ra = &ra;
	memset(&ec, 0, sizeof ec);
	report_init(&m);
	r = merge(&m, &rn, argv, nops, &txt, &ec);
	if (r < 0) {
		r = 1;
	} else if (r != 0) {
		if (ec.code == 0)
			err_set(&ec, r, NULL);
		err_format(&ec, line, sizeof line);
		log_err(NULL, "%s", line);
		r = 1;
	} else {
		if (ra.json)
			fputs(txt, stdout);
		else
			report_print(&m, stdout);
		r = report_complete(&m) ? 0 : EXIT_INCOMPLETE;
	}
	free(txt);
	report_free(&m);
	if (rn.ready == 1)
		net_teardown(&rn.ns);
	return r;
}
