/*
 * hindex.c - header fields by name: an open-addressed table of the
 * distinct names, each holding its bottom-most field, and for each field
 * the one above it with the same name. A walk (one signature) keeps, per
 * name, the next field to take; rewinding starts a new walk without
 * touching the table.
 *
 * The sender chooses every name, so the table's hash is keyed: a
 * polynomial hash of the lowercased bytes modulo a prime, its base drawn
 * at random for each message (two distinct names collide with probability
 * at most their length over the prime, whatever the sender knows; modulo a
 * power of two, as cheap hashes are, some strings collide for every base).
 * A collision costs a comparison, never a wrong answer. Every field name is
 * hashed, so the hash takes 7 bytes at a time modulo 2^61-1 where the
 * compiler has 128-bit integers, else a byte at a time modulo 2^31-1, twice.
 */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/rand.h>

#include "hindex.h"

#define P31 2147483647u		/* 2^31 - 1 */
#define P61 2305843009213693951ull	/* 2^61 - 1 */
#define NONE32 UINT32_MAX

struct slot {
	uint64_t hash;
	const char *name;
	uint32_t len;
	uint32_t head;		/* bottom-most field of the name; NONE32: empty slot */
	uint32_t next;		/* next field to take in walk */
	uint32_t walk;
};

struct dkim_hindex {
	struct slot *slots;
	uint32_t *up;		/* up[j]: the field above j with the same name, or NONE32 */
	size_t n, max;
	unsigned bits;		/* slots: 1 << bits */
	uint32_t walk;
	uint64_t r1, r2;	/* the bases: r1 mod P61, or r1 and r2 mod P31 */
};

/* ASCII lower case: field names are ASCII, and no locale may change a match. */
static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static int
same_name(const char *a, const char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

#ifdef __SIZEOF_INT128__
/* h * r + w modulo 2^61 - 1 (h, r < 2^61, w < 2^57). */
static uint64_t
mulmod61(uint64_t h, uint64_t r, uint64_t w)
{
	unsigned __int128 v = (unsigned __int128)h * r + w;
	uint64_t x = (uint64_t)(v & P61) + (uint64_t)(v >> 61);

	x = (x & P61) + (x >> 61);
	return x >= P61 ? x - P61 : x;
}

static uint64_t
name_hash(const dkim_hindex *x, const char *name, size_t len)
{
	uint64_t h = 0, w;
	size_t i, k;

	for (i = 0; i < len; i += 7) {
		for (w = 1, k = 0; k < 7 && i + k < len; k++)
			w = w << 8 | lower((unsigned char)name[i + k]);
		h = mulmod61(h, x->r1, w);
	}
	return h;
}
#else
static uint64_t
name_hash(const dkim_hindex *x, const char *name, size_t len)
{
	uint64_t h1 = 0, h2 = 0, c;
	size_t i;

	for (i = 0; i < len; i++) {
		c = (uint64_t)lower((unsigned char)name[i]) + 1;
		h1 = (h1 * x->r1 + c) % P31;
		h2 = (h2 * x->r2 + c) % P31;
	}
	return h1 << 31 | h2;
}
#endif

/* The slot of name, or the empty slot where it would go. */
static struct slot *
find(const dkim_hindex *x, const char *name, size_t len, uint64_t h)
{
	size_t mask = ((size_t)1 << x->bits) - 1;
	size_t i = (size_t)((h * 0x9E3779B97F4A7C15ull) >> (64 - x->bits));
	struct slot *s;

	for (;; i = (i + 1) & mask) {
		s = &x->slots[i];
		if (s->head == NONE32 ||
		    (s->hash == h && s->len == len && same_name(s->name, name, len)))
			return s;
	}
}

/* An index for n fields. */
dkim_hindex *
dkim_hindex_new(size_t n)
{
	unsigned char rnd[8];
	dkim_hindex *x;
	size_t i;

	if (n >= NONE32 || (x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->max = n;
	/* At most three quarters full: linear probing stays short. */
	for (x->bits = 4; ((size_t)1 << x->bits) * 3 < 4 * n; x->bits++)
		;
	x->slots = calloc((size_t)1 << x->bits, sizeof(*x->slots));
	x->up = calloc(n + 1, sizeof(*x->up));
	if (x->slots == NULL || x->up == NULL) {
		dkim_hindex_free(x);
		return NULL;
	}
	for (i = 0; i < ((size_t)1 << x->bits); i++)
		x->slots[i].head = NONE32;
	/* Without randomness the index still works, only its keys are known. */
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		for (i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)(0x5a + 31 * i);
	for (x->r1 = 0, i = 0; i < sizeof(rnd); i++)
		x->r1 = x->r1 << 8 | rnd[i];
#ifdef __SIZEOF_INT128__
	x->r1 = 2 + x->r1 % (P61 - 3);
#else
	x->r2 = 2 + (x->r1 >> 32) % (P31 - 3);
	x->r1 = 2 + (x->r1 & 0xffffffffu) % (P31 - 3);
#endif
	x->walk = 1;
	return x;
}

/* Add the next field down. */
void
dkim_hindex_add(dkim_hindex *x, const char *name, size_t len)
{
	uint64_t h = name_hash(x, name, len);
	struct slot *s;

	if (x->n >= x->max || len >= NONE32)
		return;
	s = find(x, name, len, h);
	if (s->head == NONE32) {
		s->hash = h;
		s->name = name;
		s->len = (uint32_t)len;
		x->up[x->n] = NONE32;
	} else {
		x->up[x->n] = s->head;
	}
	s->head = (uint32_t)x->n++;
}

void
dkim_hindex_rewind(dkim_hindex *x)
{
	x->walk++;
}

/* Take the bottom-most field of that name not taken in this walk. */
size_t
dkim_hindex_take(dkim_hindex *x, const char *name, size_t len)
{
	struct slot *s;
	uint32_t j;

	if (len == 0 || len >= NONE32)
		return DKIM_HINDEX_NONE;
	s = find(x, name, len, name_hash(x, name, len));
	if (s->head == NONE32)
		return DKIM_HINDEX_NONE;
	if (s->walk != x->walk) {
		s->walk = x->walk;
		s->next = s->head;
	}
	if ((j = s->next) == NONE32)
		return DKIM_HINDEX_NONE;
	s->next = x->up[j];
	return j;
}

void
dkim_hindex_free(dkim_hindex *x)
{
	if (x == NULL)
		return;
	free(x->slots);
	free(x->up);
	free(x);
}
