/*
 * loop.h - a readiness loop over epoll for one thread (the service's
 * network thread), in the spirit of redis's ae.c: file events, timers, and
 * messages posted from other threads.
 *
 * - File events: one callback per descriptor, for readable and/or
 *   writable. Slots are indexed by fd in a caller-allocated array; a
 *   per-slot generation makes an event for a descriptor closed (and
 *   perhaps reused) earlier in the same batch harmless.
 * - Timers: intrusive nodes in a hashed timing wheel (LOOP_WHEEL slots of
 *   LOOP_TICK_MS): arming, re-arming and cancelling are O(1), so every
 *   connection can move its deadline on every byte; a timer fires within
 *   one tick after it is due. No per-socket kernel timers.
 * - Posting: loop_post() is the one function other threads may call. It
 *   pushes a caller-owned node on a lock-free stack and, when the stack
 *   was empty, writes the loop's eventfd: a posting thread never waits for
 *   the loop thread, never takes a lock, never allocates. The loop runs
 *   posted callbacks in posting order, LOOP_POSTED per iteration (the
 *   sockets are served between batches).
 * - Stopping: loop_stop() (from the loop thread, e.g. from a signalfd
 *   callback or a posted message) makes loop_run() return after the
 *   current iteration. Draining connections first is the server's job.
 *
 * Everything but loop_post() belongs to the loop thread.
 */
#ifndef LOOP_H
#define LOOP_H

#include <stddef.h>
#include <stdint.h>

#define LOOP_READ   1
#define LOOP_WRITE  2
#define LOOP_WHEEL  512         /* timer slots: 51.2 s per turn */
#define LOOP_TICK_MS 100        /* timeouts are seconds; 0.1 s is plenty */
#define LOOP_BATCH  128         /* epoll events taken per wait */
#define LOOP_POSTED 256         /* posted callbacks run per iteration: a
                                 * burst cannot hold off the sockets */

struct loop;

/* A file event: events is LOOP_READ and/or LOOP_WRITE (errors and hang-ups
 * are reported as both, so the reader or writer finds out). */
typedef void loop_io_fn(struct loop *l, int fd, int events, void *arg);

struct loop_slot {              /* one per possible fd; zeroed by the caller */
	loop_io_fn *fn;
	void *arg;
	uint32_t gen;           /* bumped on every add and delete */
	int mask;               /* LOOP_READ | LOOP_WRITE, 0 = not watched */
	int used;
};

struct loop_timer {             /* caller-owned; zero it before first use */
	struct loop_timer *prev, *next;
	uint64_t due;           /* loop_now() milliseconds */
	void (*fn)(struct loop *l, struct loop_timer *t);
	int armed;
};

struct loop_msg {               /* caller-owned; valid until its fn runs */
	struct loop_msg *next;
	void (*fn)(struct loop *l, struct loop_msg *m);
};

struct loop {                   /* internal: see loop.c */
	int epfd, wakefd;
	struct loop_slot *slots;
	size_t nslots;
	struct loop_timer wheel[LOOP_WHEEL];    /* list heads */
	uint64_t tick;          /* last wheel tick processed */
	uint64_t now;           /* milliseconds, CLOCK_MONOTONIC */
	size_t ntimers;
	struct loop_msg *_Atomic posted;
	struct loop_msg *fifo, *fifo_tail;      /* taken, not yet run */
	void (*before_wait)(struct loop *l, void *arg);
	void *before_arg;
	int stop;
};

/*
 * Set up l with nslots caller-allocated, zeroed slots (descriptors 0 to
 * nslots - 1 can be watched). 0, or ERR_IO (epoll or eventfd failed;
 * errno kept).
 */
int loop_init(struct loop *l, struct loop_slot *slots, size_t nslots);

/* Close the loop's descriptors. Watched fds are the caller's to close. */
void loop_free(struct loop *l);

/*
 * Watch fd for mask (LOOP_READ | LOOP_WRITE; may be 0 to only reserve the
 * slot) with fn(arg). 0, ERR_LIMIT (fd >= nslots) or ERR_IO.
 */
int loop_add(struct loop *l, int fd, int mask, loop_io_fn *fn, void *arg);

/* Change what fd is watched for. 0 or ERR_IO. */
int loop_mod(struct loop *l, int fd, int mask);

/* Stop watching fd (before closing it). Pending events for it are dropped. */
void loop_del(struct loop *l, int fd);

/* Milliseconds on the monotonic clock, as of this iteration. */
uint64_t loop_now(const struct loop *l);

/* Arm (or re-arm) t to call fn after ms milliseconds. */
void loop_timer_set(struct loop *l, struct loop_timer *t, uint64_t ms,
    void (*fn)(struct loop *l, struct loop_timer *t));

/* Disarm t (no-op if it is not armed). */
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/*
 * From any thread: run m->fn on the loop thread soon. m must stay valid
 * until then (the callback owns it afterwards). Never blocks.
 */
void loop_post(struct loop *l, struct loop_msg *m);

/* A function run before each wait (the server flushes output there). */
void loop_before_wait(struct loop *l, void (*fn)(struct loop *, void *),
    void *arg);

/* Run until loop_stop(). 0, or ERR_IO if epoll_wait failed. */
int loop_run(struct loop *l);

/* After loop_run() returned and the posting threads are joined: run the
 * callbacks of what was posted since, so their nodes are handed back. */
void loop_run_posted(struct loop *l);

/* From the loop thread: return from loop_run() after this iteration. */
void loop_stop(struct loop *l);

#endif
