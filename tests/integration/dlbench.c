/*
 * dlbench.c - download driver for scripts/bench-download: one GET through
 * the project's HTTP client (fetch: net + tls + http), body discarded.
 *
 * Usage: dlbench [--resolve HOST:PORT:ADDR]... [--cacert FILE]... URL
 *
 * Uses the built-in anchors plus $SSL_CERT_FILE and every --cacert, and the
 * proxy settings from the environment, as repodigest does. Prints
 * "status S bytes N" on stdout; any failure prints one line on stderr and
 * exits 1 (usage errors: 2). The timing is the caller's (best of several
 * runs against curl in the same run).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fetch.h"
#include "net.h"
#include "proxy.h"
#include "tls.h"

#define MAX_RESOLVE 8

static int
discard(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 0;
}

static int
fail(struct err_ctx *e)
{
	char line[1024];

	err_format(e, line, sizeof line);
	fprintf(stderr, "dlbench: %s\n", line);
	return 1;
}

int
main(int argc, char **argv)
{
	static struct net_resolve res[MAX_RESOLVE];
	static struct proxy_conf pc;
	struct tls_anchors anchors;
	struct fetch_opts fo;
	struct fetch_client fc;
	struct fetch_req rq;
	struct fetch_resp rs;
	struct err_ctx e;
	const char *env;
	size_t nres = 0;
	int i, rc;

	memset(&e, 0, sizeof e);
	tls_anchors_init(&anchors);
	if ((env = getenv("SSL_CERT_FILE")) != NULL && env[0] != '\0' &&
	    tls_anchors_add_pem_file(&anchors, env, &e) != 0)
		return fail(&e);
	for (i = 1; i < argc - 1; i++) {
		if (strcmp(argv[i], "--resolve") == 0 && i + 1 < argc - 1 &&
		    nres < MAX_RESOLVE) {
			if (net_resolve_parse(&res[nres++], argv[++i]) != 0) {
				fprintf(stderr, "dlbench: bad --resolve %s\n",
				    argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--cacert") == 0 && i + 1 < argc - 1) {
			if (tls_anchors_add_pem_file(&anchors, argv[++i], &e) != 0)
				return fail(&e);
		} else {
			break;
		}
	}
	if (i != argc - 1) {
		fprintf(stderr, "usage: dlbench [--resolve HOST:PORT:ADDR] "
		    "[--cacert FILE] URL\n");
		return 2;
	}
	proxy_conf_env(&pc);
	memset(&fo, 0, sizeof fo);
	fo.connect_ms = 10000;
	fo.io_ms = 30000;
	fo.resolve = res;
	fo.nresolve = nres;
	fo.anchors = &anchors;
	fo.proxy = &pc;
	if (fetch_init(&fc, &fo) != 0) {
		fprintf(stderr, "dlbench: out of memory\n");
		return 1;
	}
	memset(&rq, 0, sizeof rq);
	rq.method = "GET";
	rq.url = argv[i];
	rc = fetch_do(&fc, &rq, &rs, discard, NULL, &e);
	if (rc != 0) {
		rc = fail(&e);
	} else {
		printf("status %d bytes %llu\n", rs.status,
		    (unsigned long long)rs.body_bytes);
		rc = rs.status == 200 ? 0 : 1;
	}
	fetch_resp_free(&rs);
	fetch_free(&fc);
	tls_anchors_free(&anchors);
	return rc;
}
