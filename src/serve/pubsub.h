/*
 * pubsub.h - who listens to what: topics (every job, one project, one
 * job) and their subscribers, in caller-allocated pools with hard caps.
 * No I/O, no allocation, loop thread only.
 *
 * A subscriber is an owner id (the server's connection slot and
 * generation); delivering, and dropping a subscriber whose output is
 * over its limit, is the server's (serve.c): this module only answers
 * "who is subscribed to this topic" fast, and refuses a subscription over
 * the per-topic or total cap instead of growing.
 */
#ifndef PUBSUB_H
#define PUBSUB_H

#include <stddef.h>
#include <stdint.h>

#define PUBSUB_KEY_MAX  100     /* a job id or project name (body.h) */
#define PUBSUB_BUCKETS  1024

enum pubsub_kind {
	PUBSUB_ALL = 0,         /* every job */
	PUBSUB_PROJECT,         /* the jobs of one project */
	PUBSUB_JOB              /* one job */
};

struct pubsub_topic {
	int kind;               /* enum pubsub_kind */
	size_t len;
	char key[PUBSUB_KEY_MAX];       /* not NUL-terminated; "" for ALL */
};

struct pubsub_node;

struct pubsub_sub {             /* a pool entry: internal */
	struct pubsub_sub *prev, *next; /* in the topic's list */
	struct pubsub_sub *onext;       /* in the owner's list */
	struct pubsub_node *node;
	uint64_t owner;
};

struct pubsub_node {            /* a pool entry: internal */
	struct pubsub_topic topic;
	struct pubsub_sub head;         /* list sentinel */
	size_t count;
	struct pubsub_node *hnext;      /* hash chain, or free list */
	int busy;                       /* being published to */
};

struct pubsub {
	struct pubsub_sub *subs, *free_subs;    /* pool, and entries returned */
	struct pubsub_node *nodes, *free_nodes;
	size_t nsubs, nnodes;
	size_t subs_used, nodes_used;   /* entries ever taken: the pools are
	                                 * touched only as they are used */
	struct pubsub_node *buckets[PUBSUB_BUCKETS];
	size_t per_topic_max;
	size_t total, total_max;
};

/*
 * Set up with the caller's pools: nsubs subscriptions in all (the total
 * cap), nnodes topics with at least one subscriber (nnodes <= nsubs is
 * enough), at most per_topic_max subscribers per topic.
 */
void pubsub_init(struct pubsub *ps, struct pubsub_sub *subs, size_t nsubs,
    struct pubsub_node *nodes, size_t nnodes, size_t per_topic_max);

/* A topic from a kind and a key (cut at PUBSUB_KEY_MAX: keys are checked
 * names, never that long). */
void pubsub_topic(struct pubsub_topic *t, int kind, const void *key,
    size_t n);

/*
 * Subscribe owner to t; *list is the owner's own list of subscriptions
 * (a pointer the caller keeps per owner, NULL at first). Subscribing
 * twice is one subscription. 0, or ERR_LIMIT (the topic's or the total
 * cap: nothing changed).
 */
int pubsub_subscribe(struct pubsub *ps, const struct pubsub_topic *t,
    uint64_t owner, struct pubsub_sub **list);

/* Undo one subscription (no-op if absent). */
void pubsub_unsubscribe(struct pubsub *ps, const struct pubsub_topic *t,
    struct pubsub_sub **list);

/* Undo all of an owner's subscriptions. */
void pubsub_drop(struct pubsub *ps, struct pubsub_sub **list);

/*
 * Call fn(arg, owner) for each subscriber of t; returns how many. The
 * first publish goes in subscription order, each next one starts further
 * round the same ring, so no subscriber is always the last served. fn may
 * drop or unsubscribe the owner it was called for (a slow subscriber), no
 * other.
 */
size_t pubsub_publish(struct pubsub *ps, const struct pubsub_topic *t,
    void (*fn)(void *arg, uint64_t owner), void *arg);

/* Subscribers of t, and in all. */
size_t pubsub_count(const struct pubsub *ps, const struct pubsub_topic *t);
size_t pubsub_total(const struct pubsub *ps);

#endif
