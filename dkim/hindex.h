/*
 * hindex.h - a message's header fields indexed by name, for h= (RFC 6376
 * §5.4.2): each name in h= takes the bottom-most instance of that name not
 * yet taken by the same signature. Built once per message in time linear
 * in the names' bytes; each take costs the length of the name looked up,
 * whatever the number of fields, so a signature's h= costs O(|h=| +
 * fields) and never |h=| x fields.
 */
#ifndef DKIM_HINDEX_H
#define DKIM_HINDEX_H

#include <stddef.h>

typedef struct dkim_hindex dkim_hindex;

/* No field: what dkim_hindex_take returns when none is left. */
#define DKIM_HINDEX_NONE ((size_t)-1)

/* An index for at most n fields; NULL when out of memory. */
dkim_hindex *dkim_hindex_new(size_t n);

/*
 * The next field, top to bottom (the first added is field 0). The name
 * is not copied: it must stay in place while the index is used.
 */
void dkim_hindex_add(dkim_hindex *x, const char *name, size_t len);

/* Start a signature: every field can be taken again. */
void dkim_hindex_rewind(dkim_hindex *x);

/*
 * The bottom-most field named name (compared without case) not taken since
 * the last rewind, now taken; DKIM_HINDEX_NONE when there is none left.
 */
size_t dkim_hindex_take(dkim_hindex *x, const char *name, size_t len);

void dkim_hindex_free(dkim_hindex *x);

#endif
