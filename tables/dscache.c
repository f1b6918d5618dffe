/*
 * dscache.c - a bounded, thread-safe LRU cache of database answers with a
 * TTL. One mutex guards it all: a hit costs a hash probe and a copy of a
 * few hundred bytes, far less than the lock contention it could cause.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dscache.h"
#include "dsn.h"
#include "lruindex.h"

struct dsentry {
	struct lru_node node;		/* first: the index hands out nodes */
	unsigned long long expires;
	char *buf;			/* rows block, NULL: no rows */
	size_t len;
	char key[];
};

struct dscache {
	pthread_mutex_t lock;
	struct lru_index idx;
	size_t max;
	unsigned long long ttl;
};

/* A cache for max answers. */
struct dscache *
dscache_new(unsigned long ttl_ms, size_t max)
{
	struct dscache *c;

	if (max == 0)
		max = 1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (lru_init(&c->idx, max) != 0 || pthread_mutex_init(&c->lock, NULL) != 0) {
		lru_destroy(&c->idx);
		free(c);
		return NULL;
	}
	c->max = max;
	c->ttl = ttl_ms;
	return c;
}

/* Remove e from the cache and free it. */
static void
dscache_drop(struct dscache *c, struct dsentry *e)
{
	lru_remove(&c->idx, &e->node);
	free(e->buf);
	free(e);
}

/* The answer for key. */
int
dscache_get(struct dscache *c, const char *key, int stale_ok, char **buf, size_t *len)
{
	uint32_t h = lru_hash(key);
	struct dsentry *e;
	int rc = DSCACHE_MISS;

	*buf = NULL;
	*len = 0;
	pthread_mutex_lock(&c->lock);
	if ((e = (struct dsentry *)lru_find(&c->idx, key, h)) != NULL) {
		rc = e->expires > dsn_now() ? DSCACHE_FRESH : DSCACHE_STALE;
		if (rc == DSCACHE_STALE && !stale_ok)
			rc = DSCACHE_MISS;
		else if (e->buf != NULL) {
			if ((*buf = malloc(e->len)) == NULL)
				rc = -1;
			else {
				memcpy(*buf, e->buf, e->len);
				*len = e->len;
			}
		}
		if (rc > 0)
			lru_touch(&c->idx, &e->node);
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* Keep an answer, replacing the old one for the same key. */
int
dscache_put(struct dscache *c, const char *key, const char *buf, size_t len)
{
	size_t klen = strlen(key);
	struct dsentry *e, *old;
	uint32_t h = lru_hash(key);

	if ((e = calloc(1, sizeof(*e) + klen + 1)) == NULL)
		return -1;
	if (buf != NULL && (e->buf = malloc(len ? len : 1)) == NULL) {
		free(e);
		return -1;
	}
	if (buf != NULL)
		memcpy(e->buf, buf, len);
	e->len = len;
	memcpy(e->key, key, klen + 1);
	pthread_mutex_lock(&c->lock);
	e->expires = dsn_now() + c->ttl;
	if ((old = (struct dsentry *)lru_find(&c->idx, key, h)) != NULL)
		dscache_drop(c, old);
	while (c->idx.n >= c->max && c->idx.tail != NULL)
		dscache_drop(c, (struct dsentry *)c->idx.tail);
	lru_insert(&c->idx, &e->node, e->key, h);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* Forget everything. */
void
dscache_clear(struct dscache *c)
{
	pthread_mutex_lock(&c->lock);
	while (c->idx.head != NULL)
		dscache_drop(c, (struct dsentry *)c->idx.head);
	pthread_mutex_unlock(&c->lock);
}

/* Number of answers kept. */
size_t
dscache_count(struct dscache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->idx.n;
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* Free the cache. */
void
dscache_free(struct dscache *c)
{
	if (c == NULL)
		return;
	dscache_clear(c);
	pthread_mutex_destroy(&c->lock);
	lru_destroy(&c->idx);
	free(c);
}
