/*
 * dsrows.c - pack query results into one block and walk them back out as
 * dataset rows.
 */
#include <stdlib.h>
#include <string.h>

#include "dsrows.h"

/* An empty block. */
void
dsrows_init(struct dsrows *r)
{
	memset(r, 0, sizeof(*r));
}

/* Append s and its NUL. */
static int
dsrows_put(struct dsrows *r, const char *s, size_t n)
{
	char *nb;
	size_t ncap;

	if (r->len + n + 1 > r->cap) {
		ncap = r->cap ? r->cap : 256;
		while (ncap < r->len + n + 1)
			ncap *= 2;
		if ((nb = realloc(r->buf, ncap)) == NULL) {
			r->nomem = 1;
			return -1;
		}
		r->buf = nb;
		r->cap = ncap;
	}
	memcpy(r->buf + r->len, s, n);
	r->buf[r->len + n] = '\0';
	r->len += n + 1;
	return 0;
}

/* Append one row. */
int
dsrows_add(struct dsrows *r, const char *key, size_t nfields, const char *const *field)
{
	char nf = (char)nfields;
	size_t i;

	if (r->nomem || nfields > DATASET_FIELDS_MAX)
		return -1;
	if (dsrows_put(r, &nf, 1) < 0)
		return -1;
	r->len--;		/* the count byte has no NUL of its own */
	if (dsrows_put(r, key ? key : "", key ? strlen(key) : 0) < 0)
		return -1;
	for (i = 0; i < nfields; i++)
		if (dsrows_put(r, field[i] ? field[i] : "", field[i] ? strlen(field[i]) : 0) < 0)
			return -1;
	r->nrows++;
	return 0;
}

/* Walk the rows of a block. */
int
dsrows_each(const char *buf, size_t len, dataset_row_fn fn, void *arg)
{
	struct dataset_row row;
	const char *p = buf, *end = buf + len;
	size_t i;
	int n = 0;

	while (p < end) {
		memset(&row, 0, sizeof(row));
		row.nfields = (unsigned char)*p++;
		row.key = p;
		p += strlen(p) + 1;
		for (i = 0; i < row.nfields; i++) {
			row.field[i] = p;
			p += strlen(p) + 1;
		}
		n++;
		if (fn(arg, &row) != 0)
			break;
	}
	return n;
}

/* Free the block. */
void
dsrows_free(struct dsrows *r)
{
	free(r->buf);
	dsrows_init(r);
}
