/*
 * dsn_backend.h - what a database back end (dataset_pgsql.c,
 * dataset_mysql.c, and the LDAP one, dataset_ldap.c) provides to
 * dataset_dsn.c: connect, run the lookup or the walk query with the key as
 * a parameter, name the server, disconnect. A connection is used by one thread at a time.
 *
 * Each back end is a module of its own (NAME.so, see dsn_module.h) that
 * exports one symbol, DSN_MODULE_SYMBOL: the version of postdkim it was
 * built with and its struct dsn_backend. Modules and daemon share these
 * structures, so a module is used only by the version it was built with.
 */
#ifndef POSTDKIM_DSN_BACKEND_H
#define POSTDKIM_DSN_BACKEND_H

#include <stddef.h>

#include "dataset.h"
#include "dsn.h"
#include "dsrows.h"

struct dsn_backend {
	const char *name;	/* as in the DSN: "pgsql" */
	const char *product;	/* for messages: "PostgreSQL" */
	/*
	 * Connect within timeout_ms. Returns the connection, or NULL with the
	 * reason (the server's message, escaped) in err.
	 */
	void *(*connect)(const struct dsn *d, unsigned timeout_ms, unsigned query_ms,
	    char *err, size_t errsize);
	/*
	 * Append the rows of key to out (key NULL: every row, the key column
	 * first). Returns 0, or -1 with err; sets *broken when the connection
	 * cannot be used again. A key that cannot be in the table (not of the
	 * key column's type) has no rows.
	 */
	int (*query)(void *conn, const struct dsn *d, const char *key, unsigned timeout_ms,
	    struct dsrows *out, int *broken, char *err, size_t errsize);
	/* The server's version, e.g. "15.4". */
	void (*version)(void *conn, char *buf, size_t size);
	void (*disconnect)(void *conn);
	/* May be NULL. What postdkim -n says was checked, instead of database and table. */
	void (*info)(const struct dsn *d, const char *version, char *buf, size_t size);
	/*
	 * May be NULL (dsn: back ends: dsn_parse fills the struct dsn). Fill d
	 * from a data set of the back end's own syntax (ldap: URLs) and its
	 * settings. 0, or -1 with err; the caller frees d either way.
	 */
	int (*make)(struct dsn *d, const char *spec, const struct dataset_ldap_settings *ls,
	    char *err, size_t errsize);
};

/* What a module exports. */
struct dsn_module {
	const char *version;		/* PACKAGE_VERSION it was built with */
	const struct dsn_backend *backend;
};

#define DSN_MODULE_SYMBOL "postdkim_dsn_module"
/* In a module: export its back end (the only symbol it exports). */
#define DSN_MODULE(be) \
	__attribute__((visibility("default"))) const struct dsn_module postdkim_dsn_module = \
	    { PACKAGE_VERSION, &(be) };

/*
 * Make ds a data set of d read through be, with the pool, cache and
 * outage rules of dataset_dsn.c and the settings set (d's parts are taken
 * over and freed with it, also on failure). 0, or -1 with err.
 */
int dataset_dsn_attach(struct dataset *ds, struct dsn *d, const struct dsn_backend *be,
    const struct dataset_db_settings *set, char *err, size_t errsize);

#endif
