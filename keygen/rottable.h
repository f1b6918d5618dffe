/*
 * rottable.h - the KeyTable dkimrotate switches keys in, as a file
 * (file:PATH, refile:PATH or a bare path): read one line at a time (never
 * held whole, so 100,000 domains cost no more memory than one), and
 * rewritten atomically with some entries' values replaced, every other
 * line, comment and the order kept.
 *
 *	name	domain:selector:keypath[:algorithm]
 */
#ifndef DKIMROTATE_ROTTABLE_H
#define DKIMROTATE_ROTTABLE_H

#include <stddef.h>

#include "../tables/memtable.h"

struct rotentry {
	const char *name, *domain, *selector, *key, *alg;	/* alg "" when absent */
	unsigned line;
};

/* Called for each entry in file order; nonzero stops the walk. */
typedef int (*rottable_fn)(void *arg, const struct rotentry *e);

/*
 * The file behind a KeyTable specification into path; 0, or -1 with err
 * (a database table, which this version cannot switch in).
 */
int rottable_path(const char *spec, char *path, size_t pathsize, char *err, size_t errsize);

/* Walk every entry; 0, 1 when fn stopped it, -1 with err ("path:line: ..."). */
int rottable_walk(const char *path, rottable_fn fn, void *arg, char *err, size_t errsize);

/* The new value for entry name, or NULL to keep the line as it is. */
typedef const char *(*rottable_change_fn)(void *arg, const char *name);

/* A change function for an indexed memtable of entry name -> new value. */
const char *rottable_change_in(void *arg, const char *name);

/*
 * Rewrite the file with the values change() gives, atomically (mode and
 * owner kept); *changed counts the lines replaced. 0, or -1 with err, and
 * then the file is untouched.
 */
int rottable_rewrite(const char *path, rottable_change_fn change, void *arg, size_t *changed,
    char *err, size_t errsize);

/*
 * What a second signature adds or removes (dkimrotate start --add/--drop):
 * every memtable indexed, NULL when unused.
 */
struct rotedit {
	const struct memtable *add;	/* KeyTable: name -> value, appended unless present */
	const struct memtable *drop;	/* names whose lines go (KeyTable: by name;
					   SigningTable: by the key name they point to) */
	const struct memtable *twin;	/* SigningTable: key name -> second key name: each
					   line pointing to the first gets a twin after it */
};

/*
 * Rewrite a file table atomically with the edits: as a KeyTable
 * (signing 0: lines named by their first field) or as a SigningTable
 * (signing 1: lines named by the key name in their value). Doing it twice
 * changes nothing more. *changed counts lines added, replaced or removed.
 */
int rottable_edit(const char *path, int signing, rottable_change_fn change, void *arg,
    const struct rotedit *ed, size_t *changed, char *err, size_t errsize);

#endif
