/*
 * rotsend.c - the queued changes of a run (rotqueue.h) sent, a zone's
 * batch in one UPDATE (by the senders of rotflight.h, while the run goes
 * on), and each domain in it moved on only once the server accepted it:
 * its state is saved after the answer, as when its record went alone, so
 * a run that dies leaves the domain to publish again (an UPDATE replaces
 * the record: doing it twice is harmless).
 */
#include <stdio.h>
#include <string.h>

#include "rotctx.h"

/* The answer for one change: the domain moves on (why NULL) or fails. */
static void
settle(void *arg, const struct rotq_item *it, const char *why)
{
	struct rotctx *c = arg;
	struct rotstate st;
	char err[512];

	if (rotstate_load(c->rc->state_dir, it->domain, &st, err, sizeof(err)) <= 0) {
		rot_fail(c, it->domain, "%s", err);
		return;
	}
	/* Queued twice, or moved on since: nothing more to do. */
	if ((int)st.state != it->state || strcmp(it->sel, st.state == RS_PUBLISH ? st.new.sel :
	    st.old.sel) != 0)
		return;
	if (why == NULL)
		rot_put_done(c, &st, it->fresh ? it->fresh : "");
	else
		rot_put_failed(c, &st, why);
}

/* A batch none of which can go out: each change fails with why, for the next run. */
static void
fail_batch(struct rotctx *c, struct rotq_item *batch, size_t n, const char *why)
{
	size_t i;

	for (i = 0; i < n; i++)
		settle(c, &batch[i], why);
	rotqueue_items_free(batch, n);
}

/* One batch, handed to the senders: its keys and states are on disk (rot_durable). */
static void
hand_over(struct rotctx *c, struct rotq_item *batch, size_t n)
{
	if (c->flight == NULL && (c->flight = rotflight_new(&c->pub, c->dns, settle, c)) == NULL) {
		fail_batch(c, batch, n, "out of memory");
		return;
	}
	rotflight_send(c->flight, batch, n);
}

/* A batch: none of its changes goes out before its keys and the states naming them are on disk. */
void
rot_send(struct rotctx *c, const char *zone)
{
	struct rotq_item batch[ROTQUEUE_ITEMS];
	char why[512];
	size_t n;

	if ((n = rotqueue_take(&c->queue, zone, batch)) == 0)
		return;
	if (rot_durable(c, why, sizeof(why)) < 0)
		fail_batch(c, batch, n, why);
	else
		hand_over(c, batch, n);
}

/*
 * A chunk's batches, after one flush for all of them (a flush per batch
 * cost a run of 100,000 records a thousand syncfs); partial batches wait
 * for more of their zone.
 */
void
rot_send_ready(struct rotctx *c)
{
	struct rotq_item batch[ROTQUEUE_ITEMS];
	const char *zone;
	char why[512];
	size_t n;

	if (rotqueue_ready(&c->queue) == NULL && !rotqueue_long(&c->queue))
		return;
	/* Answers settled first, so that the flush covers their states too. */
	if (c->flight != NULL)
		rotflight_settle(c->flight, 0);
	if (rot_durable(c, why, sizeof(why)) < 0) {
		/* Every queued change waited for this flush: they fail, for the next run. */
		while ((n = rotqueue_take(&c->queue, NULL, batch)) > 0)
			fail_batch(c, batch, n, why);
		return;
	}
	while ((zone = rotqueue_ready(&c->queue)) != NULL &&
	    (n = rotqueue_take(&c->queue, zone, batch)) > 0)
		hand_over(c, batch, n);
	/* Taking a batch fills no other: the oldest go while too many wait. */
	while (rotqueue_long(&c->queue) && (n = rotqueue_take(&c->queue, NULL, batch)) > 0)
		hand_over(c, batch, n);
}

/* Everything queued, sent and answered. */
void
rot_send_all(struct rotctx *c)
{
	while (c->queue.n > 0)
		rot_send(c, NULL);
	if (c->flight != NULL)
		rotflight_settle(c->flight, 1);
}
