/*
 * rotchunk.c - advancing a run's domains a chunk at a time (rotchunk.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rotchunk.h"

void
rotchunk_entry(const struct rotchunk_item *it, struct rotentry *e)
{
	e->name = it->name;
	e->domain = it->domain;
	e->selector = it->selector;
	e->key = it->key;
	e->alg = it->alg;
	e->line = it->line;
}

/* Advance one item, its question slot in view (asked, in the first pass). */
static void
advance(struct rotctx *c, struct rotchunk_item *it, int collect)
{
	struct rotentry e;
	size_t before = c->release.n;

	rotchunk_entry(it, &e);
	c->probe = &it->probe;
	c->collect = collect;
	rot_advance(c, &it->st, &e);
	c->probe = NULL;
	c->collect = 0;
	it->released += c->release.n - before;
}

int
rotchunk_add(struct rotctx *c, struct rotchunk *k, const struct rotentry *e,
    const struct rotstate *st, size_t tag)
{
	struct rotchunk_item *it;

	if (k->v == NULL && (k->v = calloc(ROTCHUNK_SIZE, sizeof(*k->v))) == NULL) {
		rot_fail(c, e->domain, "out of memory");
		return -1;
	}
	if (strlen(e->name) >= sizeof(it->name) || strlen(e->domain) >= sizeof(it->domain) ||
	    strlen(e->selector) >= sizeof(it->selector) || strlen(e->key) >= sizeof(it->key) ||
	    strlen(e->alg) >= sizeof(it->alg)) {
		rot_fail(c, e->domain, "KeyTable entry too long");
		return -1;
	}
	it = &k->v[k->n++];
	strcpy(it->name, e->name);
	strcpy(it->domain, e->domain);
	strcpy(it->selector, e->selector);
	strcpy(it->key, e->key);
	strcpy(it->alg, e->alg);
	it->line = e->line;
	it->st = *st;
	it->before = st->state;
	it->revoke_seen = st->revoke_seen;
	it->released = 0;
	it->tag = tag;
	if (k->n == ROTCHUNK_SIZE)
		rotchunk_flush(c, k);
	return 0;
}

void
rotchunk_flush(struct rotctx *c, struct rotchunk *k)
{
	struct rotprobe *asked[ROTCHUNK_SIZE];
	size_t i, n = 0;

	for (i = 0; i < k->n; i++) {
		advance(c, &k->v[i], 1);
		if (k->v[i].probe.state == RP_WANTED)
			asked[n++] = &k->v[i].probe;
	}
	if (n > 0) {
		rotprobe_run(c, asked, n);
		for (i = 0; i < k->n; i++)
			if (k->v[i].probe.state == RP_ANSWERED)
				advance(c, &k->v[i], 0);
	}
	rot_send_ready(c);
	for (i = 0; i < k->n; i++) {
		if (k->after != NULL)
			k->after(c, &k->v[i], k->arg);
		rotprobe_clear(&k->v[i].probe);
	}
	k->n = 0;
}

void
rotchunk_free(struct rotchunk *k)
{
	size_t i;

	if (k->v != NULL)
		for (i = 0; i < k->n; i++)
			rotprobe_clear(&k->v[i].probe);
	free(k->v);
	k->v = NULL;
	k->n = 0;
}
