/*
 * dataset.c - open a data set by its "type:" prefix and dispatch to its
 * back end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dataset_impl.h"

/* Data set types of OpenDKIM that postdkim does not read. */
static const char *const dataset_unsupported[] = {
	"db", "lua", "memcache", "redis", "mdb", "erlang", "rep",
	"socket", NULL
};

/* Make a table file path absolute against the configuration's directory. */
char *
dataset_path(const char *path, const char *cfgpath)
{
	const char *slash;
	char *out;
	size_t dlen;

	if (path[0] == '/' || (slash = strrchr(cfgpath, '/')) == NULL)
		return strdup(path);
	dlen = (size_t)(slash - cfgpath);
	if ((out = malloc(dlen + 1 + strlen(path) + 1)) == NULL)
		return NULL;
	memcpy(out, cfgpath, dlen);
	out[dlen] = '/';
	strcpy(out + dlen + 1, path);
	return out;
}

/* Nonzero when spec starts with a type OpenDKIM has and postdkim does not. */
static int
dataset_type_unsupported(const char *spec, char *err, size_t errsize)
{
	const char *colon = strchr(spec, ':');
	size_t i, tl;

	if (colon == NULL)
		return 0;
	tl = (size_t)(colon - spec);
	for (i = 0; dataset_unsupported[i]; i++)
		if (strlen(dataset_unsupported[i]) == tl &&
		    strncasecmp(spec, dataset_unsupported[i], tl) == 0) {
			snprintf(err, errsize, "data set type '%.*s:' is not supported; use a file "
			    "(file:PATH, refile:PATH), a database (dsn:) or a list", (int)tl, spec);
			return 1;
		}
	return 0;
}

/* Open a data set as written in the configuration. */
int
dataset_open(struct dataset **out, const char *spec, enum dataset_kind kind, unsigned flags,
    const char *cfgpath, unsigned cfgline, char *err, size_t errsize)
{
	struct dataset *ds;
	const char *file = NULL;
	char *path = NULL;
	int refile = 0, rc;

	*out = NULL;
	if (dataset_type_unsupported(spec, err, errsize))
		return -1;
	if ((ds = calloc(1, sizeof(*ds))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	ds->kind = kind;
	ds->flags = flags;
	if (strncasecmp(spec, "file:", 5) == 0)
		file = spec + 5;
	else if (strncasecmp(spec, "refile:", 7) == 0) {
		file = spec + 7;
		refile = 1;
	} else if (spec[0] == '/')
		file = spec;
	if (strncasecmp(spec, "dsn:", 4) == 0)
		rc = dataset_dsn_open(ds, spec + 4, err, errsize);
	else if (strncasecmp(spec, "ldap:", 5) == 0 || strncasecmp(spec, "ldaps:", 6) == 0 ||
	    strncasecmp(spec, "ldapi:", 6) == 0)
		rc = dataset_ldap_open(ds, spec, err, errsize);
	else if (file == NULL && kind == DATASET_MAP) {
		snprintf(err, errsize, "'%s' must be a file (file:PATH or an absolute path) or a "
		    "database (dsn:)", spec);
		rc = -1;
	} else if (file == NULL)
		rc = dataset_csl_open(ds, strncasecmp(spec, "csl:", 4) == 0 ? spec + 4 : spec,
		    cfgline, cfgpath, err, errsize);
	else if (*file == '\0') {
		snprintf(err, errsize, "empty file name");
		rc = -1;
	} else if ((path = dataset_path(file, cfgpath)) == NULL) {
		snprintf(err, errsize, "out of memory");
		rc = -1;
	} else
		rc = refile ? dataset_refile_open(ds, path, err, errsize) :
		    dataset_file_open(ds, path, err, errsize);
	free(path);
	if (rc < 0) {
		dataset_close(ds);
		return -1;
	}
	*out = ds;
	return 0;
}

/* Close a data set and free it. */
void
dataset_close(struct dataset *ds)
{
	if (ds == NULL)
		return;
	if (ds->ops != NULL && ds->ops->close != NULL)
		ds->ops->close(ds);
	free(ds->name);
	free(ds);
}

/* The name to use in messages. */
const char *
dataset_name(const struct dataset *ds)
{
	return ds->name ? ds->name : "?";
}

/* Nonzero for refile: patterns. */
int
dataset_is_patterns(const struct dataset *ds)
{
	return ds->patterns;
}

/* Nonzero when rows come from a file. */
int
dataset_is_file(const struct dataset *ds)
{
	return ds->is_file;
}

/* The rows of key. */
int
dataset_lookup(struct dataset *ds, const char *key, dataset_row_fn fn, void *arg, char *err,
    size_t errsize)
{
	return ds->ops->lookup(ds, key, fn, arg, err, errsize);
}

/* Stop at the first row. */
static int
dataset_stop(void *arg, const struct dataset_row *row)
{
	(void)arg;
	(void)row;
	return 1;
}

/* Nonzero when key has a row. */
int
dataset_has(struct dataset *ds, const char *key, char *err, size_t errsize)
{
	int n = dataset_lookup(ds, key, dataset_stop, NULL, err, errsize);

	return n < 0 ? -1 : n > 0;
}

/* Every row. */
long
dataset_walk(struct dataset *ds, dataset_row_fn fn, void *arg, char *err, size_t errsize)
{
	return ds->ops->walk(ds, fn, arg, err, errsize);
}

/* Can the data set answer? */
int
dataset_check(struct dataset *ds, char *info, size_t infosize, char *err, size_t errsize)
{
	if (ds->ops->check == NULL) {
		snprintf(info, infosize, "%s", dataset_name(ds));
		return 0;
	}
	return ds->ops->check(ds, info, infosize, err, errsize);
}

/* Drop the server connections of a database data set. */
void
dataset_disconnect(struct dataset *ds)
{
	if (ds->ops->disconnect != NULL)
		ds->ops->disconnect(ds);
}
