/*
 * memtable.h - the rows of a file data set in memory: every key and value
 * in one arena, rows as offsets into it, and a hash index from key to its
 * rows (in file order), so that a lookup does not depend on the size of
 * the table and 100,000 rows cost a few megabytes.
 */
#ifndef POSTDKIM_MEMTABLE_H
#define POSTDKIM_MEMTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"

#define MEMTABLE_NONE UINT32_MAX

struct memrow {
	uint32_t key, value;	/* offsets in the arena; value == MEMTABLE_NONE: none */
	uint32_t line;
	uint32_t next;		/* next row with the same key, or MEMTABLE_NONE */
};

struct memtable {
	char *arena;
	size_t alen, acap;
	struct memrow *rows;
	size_t n, cap;
	uint32_t *slots;	/* hash index: first row + 1, 0 = empty */
	size_t nslots;		/* a power of two */
	int icase;
	int idna;		/* keys read with UTF-8 labels are stored as A-labels */
};

void memtable_init(struct memtable *t, int icase);
/* Append a row (copied); value may be NULL. 0, or -1 when out of memory. */
int memtable_add(struct memtable *t, const char *key, size_t klen, const char *value,
    size_t vlen, unsigned line);
/* Build the index once every row is in; 0 or -1 when out of memory. */
int memtable_index(struct memtable *t);
/* The first row whose key is key[0..klen), or MEMTABLE_NONE; next rows by ->next. */
uint32_t memtable_find(const struct memtable *t, const char *key, size_t klen);
/* Every row in file order, each passed to fn until it returns nonzero; how many were passed. */
long memtable_walk(const struct memtable *t, dataset_row_fn fn, void *arg);
/* Row i as a dataset row. */
void memtable_row(const struct memtable *t, uint32_t i, struct dataset_row *r);
void memtable_free(struct memtable *t);
/* Read a table file (dataset_file.c): 0, or -1 with "path:line: ..." in err. */
int memtable_read(struct memtable *t, const char *path, enum dataset_kind kind,
    char *err, size_t errsize);

#endif
