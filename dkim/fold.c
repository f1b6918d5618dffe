/*
 * fold.c - fold a tag list into lines of at most FOLD_WIDTH columns.
 *
 * Breaks go between tags, after a ':' of h=, or inside base64 (bh=, b=),
 * all places where RFC 6376 allows FWS. Nothing is ever placed between
 * "b=" and its value: verifiers delete the b= value with the whitespace
 * around it, and the signer hashed "b=" with nothing after it.
 */
#include <string.h>

#include "fold.h"

/* Start a folded value at column col. */
void
fold_init(fold *f, dbuf *out, size_t col)
{
	f->out = out;
	f->col = col;
	f->first = 1;
}

static void
fold_break(fold *f)
{
	dbuf_add(f->out, "\r\n\t", 3);
	f->col = FOLD_TABWIDTH;
}

static void
fold_put(fold *f, const char *s, size_t n)
{
	dbuf_add(f->out, s, n);
	f->col += n;
}

/* Separate from the previous tag: a space, or a fold when need won't fit. */
static void
fold_sep(fold *f, size_t need)
{
	if (f->first) {
		f->first = 0;
		if (f->col + need > FOLD_WIDTH)
			fold_break(f);
		return;
	}
	if (f->col + 1 + need > FOLD_WIDTH)
		fold_break(f);
	else
		fold_put(f, " ", 1);
}

/* Base64 text: fill each line to the limit, keeping room for a trailer. */
static void
fold_anywhere(fold *f, const char *v, size_t n, size_t trailer)
{
	size_t room, take;

	while (n > 0) {
		room = f->col < FOLD_WIDTH ? FOLD_WIDTH - f->col : 0;
		take = n < room ? n : room;
		/* The last piece must leave room for what follows it. */
		if (take == n && take + trailer > room)
			take = room > trailer ? room - trailer : 0;
		if (take == 0) {
			fold_break(f);
			continue;
		}
		fold_put(f, v, take);
		v += take;
		n -= take;
	}
}

/* h= items: break after a ':' when the next item does not fit. */
static void
fold_colon(fold *f, const char *v, size_t n, size_t trailer)
{
	const char *c;
	size_t len;

	while (n > 0) {
		c = memchr(v, ':', n);
		len = c != NULL ? (size_t)(c - v) + 1 : n;
		if (f->col + len + (len == n ? trailer : 0) > FOLD_WIDTH &&
		    f->col > FOLD_TABWIDTH)
			fold_break(f);
		fold_put(f, v, len);
		v += len;
		n -= len;
	}
}

/* Append one tag. */
void
fold_tag(fold *f, const char *name, const char *value, size_t vlen,
    enum fold_mode mode, int semi)
{
	size_t nlen = strlen(name), whole = nlen + 1 + vlen + (semi ? 1 : 0);

	size_t need = whole;

	/* A long breakable value starts wherever "name=" and a bit of it fit. */
	if (mode != FOLD_ATOMIC && (whole + FOLD_TABWIDTH > FOLD_WIDTH || vlen == 0))
		need = nlen + 2;
	fold_sep(f, need);
	fold_put(f, name, nlen);
	fold_put(f, "=", 1);
	if (mode == FOLD_COLON)
		fold_colon(f, value, vlen, semi ? 1 : 0);
	else if (mode == FOLD_ANYWHERE)
		fold_anywhere(f, value, vlen, semi ? 1 : 0);
	else
		fold_put(f, value, vlen);
	if (semi)
		fold_put(f, ";", 1);
}

/* Continue a value (the b= signature) after its tag was placed. */
void
fold_tail(fold *f, const char *value, size_t vlen)
{
	fold_anywhere(f, value, vlen, 0);
}
