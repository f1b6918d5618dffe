/*
 * rotnames.h - the domains named on dkimrotate's command line, looked up
 * by name as the KeyTable is walked: a scan of the list per entry would
 * cost the list's length times the table's.
 */
#ifndef POSTDKIM_ROTNAMES_H
#define POSTDKIM_ROTNAMES_H

#include <stddef.h>

#include "../tables/memtable.h"

struct rotnames {
	struct memtable t;	/* row i: v[i], case-insensitive */
	char **v;
	size_t n;
	unsigned char *seen;	/* seen[i]: v[i] met in the table */
};

/* The n names of v (kept, not copied): 0, or -1 when out of memory. */
int rotnames_init(struct rotnames *nm, char **v, size_t n);
/*
 * domain met in the table: -1 when it was not named, else whether it had
 * been met before (1) or not (0); every mention of it is now seen.
 */
int rotnames_mark(struct rotnames *nm, const char *domain);
void rotnames_free(struct rotnames *nm);

#endif
