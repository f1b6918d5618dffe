/*
 * memtable.c - in-memory rows of a file data set with a hash index.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "memtable.h"

/* Start an empty table. */
void
memtable_init(struct memtable *t, int icase)
{
	memset(t, 0, sizeof(*t));
	t->icase = icase;
}

/* Copy bytes into the arena, NUL-terminated; their offset or MEMTABLE_NONE. */
static uint32_t
memtable_store(struct memtable *t, const char *s, size_t len)
{
	size_t off = t->alen, cap;
	char *a;

	if (len >= UINT32_MAX || t->alen + len + 1 >= UINT32_MAX)
		return MEMTABLE_NONE;
	if (t->alen + len + 1 > t->acap) {
		cap = t->acap ? t->acap : 4096;
		while (cap < t->alen + len + 1)
			cap *= 2;
		if ((a = realloc(t->arena, cap)) == NULL)
			return MEMTABLE_NONE;
		t->arena = a;
		t->acap = cap;
	}
	memcpy(t->arena + off, s, len);
	t->arena[off + len] = '\0';
	t->alen += len + 1;
	return (uint32_t)off;
}

/* Append a row. */
int
memtable_add(struct memtable *t, const char *key, size_t klen, const char *value,
    size_t vlen, unsigned line)
{
	struct memrow *r;
	size_t cap;

	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 64;
		if (cap >= UINT32_MAX || (r = realloc(t->rows, cap * sizeof(*r))) == NULL)
			return -1;
		t->rows = r;
		t->cap = cap;
	}
	r = &t->rows[t->n];
	r->line = line;
	r->next = MEMTABLE_NONE;
	r->value = MEMTABLE_NONE;
	if ((r->key = memtable_store(t, key, klen)) == MEMTABLE_NONE)
		return -1;
	if (value != NULL && (r->value = memtable_store(t, value, vlen)) == MEMTABLE_NONE)
		return -1;
	t->n++;
	return 0;
}

/* FNV-1a over the key, folded to lower case when the table ignores case. */
static uint32_t
memtable_hash(const struct memtable *t, const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= t->icase ? (unsigned char)tolower((unsigned char)s[i]) : (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

/* Nonzero when row i's key is key[0..klen). */
static int
memtable_same(const struct memtable *t, uint32_t i, const char *key, size_t klen)
{
	const char *k = t->arena + t->rows[i].key;

	if (strlen(k) != klen)
		return 0;
	return t->icase ? strncasecmp(k, key, klen) == 0 : memcmp(k, key, klen) == 0;
}

/* The slot of key: holding its first row, or the empty slot where it goes. */
static size_t
memtable_slot(const struct memtable *t, const char *key, size_t klen)
{
	size_t mask = t->nslots - 1, s = memtable_hash(t, key, klen) & mask;

	while (t->slots[s] != 0 && !memtable_same(t, t->slots[s] - 1, key, klen))
		s = (s + 1) & mask;
	return s;
}

/* Index every row: chains of equal keys in file order. */
int
memtable_index(struct memtable *t)
{
	uint32_t *tail;
	size_t i, s, n = 16;
	const char *k;

	while (n < t->n * 2)
		n *= 2;
	free(t->slots);
	if ((t->slots = calloc(n, sizeof(*t->slots))) == NULL)
		return -1;
	t->nslots = n;
	/* Where each chain ends, to append without walking it. */
	if ((tail = malloc((t->n ? t->n : 1) * sizeof(*tail))) == NULL)
		return -1;
	for (i = 0; i < t->n; i++) {
		k = t->arena + t->rows[i].key;
		s = memtable_slot(t, k, strlen(k));
		if (t->slots[s] == 0) {
			t->slots[s] = (uint32_t)i + 1;
			tail[i] = (uint32_t)i;
		} else {
			uint32_t head = t->slots[s] - 1;

			t->rows[tail[head]].next = (uint32_t)i;
			tail[head] = (uint32_t)i;
		}
	}
	free(tail);
	return 0;
}

/* The first row of key. */
uint32_t
memtable_find(const struct memtable *t, const char *key, size_t klen)
{
	size_t s;

	if (t->nslots == 0)
		return MEMTABLE_NONE;
	s = memtable_slot(t, key, klen);
	return t->slots[s] ? t->slots[s] - 1 : MEMTABLE_NONE;
}

/* Row i as the interface shows it. */
void
memtable_row(const struct memtable *t, uint32_t i, struct dataset_row *r)
{
	const struct memrow *m = &t->rows[i];

	memset(r, 0, sizeof(*r));
	r->key = t->arena + m->key;
	r->line = m->line;
	if (m->value != MEMTABLE_NONE) {
		r->field[0] = t->arena + m->value;
		r->nfields = 1;
	}
}

/* Every row in file order. */
long
memtable_walk(const struct memtable *t, dataset_row_fn fn, void *arg)
{
	struct dataset_row r;
	size_t i;

	for (i = 0; i < t->n; i++) {
		memtable_row(t, (uint32_t)i, &r);
		if (fn(arg, &r) != 0)
			return (long)i + 1;
	}
	return (long)t->n;
}

/* Free the rows and index. */
void
memtable_free(struct memtable *t)
{
	free(t->arena);
	free(t->rows);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
