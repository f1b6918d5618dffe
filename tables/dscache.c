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

struct dsentry {
	struct dsentry *hnext;		/* hash chain */
	struct dsentry *prev, *next;	/* LRU list, most recent first */
	unsigned long long expires;
	char *buf;			/* rows block, NULL: no rows */
	size_t len;
	uint32_t hash;
	char key[];
};

struct dscache {
	pthread_mutex_t lock;
	struct dsentry **slots;
	size_t nslots;			/* a power of two */
	struct dsentry *head, *tail;
	size_t n, max;
	unsigned long long ttl;
};

/* Milliseconds since some fixed point. */
unsigned long long
dscache_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}

/* FNV-1a of key. */
static uint32_t
dscache_hash(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h;
}

/* A cache for max answers. */
struct dscache *
dscache_new(unsigned long ttl_ms, size_t max)
{
	struct dscache *c;
	size_t ns = 16;

	if (max == 0)
		max = 1;
	while (ns < max && ns < ((size_t)1 << 24))
		ns *= 2;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->slots = calloc(ns, sizeof(*c->slots))) == NULL ||
	    pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->slots);
		free(c);
		return NULL;
	}
	c->nslots = ns;
	c->max = max;
	c->ttl = ttl_ms;
	return c;
}

/* Take e out of the LRU list. */
static void
dscache_unlink(struct dscache *c, struct dsentry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

/* Put e at the front of the LRU list. */
static void
dscache_front(struct dscache *c, struct dsentry *e)
{
	e->next = c->head;
	e->prev = NULL;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

/* Remove e from the cache and free it. */
static void
dscache_drop(struct dscache *c, struct dsentry *e)
{
	struct dsentry **pp = &c->slots[e->hash & (c->nslots - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	dscache_unlink(c, e);
	free(e->buf);
	free(e);
	c->n--;
}

/* The entry of key, or NULL. */
static struct dsentry *
dscache_find(struct dscache *c, const char *key, uint32_t h)
{
	struct dsentry *e;

	for (e = c->slots[h & (c->nslots - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* The answer for key. */
int
dscache_get(struct dscache *c, const char *key, int stale_ok, char **buf, size_t *len)
{
	uint32_t h = dscache_hash(key);
	struct dsentry *e;
	int rc = DSCACHE_MISS;

	*buf = NULL;
	*len = 0;
	pthread_mutex_lock(&c->lock);
	if ((e = dscache_find(c, key, h)) != NULL) {
		rc = e->expires > dscache_now() ? DSCACHE_FRESH : DSCACHE_STALE;
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
		if (rc > 0) {
			dscache_unlink(c, e);
			dscache_front(c, e);
		}
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
	uint32_t h = dscache_hash(key);

	if ((e = calloc(1, sizeof(*e) + klen + 1)) == NULL)
		return -1;
	if (buf != NULL && (e->buf = malloc(len ? len : 1)) == NULL) {
		free(e);
		return -1;
	}
	if (buf != NULL)
		memcpy(e->buf, buf, len);
	e->len = len;
	e->hash = h;
	memcpy(e->key, key, klen + 1);
	pthread_mutex_lock(&c->lock);
	e->expires = dscache_now() + c->ttl;
	if ((old = dscache_find(c, key, h)) != NULL)
		dscache_drop(c, old);
	while (c->n >= c->max && c->tail != NULL)
		dscache_drop(c, c->tail);
	e->hnext = c->slots[h & (c->nslots - 1)];
	c->slots[h & (c->nslots - 1)] = e;
	dscache_front(c, e);
	c->n++;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* Forget everything. */
void
dscache_clear(struct dscache *c)
{
	pthread_mutex_lock(&c->lock);
	while (c->head != NULL)
		dscache_drop(c, c->head);
	pthread_mutex_unlock(&c->lock);
}

/* Number of answers kept. */
size_t
dscache_count(struct dscache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->n;
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
	free(c->slots);
	free(c);
}
