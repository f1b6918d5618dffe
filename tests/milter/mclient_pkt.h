/*
 * mclient_pkt.h - a growable byte buffer for building milter packets.
 */
#ifndef MCLIENT_PKT_H
#define MCLIENT_PKT_H

#include <stdlib.h>
#include <string.h>

struct pkt {
	unsigned char *p;
	size_t len, cap;
};

/* Start an empty packet buffer. */
static inline void
pkt_init(struct pkt *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Append bytes; -1 when out of memory. */
static inline int
pkt_add(struct pkt *b, const void *d, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		unsigned char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = np;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* Append a string with its terminating NUL, as the protocol wants. */
static inline int
pkt_str(struct pkt *b, const char *s)
{
	return pkt_add(b, s, strlen(s) + 1);
}

/* Release the buffer. */
static inline void
pkt_free(struct pkt *b)
{
	free(b->p);
	pkt_init(b);
}

#endif
