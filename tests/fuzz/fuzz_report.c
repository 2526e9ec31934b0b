/*
 * fuzz_report.c - libFuzzer target for merging run reports.
 *
 * The input is one or two reports, split at the first NUL byte. Invariants
 * checked with abort(): report_add returns 0, ERR_REPORT_JSON or
 * ERR_REPORT_SHAPE and leaves the merge unchanged on error; after
 * report_finish the repos are unique (case-insensitively) and sorted, the
 * per-status counts add up to them, duplicates and shards are consistent,
 * no control byte survives in a name or an error; the text account has no
 * control byte but '\n'; and the merged JSON is itself a report that merges
 * again to the same repos and counts, with no duplicates. ASan catches
 * leaks and over-reads (the input buffer has no NUL after it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
add(struct report *m, const char *name, const uint8_t *p, size_t n)
{
	struct err_ctx ec;
	size_t nin = m->nin, ne = m->ne;
	int e = report_add(m, name, p, n, &ec);

	if (e != 0 && (e != ec.code || (e != ERR_REPORT_JSON &&
	    e != ERR_REPORT_SHAPE) || m->nin != nin || m->ne != ne))
		abort();
	if (e == 0 && (m->nin != nin + 1 || m->ne != ne + m->in[nin].nrepos))
		abort();
}

static int
clean(const char *s)
{
	for (; s != NULL && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static void
check(const struct report *m)
{
	size_t sum = 0, dups = 0;

	for (int s = 0; s < RS__COUNT; s++)
		sum += m->n[s];
	if (sum != m->ne)
		abort();
	for (size_t i = 0; i < m->ne; i++) {
		const struct report_entry *e = &m->e[i];
		if (e->seen < 1 || e->status >= RS__COUNT || !clean(e->name) ||
		    !clean(e->error) ||
		    (i > 0 && strcasecmp(m->e[i - 1].name, e->name) >= 0))
			abort();
		dups += e->seen > 1;
	}
	if (dups != m->ndup || (m->shards && m->shard_mixed))
		abort();
	if (m->shards && (m->npresent > m->nin || m->npresent == 0 ||
	    m->npresent + m->missing != m->in[0].count))
		abort();
	if (report_complete(m) != (m->n[RS_FAILED] == 0 &&
	    m->n[RS_PENDING] == 0 && !m->shard_mixed && m->missing == 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t n1 = nul != NULL ? (size_t)(nul - data) : size;
	struct report m, m2;
	char *txt = NULL, *json;
	size_t tn = 0;
	FILE *f;

	report_init(&m);
	add(&m, "a.json", data, n1);
	if (nul != NULL)
		add(&m, "b.json", nul + 1, size - n1 - 1);
	if (report_finish(&m) != 0)
		abort();
	check(&m);

	f = open_memstream(&txt, &tn);
	report_print(&m, f);
	fclose(f);
	for (size_t i = 0; i < tn; i++)
		if (((unsigned char)txt[i] < 0x20 && txt[i] != '\n') ||
		    txt[i] == 0x7f)
			abort();
	free(txt);

	json = report_json(&m);
	if (json == NULL)
		abort();
	report_init(&m2);
	add(&m2, "merged.json", (const uint8_t *)json, strlen(json));
	if (m2.nin != 1 || report_finish(&m2) != 0)
		abort();
	check(&m2);
	if (m2.ne != m.ne || m2.ndup != 0 ||
	    memcmp(m2.n, m.n, sizeof m.n) != 0)
		abort();
	for (size_t i = 0; i < m.ne; i++)
		if (strcmp(m.e[i].name, m2.e[i].name) != 0 ||
		    m.e[i].status != m2.e[i].status)
			abort();
	free(json);
	report_free(&m2);
	report_free(&m);
	return 0;
}
