/*
 * test_loop.c - the readiness loop: timers (order, never early, re-armed
 * and cancelled from callbacks, a timer more than one wheel turn away
 * passed over), file events (a descriptor closed and reused within one
 * batch gets no stale event), and posting from four threads at once
 * (every message delivered once, each thread's in its order). Built
 * also with ThreadSanitizer (tests/run): the posting path is the one
 * place other threads touch the loop.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "t.h"

static struct loop L;
static struct loop_slot slots[1024];

/* ------------------------------------------------------------ timers */

struct tm_case {
	struct loop_timer t;
	uint64_t set_at, after;
	uint64_t fired_at;
	int order;
};

static int fired;
static struct tm_case tc[6];
static struct loop_timer stopper, far;
static int far_fired;

static void
on_tc(struct loop *l, struct loop_timer *t)
{
	struct tm_case *c = (struct tm_case *)(void *)t;

	c->fired_at = loop_now(l);
	c->order = ++fired;
	if (c == &tc[2])        /* re-arm itself once */
		loop_timer_set(l, &tc[5].t, 30, on_tc);
	if (c == &tc[0])        /* cancel a later one */
		loop_timer_cancel(l, &tc[3].t);
}

static void
on_stop(struct loop *l, struct loop_timer *t)
{
	(void)t;
	loop_stop(l);
}

static void
on_far(struct loop *l, struct loop_timer *t)
{
	(void)l;
	(void)t;
	far_fired = 1;
}

static void
test_timers(void)
{
	static const unsigned after[] = { 40, 120, 200, 250, 0 };

	fired = 0;
	for (int i = 0; i < 5; i++) {
		tc[i].set_at = loop_now(&L);
		tc[i].after = after[i];
		loop_timer_set(&L, &tc[i].t, after[i], on_tc);
	}
	tc[5].after = 30;
	/* one turn and one tick away: in the next slot, not yet due */
	loop_timer_set(&L, &far, (uint64_t)LOOP_WHEEL * LOOP_TICK_MS +
	    LOOP_TICK_MS, on_far);
	loop_timer_set(&L, &stopper, 600, on_stop);
	CHECK(loop_run(&L) == 0, "run");
	CHECK(tc[4].order == 1 && tc[0].order == 2 && tc[1].order == 3 &&
	    tc[2].order == 4 && tc[5].order == 5, "order %d %d %d %d %d",
	    tc[4].order, tc[0].order, tc[1].order, tc[2].order, tc[5].order);
	CHECK(tc[3].order == 0, "cancelled from a callback");
	for (int i = 0; i < 3; i++)
		CHECK(tc[i].fired_at >= tc[i].set_at + tc[i].after &&
		    tc[i].fired_at <= tc[i].set_at + tc[i].after + 300,
		    "timer %d: set %llu + %llu, fired %llu", i,
		    (unsigned long long)tc[i].set_at,
		    (unsigned long long)tc[i].after,
		    (unsigned long long)tc[i].fired_at);
	CHECK(tc[5].fired_at >= tc[2].fired_at + 30, "re-armed");
	CHECK(!far_fired && far.armed, "a timer a turn away waits its turn");
	loop_timer_cancel(&L, &far);
	CHECK(L.ntimers == 0, "no timer left: %zu", L.ntimers);
}

/* ------------------------------------------------------------ files */

static int pa[2], pb[2], pc[2];
static int a_calls, b_calls, stale;

static void
on_new(struct loop *l, int fd, int events, void *arg)
{
	(void)l;
	(void)fd;
	(void)arg;
	if (events & LOOP_READ)
		stale = 1;      /* nothing was written to the new pipe */
}

/* Whichever of a and b comes first closes the other and opens a pipe
 * that (likely) reuses its descriptor number. */
static void
on_ab(struct loop *l, int fd, int events, void *arg)
{
	char c;
	int *other = arg == pa ? pb : pa;

	(void)events;
	if (read(fd, &c, 1) != 1)
		return;
	if (arg == pa)
		a_calls++;
	else
		b_calls++;
	if (other[0] >= 0) {
		loop_del(l, other[0]);
		close(other[0]);
		close(other[1]);
		other[0] = other[1] = -1;
		if (pipe(pc) == 0)
			loop_add(l, pc[0], LOOP_READ, on_new, NULL);
	}
	loop_timer_set(l, &stopper, 50, on_stop);
}

static void
test_files(void)
{
	CHECK(pipe(pa) == 0 && pipe(pb) == 0, "pipes");
	CHECK(write(pa[1], "x", 1) == 1 && write(pb[1], "y", 1) == 1, "ready");
	CHECK(loop_add(&L, pa[0], LOOP_READ, on_ab, pa) == 0 &&
	    loop_add(&L, pb[0], LOOP_READ, on_ab, pb) == 0, "add");
	CHECK(loop_add(&L, 5000, LOOP_READ, on_ab, NULL) != 0,
	    "fd past the slots");
	loop_run(&L);
	CHECK(a_calls + b_calls == 1, "one of the two ran: %d %d", a_calls,
	    b_calls);
	CHECK(!stale, "no stale event for a reused descriptor");
	for (int *p = pa; p != NULL; p = p == pa ? pb : p == pb ? pc : NULL)
		if (p[0] >= 0) {
			loop_del(&L, p[0]);
			close(p[0]);
			close(p[1]);
		}
}

/* ------------------------------------------------------------ posting */

#define THREADS 4
#define PER     20000

struct msg {
	struct loop_msg m;
	int thread;
	int seq;
};

static int last[THREADS], got_total, out_of_order, waits;

static void
on_msg(struct loop *l, struct loop_msg *m)
{
	struct msg *x = (struct msg *)(void *)m;

	if (x->seq != last[x->thread] + 1)
		out_of_order++;
	last[x->thread] = x->seq;
	free(x);
	if (++got_total == THREADS * PER)
		loop_stop(l);
}

static void *
poster(void *arg)
{
	int t = (int)(intptr_t)arg;

	for (int i = 1; i <= PER; i++) {
		struct msg *x = malloc(sizeof *x);
		if (x == NULL)
			abort();
		x->m.fn = on_msg;
		x->thread = t;
		x->seq = i;
		loop_post(&L, &x->m);
		if (i % 1000 == 0)
			usleep(100);    /* let the loop catch up and sleep */
	}
	return NULL;
}

static void
count_waits(struct loop *l, void *arg)
{
	(void)l;
	(void)arg;
	waits++;
}

static void
test_posting(void)
{
	pthread_t th[THREADS];

	loop_before_wait(&L, count_waits, NULL);
	loop_timer_set(&L, &stopper, 20000, on_stop);   /* a bound */
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, poster, (void *)(intptr_t)i);
	loop_run(&L);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	loop_run_posted(&L);    /* none should be left */
	loop_timer_cancel(&L, &stopper);
	CHECK(got_total == THREADS * PER, "all delivered: %d", got_total);
	CHECK(out_of_order == 0, "each thread's in order: %d", out_of_order);
	CHECK(waits > 1, "the before-wait hook ran: %d", waits);
	loop_before_wait(&L, NULL, NULL);
}

int
main(void)
{
	CHECK(loop_init(&L, slots, sizeof slots / sizeof slots[0]) == 0,
	    "init");
	test_timers();
	test_files();
	test_posting();
	loop_free(&L);
	return T_DONE();
}
