/*
 * pubsub.c - topics and subscribers in fixed pools. See pubsub.h.
 *
 * A topic node exists while it has subscribers: taken from the node pool
 * at the first subscription, hashed (FNV-1a over kind and key) into a
 * chained table, returned at the last unsubscription, unless a publish is
 * walking it: then it is returned when the walk ends, so a subscriber
 * dropped mid-walk cannot pull the list out from under it.
 */
#include <string.h>

#include "err.h"
#include "fnv.h"
#include "pubsub.h"

/* see pubsub.h */
void
pubsub_init(struct pubsub *ps, struct pubsub_sub *subs, size_t nsubs,
    struct pubsub_node *nodes, size_t nnodes, size_t per_topic_max)
{
	memset(ps, 0, sizeof *ps);
	ps->subs = subs;
	ps->nsubs = nsubs;
	ps->nodes = nodes;
	ps->nnodes = nnodes;
	ps->per_topic_max = per_topic_max;
	ps->total_max = nsubs;
}

/* A pool entry: one returned earlier, else the next never used. */
static struct pubsub_sub *
sub_take(struct pubsub *ps)
{
	struct pubsub_sub *s = ps->free_subs;

	if (s != NULL)
		ps->free_subs = s->next;
	else if (ps->subs_used < ps->nsubs)
		s = &ps->subs[ps->subs_used++];
	return s;
}

static struct pubsub_node *
node_take(struct pubsub *ps)
{
	struct pubsub_node *n = ps->free_nodes;

	if (n != NULL)
		ps->free_nodes = n->hnext;
	else if (ps->nodes_used < ps->nnodes)
		n = &ps->nodes[ps->nodes_used++];
	return n;
}

/* see pubsub.h */
void
pubsub_topic(struct pubsub_topic *t, int kind, const void *key, size_t n)
{
	if (n > PUBSUB_KEY_MAX)
		n = PUBSUB_KEY_MAX;
	t->kind = kind;
	t->len = n;
	if (n > 0)
		memcpy(t->key, key, n);
}

static struct pubsub_node **
slot(struct pubsub *ps, const struct pubsub_topic *t)
{
	uint64_t h = fnv1a64_byte(FNV1A64_INIT, (unsigned char)t->kind);

	for (size_t i = 0; i < t->len; i++)
		h = fnv1a64_byte(h, (unsigned char)t->key[i]);
	return &ps->buckets[h % PUBSUB_BUCKETS];
}

static int
same(const struct pubsub_topic *a, const struct pubsub_topic *b)
{
	return a->kind == b->kind && a->len == b->len &&
	    memcmp(a->key, b->key, a->len) == 0;
}

static struct pubsub_node *
find(struct pubsub *ps, const struct pubsub_topic *t)
{
	for (struct pubsub_node *n = *slot(ps, t); n != NULL; n = n->hnext)
		if (same(&n->topic, t))
			return n;
	return NULL;
}

static void
node_release(struct pubsub *ps, struct pubsub_node *n)
{
	struct pubsub_node **pp = slot(ps, &n->topic);

	while (*pp != n)
		pp = &(*pp)->hnext;
	*pp = n->hnext;
	n->hnext = ps->free_nodes;
	ps->free_nodes = n;
}

/* see pubsub.h */
int
pubsub_subscribe(struct pubsub *ps, const struct pubsub_topic *t,
    uint64_t owner, struct pubsub_sub **list)
{
	struct pubsub_node *n = find(ps, t), **pp;
	struct pubsub_sub *s;

	for (s = *list; s != NULL; s = s->onext)
		if (s->node == n && n != NULL)
			return 0;               /* already */
	if (ps->total >= ps->total_max)
		return ERR_LIMIT;
	if (n != NULL && n->count >= ps->per_topic_max)
		return ERR_LIMIT;
	if (n == NULL) {
		if (ps->per_topic_max == 0 || (n = node_take(ps)) == NULL)
			return ERR_LIMIT;
		n->topic = *t;
		n->head.prev = n->head.next = &n->head;
		n->count = 0;
		n->busy = 0;
		pp = slot(ps, t);
		n->hnext = *pp;
		*pp = n;
	}
	if ((s = sub_take(ps)) == NULL) {
		if (n->count == 0)
			node_release(ps, n);
		return ERR_LIMIT;
	}
	s->owner = owner;
	s->node = n;
	s->prev = n->head.prev;         /* at the tail: publish order */
	s->next = &n->head;
	n->head.prev->next = s;
	n->head.prev = s;
	n->count++;
	s->onext = *list;
	*list = s;
	ps->total++;
	return 0;
}

/* Take s out of its topic (and return the topic if now empty). */
static void
sub_release(struct pubsub *ps, struct pubsub_sub *s)
{
	struct pubsub_node *n = s->node;

	s->prev->next = s->next;
	s->next->prev = s->prev;
	s->node = NULL;
	s->next = ps->free_subs;
	ps->free_subs = s;
	ps->total--;
	if (--n->count == 0 && !n->busy)
		node_release(ps, n);
}

/* see pubsub.h */
void
pubsub_unsubscribe(struct pubsub *ps, const struct pubsub_topic *t,
    struct pubsub_sub **list)
{
	for (struct pubsub_sub **pp = list; *pp != NULL;
	    pp = &(*pp)->onext) {
		struct pubsub_sub *s = *pp;
		if (same(&s->node->topic, t)) {
			*pp = s->onext;
			sub_release(ps, s);
			return;
		}
	}
}

/* see pubsub.h */
void
pubsub_drop(struct pubsub *ps, struct pubsub_sub **list)
{
	while (*list != NULL) {
		struct pubsub_sub *s = *list;
		*list = s->onext;
		sub_release(ps, s);
	}
}

/*
 * The walk starts where the last one chose: the subscriber it met at
 * 0.618 of the way (the golden ratio's stride visits the positions evenly,
 * where a stride of one would leave a subscriber near the end for a long
 * run of events). Moving the sentinel in front of it is O(1), and it is
 * chosen after its own call, so a drop cannot have released it (fn may
 * drop only the owner it was called for).
 */
/* see pubsub.h */
size_t
pubsub_publish(struct pubsub *ps, const struct pubsub_topic *t,
    void (*fn)(void *arg, uint64_t owner), void *arg)
{
	struct pubsub_node *n = find(ps, t);
	struct pubsub_sub *s, *next, *start = NULL;
	size_t k = 0, at;

	if (n == NULL)
		return 0;
	at = n->count * 618 / 1000;
	n->busy = 1;
	for (s = n->head.next; s != &n->head; s = next) {
		next = s->next;         /* s may be released by fn */
		fn(arg, s->owner);
		if (k++ >= at && start == NULL && s->node == n)
			start = s;
	}
	n->busy = 0;
	if (n->count == 0) {
		node_release(ps, n);
	} else if (start != NULL && start != n->head.next) {
		n->head.prev->next = n->head.next;      /* close the ring */
		n->head.next->prev = n->head.prev;
		n->head.prev = start->prev;             /* reopen before start */
		n->head.next = start;
		start->prev->next = &n->head;
		start->prev = &n->head;
	}
	return k;
}

/* see pubsub.h */
size_t
pubsub_count(const struct pubsub *ps, const struct pubsub_topic *t)
{
	struct pubsub_node *n = find((struct pubsub *)ps, t);

	return n ? n->count : 0;
}

/* see pubsub.h */
size_t
pubsub_total(const struct pubsub *ps)
{
	return ps->total;
}
