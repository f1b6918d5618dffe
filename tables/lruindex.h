/*
 * lruindex.h - a string-keyed hash index with a least-recently-used list,
 * shared by the caches of tables/ (private keys, database answers).
 *
 * Intrusive: a cache puts a struct lru_node first in its entries and keeps
 * its own lock; the index neither allocates nor frees entries. Lookups are
 * O(1): the index doubles when it holds as many entries as buckets.
 */
#ifndef POSTDKIM_LRUINDEX_H
#define POSTDKIM_LRUINDEX_H

#include <stddef.h>
#include <stdint.h>

struct lru_node {
	struct lru_node *chain;		/* hash bucket */
	struct lru_node *prev, *next;	/* most recently used first */
	const char *key;		/* the entry's own copy */
	uint32_t hash;
};

struct lru_index {
	struct lru_node **bucket;
	size_t nbuckets;		/* a power of two */
	struct lru_node *head, *tail;
	size_t n;
};

/* An empty index with at least nbuckets buckets; 0, or -1 when out of memory. */
int lru_init(struct lru_index *x, size_t nbuckets);
/* Free the index itself (its entries are the cache's). */
void lru_destroy(struct lru_index *x);
/* The hash lru_find and lru_insert take (FNV-1a). */
uint32_t lru_hash(const char *key);
/* The entry of key (hash h), or NULL. */
struct lru_node *lru_find(const struct lru_index *x, const char *key, uint32_t h);
/* Add e, keyed by key (which e owns) with hash h, as the most recently used. */
void lru_insert(struct lru_index *x, struct lru_node *e, const char *key, uint32_t h);
/* Make e the most recently used. */
void lru_touch(struct lru_index *x, struct lru_node *e);
/* Take e out of the index; the caller frees it. */
void lru_remove(struct lru_index *x, struct lru_node *e);

#endif
