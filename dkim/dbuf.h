/*
 * dbuf.h - growable byte buffer, always NUL-terminated.
 *
 * An allocation failure is sticky: later appends do nothing and
 * dbuf_failed() reports it, so callers check once at the end.
 */
#ifndef DKIM_DBUF_H
#define DKIM_DBUF_H

#include <stddef.h>

typedef struct dbuf {
	char *data;
	size_t len;
	size_t cap;
	int failed;
} dbuf;

void dbuf_init(dbuf *b);
void dbuf_free(dbuf *b);
void dbuf_reset(dbuf *b);
int dbuf_add(dbuf *b, const void *p, size_t n);
int dbuf_addc(dbuf *b, int c);
int dbuf_adds(dbuf *b, const char *s);
int dbuf_printf(dbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Append n bytes made safe for a log line or a terminal: printable ASCII as
 * it is, any other byte and the backslash itself as \xNN.
 */
int dbuf_add_escaped(dbuf *b, const void *p, size_t n);
/* Nonzero when an append failed since the last init/reset. */
int dbuf_failed(const dbuf *b);

#endif
