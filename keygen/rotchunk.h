/*
 * rotchunk.h - a run's domains advanced ROTCHUNK_SIZE at a time, so that
 * their DNS questions are asked together (rotprobe.h): a first pass
 * advances each until it waits or needs the network, the questions are
 * answered by several threads at once, a second pass goes on with the
 * domains that asked. Memory stays one chunk whatever the number of
 * domains.
 */
#ifndef DKIMROTATE_ROTCHUNK_H
#define DKIMROTATE_ROTCHUNK_H

#include <stddef.h>

#include "rotctx.h"

#define ROTCHUNK_SIZE 256

struct rotchunk_item {
	char name[256], domain[ROT_DOMAIN_MAX + 1], selector[ROT_SEL_MAX], key[ROT_PATH_MAX];
	char alg[32];
	unsigned line;
	struct rotstate st;
	struct rotprobe probe;
	/* For the caller: st as it was added, and what the item's advance released. */
	enum rot_state before;
	long long revoke_seen;
	size_t released;
	size_t tag;		/* the caller's */
};

struct rotchunk {
	struct rotchunk_item *v;
	size_t n;
	/* Called for each item once it advanced, before the chunk is emptied. */
	void (*after)(struct rotctx *c, struct rotchunk_item *it, void *arg);
	void *arg;
};

/*
 * Add entry e with its state st (tag: the caller's, for after); a full
 * chunk is advanced. 0, or -1 (out of memory, or an entry too long:
 * reported, the domain skipped).
 */
int rotchunk_add(struct rotctx *c, struct rotchunk *k, const struct rotentry *e,
    const struct rotstate *st, size_t tag);
/* Advance what the chunk holds, and empty it. */
void rotchunk_flush(struct rotctx *c, struct rotchunk *k);
void rotchunk_free(struct rotchunk *k);
/* The entry an item holds. */
void rotchunk_entry(const struct rotchunk_item *it, struct rotentry *e);

#endif
