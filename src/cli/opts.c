/*
 * opts.c - the option table engine: parsing and help. See opts.h.
 *
 * No getopt: options and operands come in any order, and musl's and glibc's
 * getopt_long differ on permutation. Every value is checked as it is read,
 * so an error names the option the user typed and the value, on one line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "net.h"
#include "opts.h"

#define HELP_COL 29     /* where help text starts in --help */
#define HELP_WIDTH 79

/* see opts.h */
int
opts_usage_error(const char *cmd, const char *msg, const char *arg)
{
	/* the argument as typed may hold a URL with secrets: log_err redacts */
	if (arg != NULL)
		log_err(cmd, "%s: %s", msg, arg);
	else
		log_err(cmd, "%s", msg);
	fprintf(stderr, "Run 'repodigest %s --help' for usage.\n", cmd);
	return EXIT_USAGE;
}

/* The parts of an option's text: "name\0ARG\0help". */
static const char *
opt_arg(const struct opt *o)
{
	return o->text + strlen(o->text) + 1;
}

static const char *
opt_help(const struct opt *o)
{
	const char *a = opt_arg(o);

	return a + strlen(a) + 1;
}

/* NULL if v passes the option's check, else what is wrong with it. */
static const char *
check(enum opt_check c, const char *v)
{
	const char *sl;
	struct net_resolve r;

	switch (c) {
	case CHK_NONE:
		return NULL;
	case CHK_NONEMPTY:
		return v[0] != '\0' ? NULL : "needs a value that is not empty";
	case CHK_HTTPS:
		/* the GitHub token goes there: never over plain http */
		return strncmp(v, "https://", 8) == 0 && v[8] != '\0' ? NULL :
		    "must be an https:// URL";
	case CHK_REPO:
		sl = strchr(v, '/');
		return sl == NULL || sl == v || sl[1] == '\0' ||
		    strchr(sl + 1, '/') != NULL ? "must be OWNER/REPO" : NULL;
	case CHK_RESOLVE:
		return net_resolve_parse(&r, v) == 0 ? NULL :
		    "wants HOST:PORT:ADDR";
	}
	return "cannot be checked";
}

/*
 * An OPT_U64's range as help and errors both say it ("1 to 86400"; a power
 * of two from 2^20 up as "2^40"), or "" when any positive number is taken:
 * one spelling, so --help cannot promise another range than the parser's.
 */
static const char *
range_text(const struct opt *o, char *buf, size_t cap)
{
	uint64_t hi = o->hi;
	int k = 0;

	buf[0] = '\0';
	if (o->lo == 1 && hi == UINT64_MAX)
		return buf;
	while (k < 63 && ((uint64_t)1 << k) < hi)
		k++;
	if (k >= 20 && hi == (uint64_t)1 << k)
		snprintf(buf, cap, "%" PRIu64 " to 2^%d", (uint64_t)o->lo, k);
	else
		snprintf(buf, cap, "%" PRIu64 " to %" PRIu64, (uint64_t)o->lo, hi);
	return buf;
}

/* Strict unsigned decimal: no sign, no junk, no overflow. */
static int
parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* Index of v in "a|b|c", or -1. */
static int
choice_index(const char *choices, const char *v)
{
	size_t n = strlen(v);
	int i = 0;

	for (const char *p = choices;; i++) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncmp(p, v, n) == 0)
			return i;
		if (bar == NULL)
			return -1;
		p = bar + 1;
	}
}

/* "a|b|c" as "a, b or c". */
static void
choices_words(const char *choices, char *buf, size_t cap)
{
	size_t at = 0;

	buf[0] = '\0';
	for (const char *p = choices; *p && at + 5 < cap; p++) {
		if (*p != '|') {
			buf[at++] = *p;
		} else if (strchr(p + 1, '|') != NULL) {
			at += (size_t)snprintf(buf + at, cap - at, ", ");
		} else {
			at += (size_t)snprintf(buf + at, cap - at, " or ");
		}
		if (at >= cap)
			at = cap - 1;
	}
	buf[at] = '\0';
}

/* The option argv[i] names, and where its group's struct is in args. */
static const struct opt *
find(const struct opt_cmd *c, const char *a, size_t *base)
{
	for (const struct opt_group *g = c->groups; g->opts != NULL; g++)
		for (const struct opt *o = g->opts; o->text != NULL; o++) {
			size_t n = strlen(o->text);
			int hit = a[1] == '-' ? strncmp(a + 2, o->text, n) == 0 &&
			    (a[2 + n] == '\0' || a[2 + n] == '=') :
			    o->letter != 0 && a[1] == (char)o->letter;
			if (hit) {
				*base = g->base;
				return o;
			}
		}
	return NULL;
}

/* Check v and store it in the field; NULL, or the error (in msg). */
static const char *
set(const struct opt *o, void *field, const char *v, char *msg, size_t cap)
{
	const char *why;
	char range[64];
	uint64_t n;
	int k;

	switch ((enum opt_kind)o->kind) {
	case OPT_FLAG:
		*(int *)field = 1;
		return NULL;
	case OPT_U64:
		if (parse_u64(v, &n) == 0 && n >= o->lo && n <= o->hi) {
			*(uint64_t *)field = n;
			return NULL;
		}
		if (range_text(o, range, sizeof range)[0] == '\0')
			snprintf(msg, cap, "--%s needs a positive number", o->text);
		else
			snprintf(msg, cap, "--%s needs a number from %s", o->text,
			    range);
		return msg;
	case OPT_ENUM:
		if ((k = choice_index(opt_arg(o), v)) >= 0) {
			*(int *)field = k;
			return NULL;
		}
		snprintf(msg, cap, "--%s must be ", o->text);
		choices_words(opt_arg(o), msg + strlen(msg), cap - strlen(msg));
		return msg;
	case OPT_STR:
	case OPT_LIST:
		if ((why = check((enum opt_check)o->check, v)) != NULL) {
			snprintf(msg, cap, "--%s %s", o->text, why);
			return msg;
		}
		if (o->kind == OPT_STR) {
			*(const char **)field = v;
			return NULL;
		}
		struct opt_list *l = field;
		if ((uint64_t)l->n >= o->hi || l->n >= OPT_LIST_MAX) {
			snprintf(msg, cap, "too many --%s (at most %" PRIu64 ")",
			    o->text, o->hi);
			return msg;
		}
		l->v[l->n++] = v;
		return NULL;
	}
	return "internal error: unknown option kind";
}

/* see opts.h */
int
opts_parse(const struct opt_cmd *c, int argc, char **argv, void *args,
    int *nops)
{
	char msg[256];
	int ops = 0, only_ops = 0;

	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		const struct opt *o;
		const char *v = NULL, *err;
		size_t base = 0;

		if (only_ops || a[0] != '-' || a[1] == '\0') {
			argv[ops++] = a;        /* ops <= i: never a later one */
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_ops = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return OPTS_HELP;
		if ((o = find(c, a, &base)) == NULL)
			return opts_usage_error(c->name, "unknown option", a);
		if (a[1] == '-' && a[2 + strlen(o->text)] == '=')
			v = a + 3 + strlen(o->text);
		else if (a[1] != '-' && a[2] != '\0')
			v = a + 2;
		if (o->kind == OPT_FLAG && v != NULL) {
			snprintf(msg, sizeof msg, "--%s takes no value", o->text);
			return opts_usage_error(c->name, msg, a);
		}
		if (o->kind != OPT_FLAG && v == NULL) {
			if (i + 1 >= argc)
				return opts_usage_error(c->name,
				    "option needs a value", a);
			v = argv[++i];
		}
		if ((err = set(o, (char *)args + base + o->off, v, msg,
		    sizeof msg)) != NULL)
			return opts_usage_error(c->name, err, v);
	}
	if (ops < c->min_ops) {
		snprintf(msg, sizeof msg, "missing %s", c->operand);
		return opts_usage_error(c->name, msg, NULL);
	}
	if (ops > c->max_ops) {
		snprintf(msg, sizeof msg, "more than one %s given", c->operand);
		return opts_usage_error(c->name, msg, argv[c->max_ops]);
	}
	*nops = ops;
	return 0;
}

/* ------------------------------------------------------------ help */

/* The range and default shown after an option's help, or "" when there
 * are none. */
static void
default_text(const struct opt *o, const void *field, char *buf, size_t cap)
{
	char range[64];
	uint64_t n;
	int k;
	const char *s;

	buf[0] = '\0';
	switch ((enum opt_kind)o->kind) {
	case OPT_U64:
		n = *(const uint64_t *)field;
		range_text(o, range, sizeof range);
		if (n != 0 && n >= o->lo && n <= o->hi)
			snprintf(buf, cap, "(%s%sdefault %" PRIu64 ")", range,
			    range[0] ? ", " : "", n);
		else if (range[0] != '\0')
			snprintf(buf, cap, "(%s)", range);
		break;
	case OPT_STR:
		if ((s = *(const char *const *)field) != NULL)
			snprintf(buf, cap, "(default %s)", s);
		break;
	case OPT_ENUM:
		k = *(const int *)field;
		for (s = opt_arg(o); k > 0 && s != NULL; k--)
			if ((s = strchr(s, '|')) != NULL)
				s++;
		if (*(const int *)field >= 0 && s != NULL)
			snprintf(buf, cap, "(default %.*s)", (int)strcspn(s, "|"),
			    s);
		break;
	case OPT_FLAG:
	case OPT_LIST:
		break;
	}
}

static void
help_opt(const struct opt *o, const void *field, FILE *f)
{
	char head[96], def[128];
	const char *p = opt_help(o), *arg = opt_arg(o);
	int col;

	snprintf(head, sizeof head, "  %c%c%s--%s%s%s",
	    o->letter ? '-' : ' ', o->letter ? (char)o->letter : ' ',
	    o->letter ? ", " : "  ", o->text, arg[0] ? " " : "", arg);
	col = fprintf(f, "%s", head);
	if (col >= HELP_COL - 1) {
		fputc('\n', f);
		col = 0;
	}
	default_text(o, field, def, sizeof def);
	for (;;) {
		size_t len = strcspn(p, "\n");
		fprintf(f, "%*s%.*s", HELP_COL - col, "", (int)len, p);
		col = HELP_COL + (int)len;
		if (p[len] == '\0')
			break;
		fputc('\n', f);
		col = 0;
		p += len + 1;
	}
	if (def[0] != '\0') {
		if (col + 1 + (int)strlen(def) > HELP_WIDTH)
			fprintf(f, "\n%*s%s", HELP_COL, "", def);
		else
			fprintf(f, " %s", def);
	}
	fputc('\n', f);
}

/* see opts.h */
void
opts_help(const struct opt_cmd *c, const void *args, FILE *f)
{
	static const struct opt help = OPT_FLAG_("help", 'h', 0, "this text");

	fprintf(f, "usage: repodigest %s\n\n%s\nOptions:\n", c->synopsis,
	    c->intro);
	for (const struct opt_group *g = c->groups; g->opts != NULL; g++)
		for (const struct opt *o = g->opts; o->text != NULL; o++)
			help_opt(o, (const char *)args + g->base + o->off, f);
	help_opt(&help, NULL, f);
	if (c->outro != NULL)
		fprintf(f, "\n%s", c->outro);
}
