/*
 * rotflight.c - UPDATE messages sent by a few threads while the run goes
 * on (rotflight.h). A batch moves through a slot: queued by the run's
 * thread, flown by a sender (paced, then sent, and on a refusal tried
 * again record by record), answered, then settled and freed by the run's
 * thread again.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rotflight.h"

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_FLYING, SLOT_ANSWERED };

struct slot {
	enum slot_state state;
	unsigned long seq;		/* order of hand-over: queued slots fly oldest first */
	struct rotq_item v[ROTQUEUE_ITEMS];
	int refused[ROTQUEUE_ITEMS];	/* per change, answered: not taken, */
	char why[ROTQUEUE_ITEMS][512];	/* and why */
	size_t n;
};

struct rotflight {
	struct rotpub *pub;
	struct rotdns *dns;
	rotflight_settle_fn settle;
	void *arg;
	pthread_mutex_t lock;
	pthread_cond_t work;		/* a slot queued, or stop */
	pthread_cond_t done;		/* a slot answered */
	struct slot slot[ROTFLIGHT_MAX];
	pthread_t tid[ROTFLIGHT_MAX];
	size_t threads;
	unsigned long seq;
	int stop;
};

/* The server's answer for each change of s. */
static void
fly(struct rotflight *f, struct slot *s)
{
	struct rotdns_op ops[ROTQUEUE_ITEMS];
	char why[512];
	size_t i;
	int rcode, one;

	for (i = 0; i < s->n; i++) {
		ops[i].name = s->v[i].name;
		ops[i].record = s->v[i].record;
		s->refused[i] = 0;
	}
	if (rotpub_update(f->pub, f->dns, s->v[0].zone, ops, s->n, &rcode, why,
	    sizeof(why)) == 0)
		return;
	/*
	 * A refused batch is tried again record by record, so that one record
	 * the server will not take does not hold back the others (Knot answers
	 * NOTAUTH both for a key it rejects and for one name its ACL denies, so
	 * no refusal is taken to concern every record); not when the server
	 * did not answer.
	 */
	for (i = 0; i < s->n; i++) {
		if (s->n > 1 && rcode >= 0 && rotpub_update(f->pub, f->dns, s->v[i].zone, &ops[i],
		    1, &one, s->why[i], sizeof(s->why[i])) == 0)
			continue;
		if (s->n == 1 || rcode < 0)
			memcpy(s->why[i], why, sizeof(why));
		s->refused[i] = 1;
	}
}

/* The oldest queued slot, or NULL. */
static struct slot *
oldest_queued(struct rotflight *f)
{
	struct slot *best = NULL;
	size_t i;

	for (i = 0; i < ROTFLIGHT_MAX; i++)
		if (f->slot[i].state == SLOT_QUEUED && (best == NULL || f->slot[i].seq < best->seq))
			best = &f->slot[i];
	return best;
}

static void *
sender(void *arg)
{
	struct rotflight *f = arg;
	struct slot *s;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		while (!f->stop && (s = oldest_queued(f)) == NULL)
			pthread_cond_wait(&f->work, &f->lock);
		if (f->stop)
			break;
		s->state = SLOT_FLYING;
		pthread_mutex_unlock(&f->lock);
		fly(f, s);
		pthread_mutex_lock(&f->lock);
		s->state = SLOT_ANSWERED;
		pthread_cond_broadcast(&f->done);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

struct rotflight *
rotflight_new(struct rotpub *pub, struct rotdns *dns, rotflight_settle_fn settle, void *arg)
{
	struct rotflight *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->pub = pub;
	f->dns = dns;
	f->settle = settle;
	f->arg = arg;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->work, NULL);
	pthread_cond_init(&f->done, NULL);
	for (f->threads = 0; f->threads < ROTFLIGHT_MAX; f->threads++)
		if (pthread_create(&f->tid[f->threads], NULL, sender, f) != 0)
			break;
	return f;
}

/* Settle answered slot s and free it; called with the lock held, which it drops meanwhile. */
static void
settle_slot(struct rotflight *f, struct slot *s)
{
	size_t i;

	/* Nobody else takes an answered slot: settled outside the lock. */
	pthread_mutex_unlock(&f->lock);
	for (i = 0; i < s->n; i++)
		f->settle(f->arg, &s->v[i], s->refused[i] ? s->why[i] : NULL);
	rotqueue_items_free(s->v, s->n);
	s->n = 0;
	pthread_mutex_lock(&f->lock);
	s->state = SLOT_FREE;
}

/* Settle every answered slot (lock held); the number settled. */
static size_t
settle_answered(struct rotflight *f)
{
	size_t i, n = 0;

	for (i = 0; i < ROTFLIGHT_MAX; i++)
		if (f->slot[i].state == SLOT_ANSWERED) {
			settle_slot(f, &f->slot[i]);
			n++;
		}
	return n;
}

/* Whether a slot in flight changes a name batch changes (lock held). */
static int
overlaps(const struct rotflight *f, const struct rotq_item *batch, size_t n)
{
	size_t i, j, k;

	for (i = 0; i < ROTFLIGHT_MAX; i++) {
		if (f->slot[i].state == SLOT_FREE)
			continue;
		for (j = 0; j < f->slot[i].n; j++)
			for (k = 0; k < n; k++)
				if (strcmp(f->slot[i].v[j].name, batch[k].name) == 0)
					return 1;
	}
	return 0;
}

/* A free slot, or NULL (lock held). */
static struct slot *
free_slot(struct rotflight *f)
{
	size_t i;

	for (i = 0; i < ROTFLIGHT_MAX; i++)
		if (f->slot[i].state == SLOT_FREE)
			return &f->slot[i];
	return NULL;
}

void
rotflight_send(struct rotflight *f, struct rotq_item *batch, size_t n)
{
	struct slot *s;

	pthread_mutex_lock(&f->lock);
	settle_answered(f);
	while ((s = free_slot(f)) == NULL || overlaps(f, batch, n))
		if (settle_answered(f) == 0)
			pthread_cond_wait(&f->done, &f->lock);
	memcpy(s->v, batch, n * sizeof(*batch));
	s->n = n;
	s->seq = f->seq++;
	if (f->threads == 0) {
		s->state = SLOT_FLYING;
		pthread_mutex_unlock(&f->lock);
		fly(f, s);
		pthread_mutex_lock(&f->lock);
		s->state = SLOT_ANSWERED;
		settle_answered(f);
	} else {
		s->state = SLOT_QUEUED;
		pthread_cond_signal(&f->work);
	}
	pthread_mutex_unlock(&f->lock);
}

/* Whether any slot is not free (lock held). */
static int
busy(const struct rotflight *f)
{
	size_t i;

	for (i = 0; i < ROTFLIGHT_MAX; i++)
		if (f->slot[i].state != SLOT_FREE)
			return 1;
	return 0;
}

void
rotflight_settle(struct rotflight *f, int all)
{
	pthread_mutex_lock(&f->lock);
	settle_answered(f);
	while (all && busy(f))
		if (settle_answered(f) == 0)
			pthread_cond_wait(&f->done, &f->lock);
	pthread_mutex_unlock(&f->lock);
}

void
rotflight_free(struct rotflight *f)
{
	size_t i;

	if (f == NULL)
		return;
	rotflight_settle(f, 1);
	pthread_mutex_lock(&f->lock);
	f->stop = 1;
	pthread_cond_broadcast(&f->work);
	pthread_mutex_unlock(&f->lock);
	for (i = 0; i < f->threads; i++)
		pthread_join(f->tid[i], NULL);
	pthread_cond_destroy(&f->work);
	pthread_cond_destroy(&f->done);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
