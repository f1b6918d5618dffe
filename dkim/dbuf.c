/*
 * dbuf.c - growable byte buffer with a sticky failure flag.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbuf.h"

static char dbuf_empty[1];

/* Start an empty buffer; data is always a valid string. */
void
dbuf_init(dbuf *b)
{
	b->data = dbuf_empty;
	b->len = b->cap = 0;
	b->failed = 0;
}

/* Release the storage. */
void
dbuf_free(dbuf *b)
{
	if (b->cap != 0)
		free(b->data);
	dbuf_init(b);
}

/* Empty the buffer but keep its storage for reuse. */
void
dbuf_reset(dbuf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->cap != 0)
		b->data[0] = '\0';
}

/* Make room for n more bytes plus the NUL. */
static int
dbuf_grow(dbuf *b, size_t n)
{
	size_t want, cap;
	char *p;

	if (b->failed)
		return -1;
	if (n > (size_t)-1 / 2 - b->len) {
		b->failed = 1;
		return -1;
	}
	want = b->len + n + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap *= 2;
	p = realloc(b->cap ? b->data : NULL, cap);
	if (p == NULL) {
		b->failed = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

/* Append n bytes. */
int
dbuf_add(dbuf *b, const void *p, size_t n)
{
	if (dbuf_grow(b, n) != 0)
		return -1;
	if (n != 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* Append one byte. */
int
dbuf_addc(dbuf *b, int c)
{
	char ch = (char)c;

	return dbuf_add(b, &ch, 1);
}

/* Append a string. */
int
dbuf_adds(dbuf *b, const char *s)
{
	return dbuf_add(b, s, strlen(s));
}

/* Append formatted text. */
int
dbuf_printf(dbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || dbuf_grow(b, (size_t)n) != 0) {
		b->failed = 1;
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

/* Append bytes with everything but printable ASCII (and '\\') as \xNN. */
int
dbuf_add_escaped(dbuf *b, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;
	char esc[4] = { '\\', 'x', 0, 0 };
	size_t i, run;

	for (i = 0; i < n; i += run) {
		for (run = 0; i + run < n && s[i + run] >= 0x20 && s[i + run] < 0x7f &&
		    s[i + run] != '\\'; run++)
			;
		if (run > 0) {
			dbuf_add(b, s + i, run);
			continue;
		}
		esc[2] = hex[s[i] >> 4];
		esc[3] = hex[s[i] & 15];
		dbuf_add(b, esc, 4);
		run = 1;
	}
	return b->failed ? -1 : 0;
}

/* Nonzero when an append failed. */
int
dbuf_failed(const dbuf *b)
{
	return b->failed;
}
