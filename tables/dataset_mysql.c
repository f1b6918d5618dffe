/*
 * dataset_mysql.c - the MariaDB/MySQL back end of dsn: data sets, through
 * MariaDB Connector/C.
 *
 * Queries are prepared statements with the key bound as a parameter,
 * never part of the SQL text; table and column names were checked to be
 * identifiers (dsn.c) and are quoted with backquotes here. The connector's
 * connect, read and write timeouts bound every wait (whole seconds: the
 * millisecond settings are rounded up).
 *
 * Keys compare with the column's collation (MariaDB's default is case
 * insensitive and pads spaces), and an integer key column turns '12abc'
 * into 12: both are the server's rules, left as they are.
 *
 * Built as the module mysql.so (Debian package postdkim-mysql), loaded by
 * dsn_module.c when a configuration names a dsn:mysql table.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "dsn_backend.h"

struct myconn {
	MYSQL *m;
	MYSQL_STMT *stmt[2];	/* lookup, walk; prepared on first use */
	char *sql[2];
};

/* mysql_library_init is not thread-safe: once, before the first connection. */
static pthread_once_t my_once = PTHREAD_ONCE_INIT;
static int my_failed;

static void
my_library_init(void)
{
	my_failed = mysql_library_init(0, NULL, NULL) != 0;
}

/* Free a connection. */
static void
my_disconnect(void *conn)
{
	struct myconn *c = conn;
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < 2; i++) {
		if (c->stmt[i] != NULL)
			mysql_stmt_close(c->stmt[i]);
		free(c->sql[i]);
	}
	if (c->m != NULL)
		mysql_close(c->m);
	free(c);
}

/* Connect within timeout_ms (rounded up to seconds). */
static void *
my_connect(const struct dsn *d, unsigned timeout_ms, unsigned query_ms, char *err,
    size_t errsize)
{
	unsigned int cto = (timeout_ms + 999) / 1000, qto = (query_ms + 999) / 1000;
	my_bool off = 0;
	struct myconn *c;

	pthread_once(&my_once, my_library_init);
	if (my_failed) {
		snprintf(err, errsize, "the MariaDB client library cannot start");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->sql[0] = dsn_sql(d, 0, '`', 0, "?")) == NULL || (c->sql[1] = dsn_sql(d, 1, '`', 0, "?")) == NULL ||
	    (c->m = mysql_init(NULL)) == NULL) {
		my_disconnect(c);
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	mysql_optionsv(c->m, MYSQL_OPT_CONNECT_TIMEOUT, &cto);
	mysql_optionsv(c->m, MYSQL_OPT_READ_TIMEOUT, &qto);
	mysql_optionsv(c->m, MYSQL_OPT_WRITE_TIMEOUT, &qto);
	mysql_optionsv(c->m, MYSQL_OPT_RECONNECT, &off);	/* dataset_dsn.c reconnects */
	mysql_optionsv(c->m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* No option file: the DSN says everything. */
	if (mysql_real_connect(c->m, d->host, d->user, d->password ? d->password : "",
	    d->dbase, d->port, NULL, 0) == NULL) {
		dsn_escape(err, errsize, mysql_error(c->m));
		my_disconnect(c);
		return NULL;
	}
	return c;
}

/* Nonzero when error code e means the connection is unusable. */
static int
my_lost(unsigned e)
{
	return (e >= CR_MIN_ERROR && e <= CR_MAX_ERROR) || e == ER_CONNECTION_KILLED ||
	    e == ER_SERVER_SHUTDOWN || e == ER_QUERY_INTERRUPTED;
}

/* Fetch every row of an executed statement into out. */
static int
my_fetch(MYSQL_STMT *st, const char *key, size_t ndata, struct dsrows *out)
{
	MYSQL_BIND b[DATASET_FIELDS_MAX + 1];
	char *buf[DATASET_FIELDS_MAX + 1] = { NULL };
	unsigned long len[DATASET_FIELDS_MAX + 1];
	my_bool isnull[DATASET_FIELDS_MAX + 1], trunc[DATASET_FIELDS_MAX + 1];
	const char *f[DATASET_FIELDS_MAX + 1];
	size_t cap[DATASET_FIELDS_MAX + 1];
	size_t ncol = mysql_stmt_field_count(st), i;
	int rc = 0, fr;
	char *nb;

	if (ncol > DATASET_FIELDS_MAX + 1)
		ncol = DATASET_FIELDS_MAX + 1;
	memset(b, 0, sizeof(b));
	for (i = 0; i < ncol; i++) {
		cap[i] = 256;
		if ((buf[i] = malloc(cap[i])) == NULL)
			goto nomem;
		b[i].buffer_type = MYSQL_TYPE_STRING;
		b[i].buffer = buf[i];
		b[i].buffer_length = cap[i] - 1;
		b[i].length = &len[i];
		b[i].is_null = &isnull[i];
		b[i].error = &trunc[i];
	}
	if (mysql_stmt_bind_result(st, b) != 0)
		goto fail;
	while ((fr = mysql_stmt_fetch(st)) == 0 || fr == MYSQL_DATA_TRUNCATED) {
		for (i = 0; i < ncol; i++) {
			/* A long value (a PEM key): a bigger buffer, then fetch it again. */
			if (fr == MYSQL_DATA_TRUNCATED && trunc[i] && !isnull[i]) {
				if ((nb = realloc(buf[i], (size_t)len[i] + 1)) == NULL)
					goto nomem;
				buf[i] = nb;
				cap[i] = (size_t)len[i] + 1;
				b[i].buffer = nb;
				b[i].buffer_length = cap[i] - 1;
				if (mysql_stmt_fetch_column(st, &b[i], (unsigned)i, 0) != 0)
					goto fail;
			}
			buf[i][len[i] < cap[i] ? len[i] : cap[i] - 1] = '\0';
			f[i] = isnull[i] ? NULL : buf[i];
		}
		if (fr == MYSQL_DATA_TRUNCATED && mysql_stmt_bind_result(st, b) != 0)
			goto fail;
		if (key != NULL)
			dsrows_add(out, key, ndata, f);
		else
			dsrows_add(out, f[0], ndata, f + 1);
	}
	if (fr != MYSQL_NO_DATA)
		rc = -1;
	goto done;
nomem:
	out->nomem = 1;
	goto done;
fail:
	rc = -1;
done:
	for (i = 0; i < ncol; i++)
		free(buf[i]);
	mysql_stmt_free_result(st);
	return rc;
}

/* Run the lookup or walk statement. */
static int
my_query(void *conn, const struct dsn *d, const char *key, unsigned timeout_ms,
    struct dsrows *out, int *broken, char *err, size_t errsize)
{
	struct myconn *c = conn;
	int w = key == NULL;
	MYSQL_STMT *st;
	MYSQL_BIND p;
	unsigned long klen;
	unsigned e;

	(void)timeout_ms;	/* set on the connection */
	if (c->stmt[w] == NULL) {
		if ((st = mysql_stmt_init(c->m)) == NULL) {
			out->nomem = 1;
			return 0;
		}
		if (mysql_stmt_prepare(st, c->sql[w], strlen(c->sql[w])) != 0) {
			e = mysql_stmt_errno(st);
			dsn_escape(err, errsize, mysql_stmt_error(st));
			mysql_stmt_close(st);
			*broken = my_lost(e);
			return -1;
		}
		c->stmt[w] = st;
	}
	st = c->stmt[w];
	if (!w) {
		memset(&p, 0, sizeof(p));
		klen = (unsigned long)strlen(key);
		p.buffer_type = MYSQL_TYPE_STRING;
		p.buffer = (void *)(uintptr_t)key;
		p.buffer_length = klen;
		p.length = &klen;
		if (mysql_stmt_bind_param(st, &p) != 0)
			goto fail;
	}
	if (mysql_stmt_execute(st) != 0 || mysql_stmt_store_result(st) != 0)
		goto fail;
	if (my_fetch(st, key, d->ndatacol, out) < 0)
		goto fail;
	return 0;
fail:
	e = mysql_stmt_errno(st);
	dsn_escape(err, errsize, e ? mysql_stmt_error(st) : "cannot fetch the rows");
	*broken = e == 0 || my_lost(e);
	return -1;
}

/* The server's version. */
static void
my_version(void *conn, char *buf, size_t size)
{
	struct myconn *c = conn;

	dsn_escape(buf, size, mysql_get_server_info(c->m));
}

static const struct dsn_backend my_backend = {
	"mysql", "MariaDB", my_connect, my_query, my_version, my_disconnect, NULL, NULL
};
DSN_MODULE(my_backend)
