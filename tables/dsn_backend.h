/*
 * dsn_backend.h - what a database back end (dataset_pgsql.c,
 * dataset_mysql.c, and the LDAP one, dataset_ldap.c) provides to
 * dataset_dsn.c: connect, run the lookup or the walk query with the key as
 * a parameter, name the server, disconnect. A connection is used by one thread at a time.
 */
#ifndef POSTDKIM_DSN_BACKEND_H
#define POSTDKIM_DSN_BACKEND_H

#include <stddef.h>

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
};

#ifdef HAVE_PGSQL
extern const struct dsn_backend dsn_backend_pgsql;
#endif
#ifdef HAVE_MYSQL
extern const struct dsn_backend dsn_backend_mysql;
#endif
#ifdef HAVE_LDAP
extern const struct dsn_backend dsn_backend_ldap;
#endif

/*
 * Make ds a data set of d read through be, with the pool, cache and
 * outage rules of dataset_dsn.c and the settings set (d's parts are taken
 * over and freed with it, also on failure). 0, or -1 with err.
 */
int dataset_dsn_attach(struct dataset *ds, struct dsn *d, const struct dsn_backend *be,
    const struct dataset_db_settings *set, char *err, size_t errsize);

#endif
