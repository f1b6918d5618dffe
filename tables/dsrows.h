/*
 * dsrows.h - the rows a database query returned, packed in one block so
 * that the lookup cache can keep and copy them whole:
 *
 *	per row: one byte (the number of fields), the key, then each field,
 *	every string NUL-terminated.
 */
#ifndef POSTDKIM_DSROWS_H
#define POSTDKIM_DSROWS_H

#include <stddef.h>

#include "dataset.h"

struct dsrows {
	char *buf;
	size_t len, cap;
	size_t nrows;
	int nomem;		/* an append failed: the block is incomplete */
};

void dsrows_init(struct dsrows *r);
/* Append a row; a NULL field is stored as "". -1 when out of memory (sticky). */
int dsrows_add(struct dsrows *r, const char *key, size_t nfields, const char *const *field);
/* Pass the rows of block buf[0..len) to fn until it returns nonzero; returns how many. */
int dsrows_each(const char *buf, size_t len, dataset_row_fn fn, void *arg);
void dsrows_free(struct dsrows *r);

#endif
