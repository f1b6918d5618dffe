/*
 * dataset_refile.c - refile:PATH, a table whose keys are '*' wildcard
 * patterns, matched in file order (OpenDKIM's semantics).
 *
 * Trying every pattern for every message would make a 100,000-line table
 * cost 100,000 matches a message. Two kinds of pattern need no match at
 * all: a pattern without '*' matches only itself, and "*@domain" (how
 * mail panels write one line per domain) matches exactly the addresses in
 * that domain. Both are found through hash indexes; only the remaining
 * patterns are matched one by one. The three sources are merged in file
 * order, so the answer is the one a scan of the whole file would give.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_impl.h"
#include "glob.h"
#include "memtable.h"

struct refile {
	struct memtable rows;	/* every pattern, indexed by its whole text */
	struct memtable bydomain;	/* "*@domain" patterns: key domain, line = row */
	uint32_t *general;	/* rows of the other wildcard patterns, in order */
	size_t ngeneral;
};

/* The domain of a "*@domain" pattern without further wildcards, or NULL. */
static const char *
refile_domain_of(const char *pattern)
{
	if (pattern[0] != '*' || pattern[1] != '@' || pattern[2] == '\0' ||
	    strchr(pattern + 2, '*') != NULL)
		return NULL;
	return pattern + 2;
}

/* A cursor over one source of matching rows, in file order. */
struct refile_src {
	uint32_t next;		/* next row from this source, MEMTABLE_NONE when done */
	uint32_t chain;		/* exact and domain sources: position in their chain */
	size_t gi;		/* general source: position in general[] */
};

/* Advance the general source to its next matching pattern. */
static void
refile_general_next(const struct refile *rf, struct refile_src *g, const char *key)
{
	g->next = MEMTABLE_NONE;
	while (g->gi < rf->ngeneral) {
		uint32_t r = rf->general[g->gi++];

		if (glob_match(rf->rows.arena + rf->rows.rows[r].key, key)) {
			g->next = r;
			return;
		}
	}
}

/* The matching rows in file order. */
static int
refile_lookup(struct dataset *ds, const char *key, dataset_row_fn fn, void *arg, char *err,
    size_t errsize)
{
	const struct refile *rf = ds->impl;
	struct refile_src ex, dom, gen;
	struct dataset_row r;
	const char *at = strrchr(key, '@');
	uint32_t best, last = MEMTABLE_NONE;
	int n = 0;

	(void)err;
	(void)errsize;
	ex.next = memtable_find(&rf->rows, key, strlen(key));
	dom.next = MEMTABLE_NONE;
	dom.chain = at ? memtable_find(&rf->bydomain, at + 1, strlen(at + 1)) : MEMTABLE_NONE;
	if (dom.chain != MEMTABLE_NONE)
		dom.next = rf->bydomain.rows[dom.chain].line;
	gen.gi = 0;
	refile_general_next(rf, &gen, key);
	for (;;) {
		best = ex.next;
		if (dom.next < best)
			best = dom.next;
		if (gen.next < best)
			best = gen.next;
		if (best == MEMTABLE_NONE)
			break;
		/* Advance every source that stands on this row (a row can be in two). */
		if (ex.next == best)
			ex.next = rf->rows.rows[ex.next].next;
		if (dom.next == best) {
			dom.chain = rf->bydomain.rows[dom.chain].next;
			dom.next = dom.chain == MEMTABLE_NONE ? MEMTABLE_NONE :
			    rf->bydomain.rows[dom.chain].line;
		}
		if (gen.next == best)
			refile_general_next(rf, &gen, key);
		if (best == last)
			continue;
		last = best;
		memtable_row(&rf->rows, best, &r);
		n++;
		if (fn(arg, &r) != 0)
			break;
	}
	return n;
}

/* Every pattern in file order. */
static long
refile_walk(struct dataset *ds, dataset_row_fn fn, void *arg, char *err, size_t errsize)
{
	(void)err;
	(void)errsize;
	return memtable_walk(&((const struct refile *)ds->impl)->rows, fn, arg);
}

/* Free the patterns and indexes. */
static void
refile_close(struct dataset *ds)
{
	struct refile *rf = ds->impl;

	if (rf != NULL) {
		memtable_free(&rf->rows);
		memtable_free(&rf->bydomain);
		free(rf->general);
		free(rf);
	}
	ds->impl = NULL;
}

static const struct dataset_ops refile_ops = { refile_lookup, refile_walk, NULL,
	refile_close, NULL };

/* Sort the patterns into the three sources. */
static int
refile_classify(struct refile *rf)
{
	const char *p, *d;
	size_t i;

	if ((rf->general = malloc((rf->rows.n ? rf->rows.n : 1) * sizeof(*rf->general))) == NULL)
		return -1;
	for (i = 0; i < rf->rows.n; i++) {
		p = rf->rows.arena + rf->rows.rows[i].key;
		if ((d = refile_domain_of(p)) != NULL) {
			/* The row number rides in the line field of the domain index. */
			if (memtable_add(&rf->bydomain, d, strlen(d), NULL, 0, (unsigned)i) < 0)
				return -1;
		} else if (strchr(p, '*') != NULL)
			rf->general[rf->ngeneral++] = (uint32_t)i;
	}
	return memtable_index(&rf->rows) < 0 || memtable_index(&rf->bydomain) < 0 ? -1 : 0;
}

/* refile:PATH. */
int
dataset_refile_open(struct dataset *ds, const char *path, char *err, size_t errsize)
{
	struct refile *rf;

	ds->ops = &refile_ops;
	ds->patterns = 1;
	ds->is_file = 1;
	if ((ds->name = strdup(path)) == NULL || (rf = calloc(1, sizeof(*rf))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	ds->impl = rf;
	/* Patterns match without case, like the wildcard matcher. */
	memtable_init(&rf->rows, 1);
	memtable_init(&rf->bydomain, 1);
	rf->rows.idna = (ds->flags & DATASET_IDNA) != 0;
	if (memtable_read(&rf->rows, path, ds->kind, err, errsize) < 0)
		return -1;
	if (refile_classify(rf) < 0) {
		snprintf(err, errsize, "%s: out of memory", path);
		return -1;
	}
	return 0;
}
