/*
 * dataset_file.c - data sets held in memory: file:PATH (one entry per
 * line) and inline lists (csl:, or words on the configuration line).
 * Read once at load, indexed by key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dkim/idna.h"
#include "dataset_impl.h"
#include "linereader.h"
#include "memtable.h"

/*
 * Add one row; with DATASET_IDNA a key with UTF-8 labels goes in as its
 * A-label form. 0, -1 when out of memory, -2 with err for a bad name.
 */
static int
file_add(struct memtable *t, const char *key, size_t klen, const char *value, size_t vlen,
    unsigned line, char *err, size_t errsize)
{
	char a[1024], why[128];

	if (t->idna && dkim_idna_utf8(key, klen)) {
		if (dkim_idna_alabel(key, klen, a, sizeof(a), why, sizeof(why)) < 0) {
			snprintf(err, errsize, "line %u: '%.*s' %s", line, (int)(klen > 200 ? 200 :
			    klen), key, why);
			return -2;
		}
		key = a;
		klen = strlen(a);
	}
	return memtable_add(t, key, klen, value, vlen, line);
}

/* Add the words of s (separated by commas and white space) as keys. */
static int
file_words(struct memtable *t, const char *s, unsigned line, char *err, size_t errsize)
{
	size_t n;
	int rc;

	for (;;) {
		s += strspn(s, ", \t\r\n");
		if (*s == '\0')
			return 0;
		n = strcspn(s, ", \t\r\n");
		if ((rc = file_add(t, s, n, NULL, 0, line, err, errsize)) < 0)
			return rc;
		s += n;
	}
}

/* Add one map line: the first word is the key, the rest the value. */
static int
file_mapline(struct memtable *t, const char *s, unsigned line, char *err, size_t errsize)
{
	size_t klen = strcspn(s, " \t"), vlen;
	const char *v = s + klen;

	v += strspn(v, " \t");
	vlen = strlen(v);
	return file_add(t, s, klen, vlen ? v : NULL, vlen, line, err, errsize);
}

/* Read a table file into t. */
int
memtable_read(struct memtable *t, const char *path, enum dataset_kind kind, char *err,
    size_t errsize)
{
	struct linereader lr;
	char *s, bad[512];
	int rc, added;

	if (linereader_open(&lr, path, err, errsize) < 0)
		return -1;
	while ((rc = linereader_next(&lr, &s, err, errsize)) > 0) {
		added = kind == DATASET_LIST ? file_words(t, s, lr.line, bad, sizeof(bad)) :
		    file_mapline(t, s, lr.line, bad, sizeof(bad));
		if (added < 0) {
			if (added == -2)
				snprintf(err, errsize, "%s: %s", path, bad);
			else
				snprintf(err, errsize, "%s: out of memory", path);
			rc = -1;
			break;
		}
	}
	linereader_close(&lr);
	return rc;
}

/* The rows of key, in file order. */
static int
file_lookup(struct dataset *ds, const char *key, dataset_row_fn fn, void *arg, char *err,
    size_t errsize)
{
	const struct memtable *t = ds->impl;
	struct dataset_row r;
	uint32_t i;
	int n = 0;

	(void)err;
	(void)errsize;
	for (i = memtable_find(t, key, strlen(key)); i != MEMTABLE_NONE; i = t->rows[i].next) {
		memtable_row(t, i, &r);
		n++;
		if (fn(arg, &r) != 0)
			break;
	}
	return n;
}

/* Every row in file order. */
static long
file_walk(struct dataset *ds, dataset_row_fn fn, void *arg, char *err, size_t errsize)
{
	(void)err;
	(void)errsize;
	return memtable_walk(ds->impl, fn, arg);
}

/* Free the rows. */
static void
file_close(struct dataset *ds)
{
	if (ds->impl != NULL) {
		memtable_free(ds->impl);
		free(ds->impl);
	}
	ds->impl = NULL;
}

static const struct dataset_ops file_ops = { file_lookup, file_walk, NULL, file_close, NULL };

/* A fresh, empty table for ds. */
static struct memtable *
file_new(struct dataset *ds, const char *name, char *err, size_t errsize)
{
	struct memtable *t;

	ds->ops = &file_ops;
	if ((ds->name = strdup(name)) == NULL || (t = malloc(sizeof(*t))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	memtable_init(t, (ds->flags & DATASET_ICASE) != 0);
	t->idna = (ds->flags & DATASET_IDNA) != 0;
	ds->impl = t;
	return t;
}

/* file:PATH, PATH absolute. */
int
dataset_file_open(struct dataset *ds, const char *path, char *err, size_t errsize)
{
	struct memtable *t;

	if ((t = file_new(ds, path, err, errsize)) == NULL)
		return -1;
	ds->is_file = 1;
	if (memtable_read(t, path, ds->kind, err, errsize) < 0)
		return -1;
	if (memtable_index(t) < 0) {
		snprintf(err, errsize, "%s: out of memory", path);
		return -1;
	}
	return 0;
}

/* An inline list written in the configuration file at cfgpath:cfgline. */
int
dataset_csl_open(struct dataset *ds, const char *list, unsigned cfgline, const char *cfgpath,
    char *err, size_t errsize)
{
	struct memtable *t;
	char bad[512];
	int rc;

	if ((t = file_new(ds, cfgpath, err, errsize)) == NULL)
		return -1;

	if ((rc = file_words(t, list, cfgline, bad, sizeof(bad))) < 0 || memtable_index(t) < 0) {
		snprintf(err, errsize, "%s", rc == -2 ? bad : "out of memory");
		return -1;
	}
	return 0;
}
