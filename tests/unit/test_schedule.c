/*
 * test_schedule.c - the --every parser (schedule.h): the forms it takes, its
 * range, and a reason for each refusal. The scheduler's thread is tested end
 * to end (tests/integration/schedule.sh, also under TSan).
 */
#include <stdint.h>
#include <string.h>

#include "schedule.h"
#include "t.h"

int
main(void)
{
	static const struct {
		const char *s;
		int64_t ms;             /* 0: refused */
		const char *why;        /* in the refusal's detail */
	} c[] = {
		{ "30s", 30000, NULL },
		{ "15m", 900000, NULL },
		{ "6h", 21600000, NULL },
		{ "1d", 86400000, NULL },
		{ "1s", 1000, NULL },
		{ "366d", (int64_t)366 * 86400000, NULL },
		{ "0090s", 90000, NULL },
		{ "0s", 0, "out of range" },
		{ "367d", 0, "out of range" },
		{ "999999999999h", 0, "out of range" },
		{ "1000000000000s", 0, "out of range" },
		{ "10y", 0, "unknown unit 'y'" },
		{ "10S", 0, "unknown unit 'S'" },
		{ "h", 0, "want a number" },
		{ "", 0, "want a number" },
		{ "10", 0, "want a number" },
		{ "1.5h", 0, "want a number" },
		{ "-1h", 0, "want a number" },
		{ " 1h", 0, "want a number" },
		{ "1hh", 0, "want a number" },
		{ "1h ", 0, "want a number" },
	};

	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct err_ctx ec;
		int64_t ms = -1;
		int e;
		memset(&ec, 0, sizeof ec);
		e = sched_every_parse(c[i].s, &ms, &ec);
		if (c[i].ms != 0) {
			CHECK(e == 0 && ms == c[i].ms, "'%s': %d, %lld ms",
			    c[i].s, e, (long long)ms);
		} else {
			CHECK(e == ERR_USAGE && ms == 0 &&
			    strstr(ec.detail, c[i].why) != NULL,
			    "'%s': %d, '%s'", c[i].s, e, ec.detail);
		}
	}
	return T_DONE();
}
