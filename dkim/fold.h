/*
 * fold.h - folding of the DKIM-Signature value into lines of at most 78
 * columns (RFC 5322 §2.1.1), breaking only where RFC 6376 allows FWS.
 */
#ifndef DKIM_FOLD_H
#define DKIM_FOLD_H

#include <stddef.h>
#include "dbuf.h"

#define FOLD_WIDTH 78
#define FOLD_TABWIDTH 8		/* a continuation TAB counted as 8 columns */

enum fold_mode {
	FOLD_ATOMIC,		/* never broken inside */
	FOLD_COLON,		/* h=: may break after each ':' */
	FOLD_ANYWHERE,		/* base64: may break between any two characters */
};

typedef struct fold {
	dbuf *out;
	size_t col;		/* current column, 0-based */
	int first;		/* nothing written on the first line yet */
} fold;

/* Start folding into out at column col ("DKIM-Signature: " is 16). */
void fold_init(fold *f, dbuf *out, size_t col);
/* Append "name=value" (and ";" when semi), preceded by a space or a fold. */
void fold_tag(fold *f, const char *name, const char *value, size_t vlen,
    enum fold_mode mode, int semi);
/* Continue the current tag's value with base64 text, folding where needed. */
void fold_tail(fold *f, const char *value, size_t vlen);

#endif
