/*
 * rotsend.c - the queued changes of a run (rotqueue.h) sent, a zone's
 * batch in one UPDATE, and each domain in it moved on only once the
 * server accepted it: its state is saved after the answer, as when its
 * record went alone, so a run that dies leaves the domain to publish
 * again (an UPDATE replaces the record: doing it twice is harmless).
 */
#include <stdio.h>
#include <string.h>

#include "rotctx.h"

/* The answer for one change: the domain moves on (why NULL) or fails. */
static void
settle(struct rotctx *c, const struct rotq_item *it, const char *why)
{
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

/*
 * One batch. A refused batch is tried again record by record, so that one
 * record the server will not take does not hold back the others (Knot
 * answers NOTAUTH both for a key it rejects and for one name its ACL
 * denies, so no refusal is taken to concern every record); not when the
 * server did not answer.
 */
void
rot_send(struct rotctx *c, const char *zone)
{
	struct rotq_item batch[ROTQUEUE_ITEMS];
	struct rotdns_op ops[ROTQUEUE_ITEMS];
	char why[512], one[512];
	size_t i, n;
	int rcode;

	if ((n = rotqueue_take(&c->queue, zone, batch)) == 0)
		return;
	/* No record goes out before its private key and the state naming it are on disk. */
	if (rot_durable(c, why, sizeof(why)) < 0) {
		for (i = 0; i < n; i++)
			settle(c, &batch[i], why);
		rotqueue_items_free(batch, n);
		return;
	}
	for (i = 0; i < n; i++) {
		ops[i].name = batch[i].name;
		ops[i].record = batch[i].record;
	}
	if (rotpub_update(&c->pub, c->dns, batch[0].zone, ops, n, &rcode, why,
	    sizeof(why)) == 0) {
		for (i = 0; i < n; i++)
			settle(c, &batch[i], NULL);
	} else if (n > 1 && rcode >= 0) {
		for (i = 0; i < n; i++)
			settle(c, &batch[i], rotpub_update(&c->pub, c->dns, batch[i].zone, &ops[i], 1,
			    &rcode, one, sizeof(one)) == 0 ? NULL : one);
	} else {
		for (i = 0; i < n; i++)
			settle(c, &batch[i], why);
	}
	rotqueue_items_free(batch, n);
}

/* Everything queued. */
void
rot_send_all(struct rotctx *c)
{
	while (c->queue.n > 0)
		rot_send(c, NULL);
}
