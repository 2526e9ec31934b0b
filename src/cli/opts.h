/*
 * opts.h - command-line options as data. Each command declares its options
 * as tables (long name, letter, value name, kind with its range or choices,
 * the field it sets, help); one parser walks them and the --help text is
 * generated from the same tables, so what is accepted and what is documented
 * cannot drift apart. Options several commands share (network, S3, patterns)
 * are one table, used by each: the same spelling, check and error everywhere.
 *
 * Options and operands may come in any order (users of gitingest write
 * `digest . -o x` and `digest -o x .`); "--" ends the options; "-" is an
 * operand (standard input).
 */
#ifndef OPTS_H
#define OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Most values a repeatable option keeps (-i/-e: gitingest has no limit;
 * 256 patterns is far beyond any real command line). */
#define OPT_LIST_MAX 256

/* A repeatable option's values, in order, NULL-terminated. */
struct opt_list {
	int n;
	const char *v[OPT_LIST_MAX + 1];
};

enum opt_kind {
	OPT_FLAG,       /* no value: sets an int field to 1 */
	OPT_STR,        /* const char *field: the value (after check) */
	OPT_U64,        /* uint64_t field: decimal in [lo, hi] */
	OPT_ENUM,       /* int field: index of the value in choices */
	OPT_LIST        /* struct opt_list field: up to hi values */
};

/* Checks of a value beyond its kind (OPT_STR, OPT_LIST). */
enum opt_check {
	CHK_NONE,
	CHK_NONEMPTY,   /* not "" */
	CHK_HTTPS,      /* https://...: where a token may be sent */
	CHK_REPO,       /* OWNER/REPO */
	CHK_RESOLVE     /* HOST:PORT:ADDR, as curl's --resolve */
};

/*
 * One option in 24 bytes (the binary has a size budget, and there are 50
 * of these): the strings are one literal, the small fields bit-fields.
 */
struct opt {
	/* "name\0ARG\0help": the long name without "--" (NULL text ends a
	 * table), the value's name in help ("" for a flag; for OPT_ENUM the
	 * choices, "text|full|json"), help lines separated by '\n' */
	const char *text;
	uint64_t hi;            /* OPT_U64: range; OPT_LIST: most values */
	uint32_t lo;
	unsigned kind : 4;      /* enum opt_kind */
	unsigned check : 4;     /* enum opt_check */
	unsigned letter : 8;    /* short form (-x), or 0 */
	unsigned off : 16;      /* field: offset in the group's struct */
};

/* Table entries, one per kind (off: offsetof the field in the group). */
#define OPT_FLAG_(name, letter, off, help) \
	{ name "\0\0" help, 0, 0, OPT_FLAG, CHK_NONE, letter, off }
#define OPT_STR_(name, letter, arg, off, check, help) \
	{ name "\0" arg "\0" help, 0, 0, OPT_STR, check, letter, off }
#define OPT_U64_(name, letter, arg, off, lo, hi, help) \
	{ name "\0" arg "\0" help, hi, lo, OPT_U64, CHK_NONE, letter, off }
#define OPT_ENUM_(name, letter, choices, off, help) \
	{ name "\0" choices "\0" help, 0, 0, OPT_ENUM, CHK_NONE, letter, off }
#define OPT_LIST_(name, letter, arg, off, most, check, help) \
	{ name "\0" arg "\0" help, most, 0, OPT_LIST, check, letter, off }
#define OPT_END { NULL, 0, 0, 0, 0, 0, 0 }

/* A table and where its struct sits inside the command's arguments. */
struct opt_group {
	const struct opt *opts;         /* NULL ends the list of groups */
	size_t base;
};

struct opt_cmd {
	const char *name;               /* "digest" */
	const char *synopsis;           /* usage line after "repodigest " */
	const char *operand;            /* operand's name: "SOURCE" */
	int min_ops, max_ops;           /* how many operands */
	const char *intro;              /* help before the options */
	const struct opt_group *groups;
	const char *outro;              /* help after the options, or NULL */
};

/* opts_parse's answer when -h/--help was given (nothing printed). */
#define OPTS_HELP (-1)

/*
 * Parse argv[1..argc) (argv[0] is the command's name) into args, whose
 * fields the caller has set to their defaults. Operands are moved, in order,
 * to argv[0..*nops) (argv is the caller's and is rewritten). Returns 0,
 * OPTS_HELP, or the usage exit code after printing one line naming the
 * option and the cause (opts_usage_error).
 */
int opts_parse(const struct opt_cmd *c, int argc, char **argv, void *args,
    int *nops);

/*
 * The command's help, generated from its tables; defaults (numbers within
 * their range, strings, choices) are read from args as initialised.
 */
void opts_help(const struct opt_cmd *c, const void *args, FILE *f);

/*
 * Print "repodigest CMD: MSG[: ARG]" and where to find the usage; returns
 * the usage exit code (cli.h EXIT_USAGE), for checks done after parsing.
 */
int opts_usage_error(const char *cmd, const char *msg, const char *arg);

#endif
