/*
 * loop.c - the readiness loop: epoll, a timing wheel, and a wake-up for
 * other threads. See loop.h.
 *
 * One iteration: the before-wait hook (the server flushes output), then
 * epoll_wait() with a timeout that reaches the next non-empty wheel slot,
 * then the file events of the batch, then the timers that fell due.
 *
 * The wheel: a timer due at D milliseconds sits in slot ceil(D / TICK) %
 * WHEEL and fires when the loop has processed that tick and D <= now (so
 * never early); a timer further than one turn away stays in its slot and
 * is passed over until its turn comes round. Expired timers are moved to
 * a local list first, in due order, and fired from there, so a callback
 * may arm, re-arm or cancel any timer, the one firing included.
 *
 * Posting: a Treiber stack with push-only CAS and a whole-stack exchange
 * by the one consumer (no pop, so no ABA). The loop reads the eventfd
 * before taking the stack: a push that lands after the exchange found the
 * stack empty and writes the eventfd again, so no wake-up is lost. What
 * is taken goes to a FIFO the loop thread alone owns, run LOOP_POSTED at
 * a time; while it is not empty the loop polls instead of sleeping.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "loop.h"

#define WAKE_TAG UINT64_MAX     /* epoll data of the eventfd */

static uint64_t
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* see loop.h */
int
loop_init(struct loop *l, struct loop_slot *slots, size_t nslots)
{
	struct epoll_event ev;

	memset(l, 0, sizeof *l);
	l->slots = slots;
	l->nslots = nslots;
	atomic_init(&l->posted, NULL);
	for (size_t i = 0; i < LOOP_WHEEL; i++)
		l->wheel[i].prev = l->wheel[i].next = &l->wheel[i];
	l->now = clock_ms();
	l->tick = l->now / LOOP_TICK_MS;
	l->wakefd = -1;
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return ERR_IO;
	if ((l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		goto fail;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.u64 = WAKE_TAG;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev) != 0)
		goto fail;
	return 0;
fail:
	loop_free(l);
	return ERR_IO;
}

/* see loop.h */
void
loop_free(struct loop *l)
{
	if (l->wakefd >= 0)
		close(l->wakefd);
	if (l->epfd >= 0)
		close(l->epfd);
	l->wakefd = l->epfd = -1;
}

static uint32_t
ep_mask(int mask)
{
	/* EPOLLRDHUP: a peer that half-closes while we only wait to
	 * write is noticed too. */
	return (mask & LOOP_READ ? EPOLLIN | EPOLLRDHUP : 0) |
	    (mask & LOOP_WRITE ? EPOLLOUT : 0);
}

static int
ctl(struct loop *l, int op, int fd, int mask)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof ev);
	ev.events = ep_mask(mask);
	ev.data.u64 = (uint64_t)l->slots[fd].gen << 32 | (uint32_t)fd;
	return epoll_ctl(l->epfd, op, fd, &ev) == 0 ? 0 : ERR_IO;
}

/* see loop.h */
int
loop_add(struct loop *l, int fd, int mask, loop_io_fn *fn, void *arg)
{
	struct loop_slot *s;

	if (fd < 0 || (size_t)fd >= l->nslots)
		return ERR_LIMIT;
	s = &l->slots[fd];
	s->gen++;
	s->fn = fn;
	s->arg = arg;
	s->mask = mask;
	s->used = 1;
	if (ctl(l, EPOLL_CTL_ADD, fd, mask) != 0) {
		s->used = 0;
		return ERR_IO;
	}
	return 0;
}

/* see loop.h */
int
loop_mod(struct loop *l, int fd, int mask)
{
	struct loop_slot *s = &l->slots[fd];

	if (s->mask == mask)
		return 0;
	s->mask = mask;
	return ctl(l, EPOLL_CTL_MOD, fd, mask);
}

/* see loop.h */
void
loop_del(struct loop *l, int fd)
{
	struct loop_slot *s;

	if (fd < 0 || (size_t)fd >= l->nslots || !l->slots[fd].used)
		return;
	s = &l->slots[fd];
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	s->used = 0;
	s->mask = 0;
	s->gen++;               /* events already fetched for fd are stale */
}

/* see loop.h */
uint64_t
loop_now(const struct loop *l)
{
	return l->now;
}

/* ------------------------------------------------------------ timers */

static void
unlink_timer(struct loop_timer *t)
{
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->prev = t->next = NULL;
}

static void
link_after(struct loop_timer *head, struct loop_timer *t)
{
	t->next = head->next;
	t->prev = head;
	head->next->prev = t;
	head->next = t;
}

/* see loop.h */
void
loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (!t->armed)
		return;
	unlink_timer(t);
	t->armed = 0;
	l->ntimers--;
}

/* see loop.h */
void
loop_timer_set(struct loop *l, struct loop_timer *t, uint64_t ms,
    void (*fn)(struct loop *l, struct loop_timer *t))
{
	uint64_t tick;

	loop_timer_cancel(l, t);
	t->due = l->now + ms;
	t->fn = fn;
	tick = (t->due + LOOP_TICK_MS - 1) / LOOP_TICK_MS;
	if (tick <= l->tick)
		tick = l->tick + 1;     /* that slot was processed already */
	/* at the tail: timers of one slot fire in the order they were set */
	link_after(l->wheel[tick % LOOP_WHEEL].prev, t);
	t->armed = 1;
	l->ntimers++;
}

/* Fire what is due up to the current tick. */
static void
run_timers(struct loop *l)
{
	uint64_t until = l->now / LOOP_TICK_MS, from = l->tick + 1;
	struct loop_timer expired, *t;

	if (until < from)
		return;
	/* Asleep for more than a turn: every slot once is enough. */
	if (until - from >= LOOP_WHEEL)
		from = until - LOOP_WHEEL + 1;
	expired.prev = expired.next = &expired;
	for (uint64_t k = from; k <= until && l->ntimers > 0; k++) {
		struct loop_timer *head = &l->wheel[k % LOOP_WHEEL];
		for (t = head->next; t != head;) {
			struct loop_timer *next = t->next;
			if (t->due <= l->now) {
				/* expired in due order: timers are mostly
				 * set in due order, so this walk is short */
				struct loop_timer *at = expired.prev;
				unlink_timer(t);
				while (at != &expired && at->due > t->due)
					at = at->prev;
				link_after(at, t);
			}
			t = next;
		}
	}
	l->tick = until;
	while ((t = expired.next) != &expired) {
		unlink_timer(t);
		t->armed = 0;
		l->ntimers--;
		t->fn(l, t);
	}
}

/* epoll_wait's timeout: up to the next non-empty slot, -1 with none. */
static int
wait_ms(const struct loop *l)
{
	if (l->fifo != NULL)
		return 0;               /* posted work left from a batch */
	if (l->ntimers == 0)
		return -1;
	for (uint64_t k = l->tick + 1; k <= l->tick + LOOP_WHEEL; k++) {
		const struct loop_timer *head = &l->wheel[k % LOOP_WHEEL];
		if (head->next != head) {
			uint64_t at = k * LOOP_TICK_MS;
			return at <= l->now ? 0 : (int)(at - l->now);
		}
	}
	return LOOP_WHEEL * LOOP_TICK_MS;
}

/* ------------------------------------------------------------ posting */

/* see loop.h */
void
loop_post(struct loop *l, struct loop_msg *m)
{
	struct loop_msg *head = atomic_load_explicit(&l->posted,
	    memory_order_relaxed);
	uint64_t one = 1;

	do
		m->next = head;
	while (!atomic_compare_exchange_weak_explicit(&l->posted, &head, m,
	    memory_order_release, memory_order_relaxed));
	/* Only the push onto an empty stack wakes the loop; the others
	 * are taken with it. A full eventfd counter (2^64 - 2) cannot
	 * happen: the loop resets it on every wake. */
	if (head == NULL) {
		ssize_t w = write(l->wakefd, &one, sizeof one);
		(void)w;
	}
}

/* Take what was posted onto the FIFO (the stack is newest first). */
static void
take_posted(struct loop *l)
{
	uint64_t v;
	struct loop_msg *m, *rev = NULL, *tail;
	ssize_t r = read(l->wakefd, &v, sizeof v);

	(void)r;                /* EAGAIN: nothing to clear */
	m = atomic_exchange_explicit(&l->posted, NULL, memory_order_acquire);
	tail = m;
	while (m != NULL) {
		struct loop_msg *next = m->next;
		m->next = rev;
		rev = m;
		m = next;
	}
	if (rev == NULL)
		return;
	if (l->fifo == NULL)
		l->fifo = rev;
	else
		l->fifo_tail->next = rev;
	l->fifo_tail = tail;
}

/* Run up to max callbacks from the FIFO. */
static void
run_fifo(struct loop *l, size_t max)
{
	while (l->fifo != NULL && max-- > 0) {
		struct loop_msg *m = l->fifo;
		l->fifo = m->next;
		if (l->fifo == NULL)
			l->fifo_tail = NULL;
		m->fn(l, m);    /* may free m */
	}
}

/* see loop.h */
void
loop_run_posted(struct loop *l)
{
	take_posted(l);
	run_fifo(l, SIZE_MAX);
}

/* ------------------------------------------------------------ run */

/* see loop.h */
void
loop_before_wait(struct loop *l, void (*fn)(struct loop *, void *),
    void *arg)
{
	l->before_wait = fn;
	l->before_arg = arg;
}

/* see loop.h */
void
loop_stop(struct loop *l)
{
	l->stop = 1;
}

/* see loop.h */
int
loop_run(struct loop *l)
{
	struct epoll_event evs[LOOP_BATCH];

	l->stop = 0;
	while (!l->stop) {
		int n;

		if (l->before_wait != NULL)
			l->before_wait(l, l->before_arg);
		if (l->stop)
			break;
		n = epoll_wait(l->epfd, evs, LOOP_BATCH, wait_ms(l));
		if (n < 0 && errno != EINTR)
			return ERR_IO;
		l->now = clock_ms();
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			uint32_t e = evs[i].events;
			int fd = (int)(uint32_t)tag, mask = 0;
			struct loop_slot *s;

			if (tag == WAKE_TAG) {
				take_posted(l);
				continue;
			}
			s = &l->slots[fd];
			if (!s->used || s->gen != (uint32_t)(tag >> 32))
				continue;       /* deleted in this batch */
			if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				mask |= LOOP_READ;
			if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
				mask |= LOOP_WRITE;
			s->fn(l, fd, mask, s->arg);
		}
		run_fifo(l, LOOP_POSTED);
		run_timers(l);
	}
	return 0;
}
