/*
 * cancel.h - asking running work to stop: a flag one thread sets and the
 * worker's loops read, with no lock and no signal.
 *
 * A job (job.h) passes one down to every loop that can last: the network
 * waits (net.c polls in slices of CANCEL_POLL_MS and looks in between), the
 * download's body loop, the archive reader, the inflater thread and the
 * directory walk. Whoever owns the work sets it: a server's DELETE, a run
 * whose grace period is over. A cancel may have a parent: set either, and the
 * work stops (one flag per job under one for the whole process).
 *
 * Caller-allocated; plain data besides the atomic (no interior pointers but
 * the parent, which must outlive it).
 */
#ifndef CANCEL_H
#define CANCEL_H

#include <stdatomic.h>
#include <stddef.h>

/* The longest a blocking wait goes without looking at its cancel: a
 * cancelled job stops well within a second. */
#define CANCEL_POLL_MS 100

struct cancel {
	atomic_int set;
	const struct cancel *parent;    /* NULL, or also stop when it is set */
};

static inline void
cancel_init(struct cancel *c, const struct cancel *parent)
{
	atomic_init(&c->set, 0);
	c->parent = parent;
}

/* Ask the work watching c to stop (async-signal-safe, any thread). */
static inline void
cancel_request(struct cancel *c)
{
	atomic_store_explicit(&c->set, 1, memory_order_relaxed);
}

/* 1 if c or one of its parents was set; 0 for c == NULL. */
static inline int
cancel_requested(const struct cancel *c)
{
	for (; c != NULL; c = c->parent)
		if (atomic_load_explicit((atomic_int *)&c->set,
		    memory_order_relaxed) != 0)
			return 1;
	return 0;
}

#endif
