/*
 * dscache.h - the lookup cache in front of a database data set: answers
 * (rows found, or none) by key, each fresh for a TTL, at most a given
 * number of them, the least recently used going first. Thread-safe: the
 * connections of a data set share one cache.
 *
 * An expired answer is not used while the database answers, but is kept
 * until it is replaced or evicted: when the database is down, the lookup
 * falls back to it, so that domains seen recently keep signing.
 */
#ifndef POSTDKIM_DSCACHE_H
#define POSTDKIM_DSCACHE_H

#include <stddef.h>

struct dscache;

/* A cache of at most max answers, each fresh for ttl_ms; NULL when out of memory. */
struct dscache *dscache_new(unsigned long ttl_ms, size_t max);
void dscache_free(struct dscache *c);

#define DSCACHE_MISS	0
#define DSCACHE_FRESH	1
#define DSCACHE_STALE	2	/* only with stale_ok */

/*
 * The answer for key: a malloc'd copy of its rows block in *buf (NULL
 * and *len 0 for a negative answer), which the caller frees. An expired
 * answer is a miss unless stale_ok. -1 when out of memory.
 */
int dscache_get(struct dscache *c, const char *key, int stale_ok, char **buf, size_t *len);
/* Keep the answer for key (buf copied; NULL for "no rows"). -1 when out of memory. */
int dscache_put(struct dscache *c, const char *key, const char *buf, size_t len);
/* Forget every answer. */
void dscache_clear(struct dscache *c);
/* How many answers are kept. */
size_t dscache_count(struct dscache *c);
#endif
