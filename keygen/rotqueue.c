/*
 * rotqueue.c - a run's DNS changes grouped by zone into bounded batches
 * (rotqueue.h). The queue stays small (a few batches: rotqueue_long, or a
 * chunk's changes), so a linear scan per change is cheaper than an index;
 * finding a full batch among all its zones is not (rotqueue_ready).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../tables/memtable.h"
#include "rotqueue.h"

/* An empty queue. */
void
rotqueue_init(struct rotqueue *q, size_t items, size_t bytes)
{
	memset(q, 0, sizeof(*q));
	q->max_items = items ? items : 1;
	q->max_bytes = bytes;
}

/* Free the strings of n items. */
void
rotqueue_items_free(struct rotq_item *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].zone);
		free(v[i].name);
		free(v[i].record);
		free(v[i].domain);
		free(v[i].sel);
		free(v[i].fresh);
	}
}

/* Free whatever is still queued. */
void
rotqueue_free(struct rotqueue *q)
{
	rotqueue_items_free(q->v, q->n);
	free(q->v);
	memset(q, 0, sizeof(*q));
}

/* A copy of s, or NULL for NULL; *bad set when the copy failed. */
static char *
dup_or_null(const char *s, int *bad)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*bad = 1;
	return d;
}

/* Queue a change. */
int
rotqueue_add(struct rotqueue *q, const char *zone, const char *name, const char *record,
    const char *domain, const char *sel, int state, const char *fresh)
{
	struct rotq_item it, *v;
	size_t i, n = 0, bytes = 0;
	int bad = 0;

	if (q->n == q->cap) {
		if ((v = realloc(q->v, (q->cap ? q->cap * 2 : 64) * sizeof(*v))) == NULL)
			return -1;
		q->v = v;
		q->cap = q->cap ? q->cap * 2 : 64;
	}
	memset(&it, 0, sizeof(it));
	it.zone = dup_or_null(zone, &bad);
	it.name = dup_or_null(name, &bad);
	it.record = dup_or_null(record, &bad);
	it.domain = dup_or_null(domain, &bad);
	it.sel = dup_or_null(sel, &bad);
	it.fresh = dup_or_null(fresh, &bad);
	it.state = state;
	/* The RRset deletion and the record: owner, type, class, TTL, length, strings. */
	it.size = 2 * (strlen(name) + 12) + (record ? strlen(record) + strlen(record) / 255 + 1 : 0);
	if (bad || it.zone == NULL || it.name == NULL) {
		rotqueue_items_free(&it, 1);
		return -1;
	}
	q->v[q->n++] = it;
	for (i = 0; i < q->n; i++)
		if (strcasecmp(q->v[i].zone, zone) == 0) {
			n++;
			bytes += q->v[i].size;
		}
	return n >= q->max_items || (q->max_bytes != 0 && bytes >= q->max_bytes);
}

/*
 * The zone of a full batch, the first in queue order. The zones are
 * counted through a hash table: at the end of a chunk the queue holds its
 * changes, as many zones as domains when each domain is its own zone, and
 * a scan of the queue per zone cost their square (0.8 s a chunk of 256).
 * Out of memory, none is said to be full: the oldest go out when too many
 * wait, batched or not.
 */
const char *
rotqueue_ready(const struct rotqueue *q)
{
	struct memtable t;
	const char *full = NULL;
	size_t i, n, bytes;
	uint32_t r;

	memtable_init(&t, 1);
	for (i = 0; i < q->n; i++)
		if (memtable_add(&t, q->v[i].zone, strlen(q->v[i].zone), NULL, 0, 0) < 0)
			goto out;
	if (memtable_index(&t) < 0)
		goto out;
	for (i = 0; i < q->n && full == NULL; i++) {
		/* Each zone counted once, from its first change, along its chain of rows. */
		if (memtable_find(&t, q->v[i].zone, strlen(q->v[i].zone)) != i)
			continue;
		for (n = bytes = 0, r = (uint32_t)i; r != MEMTABLE_NONE; r = t.rows[r].next) {
			n++;
			bytes += q->v[r].size;
		}
		if (n >= q->max_items || (q->max_bytes != 0 && bytes >= q->max_bytes))
			full = q->v[i].zone;
	}
out:
	memtable_free(&t);
	return full;
}

/* Nonzero when more than a few batches wait. */
int
rotqueue_long(const struct rotqueue *q)
{
	return q->n > ROTQUEUE_WAITING * q->max_items;
}

/* Take a batch of zone's changes (NULL: the oldest change's zone). */
size_t
rotqueue_take(struct rotqueue *q, const char *zone, struct rotq_item *out)
{
	size_t j, k = 0, n = 0, bytes = 0;
	int full = 0;	/* the batch is full: the zone's later changes stay, in order */

	if (q->n == 0)
		return 0;
	if (zone == NULL)
		zone = q->v[0].zone;	/* moves to out[0], still allocated */
	/* Move the zone's first changes that fit out, keeping the others' order. */
	for (j = 0; j < q->n; j++) {
		if (!full && strcasecmp(q->v[j].zone, zone) == 0)
			full = k == q->max_items || (k > 0 && q->max_bytes != 0 &&
			    bytes + q->v[j].size > q->max_bytes);
		else {
			q->v[n++] = q->v[j];
			continue;
		}
		if (full)
			q->v[n++] = q->v[j];
		else {
			bytes += q->v[j].size;
			out[k++] = q->v[j];
		}
	}
	q->n = n;
	return k;
}
