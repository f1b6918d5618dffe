/*
 * dataset_impl.h - what a data set back end provides to dataset.c. Not for
 * use outside tables/.
 */
#ifndef POSTDKIM_DATASET_IMPL_H
#define POSTDKIM_DATASET_IMPL_H

#include "dataset.h"

struct dataset_ops {
	int (*lookup)(struct dataset *ds, const char *key, dataset_row_fn fn, void *arg,
	    char *err, size_t errsize);
	long (*walk)(struct dataset *ds, dataset_row_fn fn, void *arg, char *err,
	    size_t errsize);
	/* May be NULL: nothing to check beyond opening. */
	int (*check)(struct dataset *ds, char *info, size_t infosize, char *err,
	    size_t errsize);
	void (*close)(struct dataset *ds);
	/* May be NULL: nothing to disconnect. */
	void (*disconnect)(struct dataset *ds);
};

struct dataset {
	const struct dataset_ops *ops;
	char *name;		/* for messages; set by the back end */
	enum dataset_kind kind;
	unsigned flags;		/* DATASET_ICASE, DATASET_IDNA */
	int patterns;		/* refile: */
	int is_file;
	void *impl;		/* the back end's state */
};

/*
 * Back ends. Each fills ds->ops, ds->name and ds->impl; on failure it
 * returns -1 with err and leaves nothing to free but ds->name.
 */
/* An inline list (csl:, or words in the configuration line). */
int dataset_csl_open(struct dataset *ds, const char *list, unsigned cfgline,
    const char *cfgpath, char *err, size_t errsize);
/* file:PATH (an absolute path) and refile:PATH. */
int dataset_file_open(struct dataset *ds, const char *path, char *err, size_t errsize);
int dataset_refile_open(struct dataset *ds, const char *path, char *err, size_t errsize);
/* dsn:BACKEND://... (the part after "dsn:"; dataset_dsn.c). */
int dataset_dsn_open(struct dataset *ds, const char *dsn, char *err, size_t errsize);
/* ldap://, ldaps://, ldapi:// URLs, several separated by blanks (dataset_ldap.c). */
int dataset_ldap_open(struct dataset *ds, const char *urls, char *err, size_t errsize);

#endif
