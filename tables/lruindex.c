/*
 * lruindex.c - the hash index and LRU list behind the key cache and the
 * database answer cache: bucket chains, a doubly linked list, and growth
 * that keeps chains short as a cache fills.
 */
#include <stdlib.h>
#include <string.h>

#include "lruindex.h"

/* An empty index. */
int
lru_init(struct lru_index *x, size_t nbuckets)
{
	size_t n = 16;

	while (n < nbuckets && n < ((size_t)1 << 24))
		n *= 2;
	memset(x, 0, sizeof(*x));
	if ((x->bucket = calloc(n, sizeof(*x->bucket))) == NULL)
		return -1;
	x->nbuckets = n;
	return 0;
}

void
lru_destroy(struct lru_index *x)
{
	free(x->bucket);
	x->bucket = NULL;
}

/* FNV-1a of a string. */
uint32_t
lru_hash(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h;
}

/* The entry of key, or NULL. */
struct lru_node *
lru_find(const struct lru_index *x, const char *key, uint32_t h)
{
	struct lru_node *e;

	for (e = x->bucket[h & (x->nbuckets - 1)]; e != NULL; e = e->chain)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* Unlink e from the list. */
static void
lru_unlink(struct lru_index *x, struct lru_node *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		x->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		x->tail = e->prev;
	e->prev = e->next = NULL;
}

/* Put e first in the list. */
static void
lru_front(struct lru_index *x, struct lru_node *e)
{
	e->next = x->head;
	e->prev = NULL;
	if (x->head)
		x->head->prev = e;
	x->head = e;
	if (x->tail == NULL)
		x->tail = e;
}

/* Double the buckets when the index gets crowded. */
static void
lru_grow(struct lru_index *x)
{
	struct lru_node **nb, *e, *next;
	size_t i, nn = x->nbuckets * 2;

	if (x->n < x->nbuckets || (nb = calloc(nn, sizeof(*nb))) == NULL)
		return;	/* a crowded index is slower, not wrong */
	for (i = 0; i < x->nbuckets; i++)
		for (e = x->bucket[i]; e != NULL; e = next) {
			next = e->chain;
			e->chain = nb[e->hash & (nn - 1)];
			nb[e->hash & (nn - 1)] = e;
		}
	free(x->bucket);
	x->bucket = nb;
	x->nbuckets = nn;
}

/* Add e as the most recently used. */
void
lru_insert(struct lru_index *x, struct lru_node *e, const char *key, uint32_t h)
{
	e->key = key;
	e->hash = h;
	e->chain = x->bucket[h & (x->nbuckets - 1)];
	x->bucket[h & (x->nbuckets - 1)] = e;
	lru_front(x, e);
	x->n++;
	lru_grow(x);
}

/* Make e the most recently used. */
void
lru_touch(struct lru_index *x, struct lru_node *e)
{
	lru_unlink(x, e);
	lru_front(x, e);
}

/* Take e out of the index. */
void
lru_remove(struct lru_index *x, struct lru_node *e)
{
	struct lru_node **pp = &x->bucket[e->hash & (x->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	lru_unlink(x, e);
	x->n--;
}
