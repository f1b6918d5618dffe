/*
 * rotqueue.h - the DNS changes of one run, grouped by zone so that many
 * domains' records go out in one RFC 2136 UPDATE instead of one each: a
 * server (Knot, BIND) commits each UPDATE as its own zone transaction, and
 * that cost, not the network, is what bounds a run publishing thousands of
 * records. A batch is bounded in records and bytes so that it fits one TCP
 * message and a refusal concerns few domains.
 */
#ifndef DKIMROTATE_ROTQUEUE_H
#define DKIMROTATE_ROTQUEUE_H

#include <stddef.h>

#define ROTQUEUE_ITEMS 100		/* records per UPDATE */
#define ROTQUEUE_BYTES 60000		/* and bytes, below TCP's 65535 */
#define ROTQUEUE_WAITING 8		/* batches' worth kept waiting for more of their zone */

/* One change: record replaces the TXT records at name (NULL: removes them). */
struct rotq_item {
	char *zone, *name, *record;
	char *domain;		/* whose state moves on once the change is accepted */
	char *sel;		/* the selector it concerns */
	int state;		/* the state the domain was in when queued */
	char *fresh;		/* what rot_fresh_checks looks at again */
	size_t size;		/* bytes it adds to an UPDATE */
};

struct rotqueue {
	struct rotq_item *v;
	size_t n, cap;
	size_t max_items, max_bytes;	/* of one batch */
};

/* An empty queue with batches of at most items records and bytes bytes. */
void rotqueue_init(struct rotqueue *q, size_t items, size_t bytes);
void rotqueue_free(struct rotqueue *q);

/*
 * Queue a change (the strings are copied; record, fresh may be NULL): 1
 * when its zone's queued changes now fill a batch, 0 when not, -1 when
 * out of memory.
 */
int rotqueue_add(struct rotqueue *q, const char *zone, const char *name, const char *record,
    const char *domain, const char *sel, int state, const char *fresh);

/* The zone of a full batch (in records or bytes), or NULL. */
const char *rotqueue_ready(const struct rotqueue *q);

/* Nonzero when more than ROTQUEUE_WAITING batches' worth wait: time to send the oldest. */
int rotqueue_long(const struct rotqueue *q);

/*
 * Take the next batch of zone (NULL: of the zone of the oldest change) into
 * out, which holds max_items: its changes in the order queued, up to the
 * bounds (at least one, whatever its size). The number taken; 0 when none.
 */
size_t rotqueue_take(struct rotqueue *q, const char *zone, struct rotq_item *out);

/* Free the strings of a batch taken. */
void rotqueue_items_free(struct rotq_item *v, size_t n);

#endif
