/*
 * rotnames.c - the domains named on the command line, in a hash table
 * (rotnames.h).
 */
#include <stdlib.h>
#include <string.h>

#include "rotnames.h"

int
rotnames_init(struct rotnames *nm, char **v, size_t n)
{
	size_t i;

	memset(nm, 0, sizeof(*nm));
	memtable_init(&nm->t, 1);
	nm->v = v;
	nm->n = n;
	if ((nm->seen = calloc(n ? n : 1, 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (memtable_add(&nm->t, v[i], strlen(v[i]), NULL, 0, (unsigned)i + 1) < 0)
			return -1;
	return memtable_index(&nm->t);
}

int
rotnames_mark(struct rotnames *nm, const char *domain)
{
	uint32_t i = memtable_find(&nm->t, domain, strlen(domain));
	int before;

	if (i == MEMTABLE_NONE)
		return -1;
	before = nm->seen[i];
	/* A name given twice: both mentions are answered. */
	for (; i != MEMTABLE_NONE; i = nm->t.rows[i].next)
		nm->seen[i] = 1;
	return before;
}

void
rotnames_free(struct rotnames *nm)
{
	memtable_free(&nm->t);
	free(nm->seen);
	nm->seen = NULL;
}
