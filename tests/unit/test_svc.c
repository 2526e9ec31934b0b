/*
 * test_svc.c - the service's one status-word mapping (decision 2): the
 * /v1 words are the job table's own, the original routes' and /ws's are
 * the original service's; every state has both, nothing else has any.
 * The routes themselves are tested end to end (tests/integration/
 * service.sh).
 */
#include <string.h>

#include "queue.h"
#include "svc.h"
#include "t.h"

int
main(void)
{
	static const struct {
		int state;
		const char *v1, *orig;
	} want[] = {
		{ QUEUE_QUEUED, "queued", "pending" },
		{ QUEUE_RUNNING, "running", "in_progress" },
		{ QUEUE_COMPLETED, "completed", "completed" },
		{ QUEUE_FAILED, "failed", "failed" },
		{ QUEUE_CANCELLED, "cancelled", "cancelled" },
	};

	CHECK(sizeof want / sizeof want[0] == QUEUE__STATES, "a state left out");
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const char *v = svc_status_word(want[i].state, 0);
		const char *o = svc_status_word(want[i].state, 1);
		CHECK(strcmp(v, want[i].v1) == 0, "state %d: /v1 says %s",
		    want[i].state, v);
		CHECK(strcmp(o, want[i].orig) == 0, "state %d: /ws says %s",
		    want[i].state, o);
		/* the /v1 word is the stored one: the table parses it back */
		CHECK(queue_state_parse(v, strlen(v)) == want[i].state,
		    "state %d: %s does not parse back", want[i].state, v);
	}
	CHECK(strcmp(svc_status_word(-1, 0), "") == 0, "-1");
	CHECK(strcmp(svc_status_word(QUEUE__STATES, 1), "") == 0, "past the end");
	return T_DONE();
}
