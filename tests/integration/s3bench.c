/*
 * s3bench.c - benchmark driver for s3 + fetch: PUT files with one client.
 *
 * Usage: s3bench [--cacert FILE] s3://BUCKET[/PREFIX] FILE...
 *
 * The S3 settings come from the environment as for `repodigest digest --out
 * s3://` (REPODIGEST_S3_* > R2_* > AWS_*). One s3_client, so one kept-alive
 * connection, sends the files one after the other: each is read into memory
 * and PUT at PREFIX/bench/BASENAME with Content-Type text/plain and the five
 * metadata fields a digest carries (fixed values, the same as the boto3 side
 * of scripts/bench-s3). Prints one line on stdout,
 *   "put N objects, B bytes, S.SSS s, C connections"
 * where S times the read+PUT loop only (no process start) and C is how many
 * connections the client opened. Any failure: one line on stderr, exit 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "fetch.h"
#include "s3.h"
#include "tls.h"
#include "../common/slurp.h"

/* a file to PUT, read whole: digests are far smaller */
#define BENCH_FILE_MAX (256u << 20)

static int
fail(struct err_ctx *e)
{
	char line[1024];

	err_format(e, line, sizeof line);
	fprintf(stderr, "s3bench: %s\n", line);
	return 1;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct tls_anchors anchors;
	struct fetch_opts fo;
	struct s3_config *cfg = malloc(sizeof *cfg);
	struct s3_client *s3 = malloc(sizeof *s3);
	struct err_ctx ec;
	struct s3_meta m[5];
	uint64_t bytes = 0;
	double t0;
	int i = 1, e = 0, nput = 0;

	memset(&ec, 0, sizeof ec);
	tls_anchors_init(&anchors);
	if (cfg == NULL || s3 == NULL) {
		fprintf(stderr, "s3bench: out of memory\n");
		return 1;
	}
	if (i + 1 < argc && strcmp(argv[i], "--cacert") == 0) {
		if (tls_anchors_add_pem_file(&anchors, argv[i + 1], &ec) != 0)
			return fail(&ec);
		i += 2;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: s3bench [--cacert FILE] "
		    "s3://BUCKET[/PREFIX] FILE...\n");
		return 2;
	}
	if (s3_config_env(cfg, argv[i], &ec) != 0)
		return fail(&ec);
	memset(&fo, 0, sizeof fo);
	fo.anchors = &anchors;
	if (s3_init(s3, cfg, &fo) != 0) {
		fprintf(stderr, "s3bench: cannot set up the client\n");
		return 1;
	}
	s3_config_wipe(cfg);
	/* what a digest carries (sink.c), fixed so boto3 sends the same */
	m[0].name = "pushedat";
	m[0].value = "2025-01-01T00:00:00Z";
	m[1].name = "url";
	m[1].value = "https://github.com/bench/repo";
	m[2].name = "processedat";
	m[2].value = "2025-01-02T00:00:00.000Z";
	m[3].name = "commit";
	m[3].value = "0123456789abcdef0123456789abcdef01234567";
	m[4].name = "generator";
	m[4].value = "repodigest/bench";
	t0 = now();
	for (i++; i < argc && e == 0; i++) {
		const char *base = strrchr(argv[i], '/');
		char key[512];
		uint8_t *body;
		size_t n;

		base = base ? base + 1 : argv[i];
		if ((body = slurp(argv[i], BENCH_FILE_MAX, &n)) == NULL) {
			e = err_set(&ec, ERR_IO, NULL);
			ec.sys_errno = errno;
			err_field(ec.source, sizeof ec.source, argv[i],
			    strlen(argv[i]));
			break;
		}
		snprintf(key, sizeof key, "bench/%s", base);
		e = s3_put(s3, key, body, n, "text/plain", m, 5, &ec);
		free(body);
		bytes += n;
		nput += e == 0;
	}
	if (e == 0)
		printf("put %d objects, %llu bytes, %.3f s, %llu connections\n",
		    nput, (unsigned long long)bytes, now() - t0,
		    (unsigned long long)s3->fc.connections);
	s3_free(s3);
	tls_anchors_free(&anchors);
	free(cfg);
	free(s3);
	return e == 0 ? 0 : fail(&ec);
}
