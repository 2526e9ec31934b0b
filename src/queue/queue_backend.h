/*
 * queue_backend.h - what a storage backend of the job table implements.
 *
 * queue.c owns what every backend shares: the writer thread, the operation
 * list, group commit (begin, apply each waiting op, commit once, then call
 * the ops' done()), the blocking wrapper and the reader handles. A backend
 * owns SQL and durability: the SQLite one (queue_sqlite.c) now; a PostgreSQL
 * one later is a second file with the same table shape and rules
 * (SELECT ... FOR UPDATE SKIP LOCKED where SQLite has its one writer).
 *
 * Threads: open() runs on the caller of queue_open(); begin, apply, commit,
 * rollback and close on the writer thread only. A reader's functions run on
 * the thread that opened it.
 */
#ifndef QUEUE_BACKEND_H
#define QUEUE_BACKEND_H

#include "queue.h"

struct queue_backend {
	/* Lock, check, migrate, recover (see queue_open). *w: its state. */
	int (*open)(void **w, const struct queue_config *cfg,
	    struct err_ctx *ec);
	/* One transaction around a batch of ops. */
	int (*begin)(void *w, struct err_ctx *ec);
	/* One op inside it, its result in op->out: an op refused (no such
	 * job, wrong state, bad input) changes nothing and the batch goes
	 * on; a database failure after an op wrote makes commit fail, and
	 * the whole batch with it. */
	void (*apply)(void *w, struct queue_op *op);
	int (*commit)(void *w, struct err_ctx *ec);
	void (*rollback)(void *w);
	void (*close)(void *w);

	int (*reader_open)(void *w, void **r, struct err_ctx *ec);
	void (*reader_close)(void *r);
	int (*get)(void *r, const char *id, struct queue_job *job,
	    struct err_ctx *ec);
	int (*list)(void *r, const struct queue_filter *f,
	    struct queue_job *jobs, size_t cap, size_t *n, struct err_ctx *ec);
	int (*attempts)(void *r, const char *id, struct queue_attempt *att,
	    size_t cap, size_t *n, struct err_ctx *ec);
	int (*stats)(void *r, struct queue_stats *st, struct err_ctx *ec);
	int (*repo_get)(void *r, const struct queue_key *k,
	    struct queue_repo *out, struct err_ctx *ec);
};

/* The SQLite backend (queue_sqlite.c). */
extern const struct queue_backend queue_sqlite_backend;

/* cfg's clock, or the system's, in ms since the epoch. */
int64_t queue_now(const struct queue_config *cfg);

#endif
