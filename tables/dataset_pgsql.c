/*
 * dataset_pgsql.c - the PostgreSQL back end of dsn: data sets, through
 * libpq.
 *
 * The key is always a query parameter ($1), never part of the SQL text;
 * table and column names were checked to be identifiers (dsn.c) and are
 * quoted here, folded to lower case first as PostgreSQL folds unquoted
 * names, so that "table=DKIM" means what it meant to OpenDKIM.
 * Everything runs on non-blocking calls with poll(), so that no connect or
 * query waits longer than its timeout, whatever the network does.
 * Built as the module pgsql.so (Debian package postdkim-pgsql), loaded by
 * dsn_module.c when a configuration names a dsn:pgsql table: only then is
 * libpq, with all it pulls in, in the daemon's memory.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "dsn_backend.h"

struct pgconn {
	PGconn *pg;
	char *lookup_sql, *walk_sql;
};

/* Wait until fd is ready for events or deadline (ms) passes; 0 when ready. */
static int
pg_wait(int fd, short events, unsigned long long deadline)
{
	struct pollfd p;
	unsigned long long now;
	int rc;

	for (;;) {
		now = dsn_now();
		if (now >= deadline)
			return -1;
		p.fd = fd;
		p.events = events;
		p.revents = 0;
		rc = poll(&p, 1, (int)(deadline - now));
		if (rc > 0)
			return 0;
		if (rc == 0)
			return -1;
	}
}

/* libpq's notices would go to stderr: not wanted in a daemon. */
static void
pg_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Free a connection. */
static void
pg_disconnect(void *conn)
{
	struct pgconn *c = conn;

	if (c == NULL)
		return;
	if (c->pg != NULL)
		PQfinish(c->pg);
	free(c->lookup_sql);
	free(c->walk_sql);
	free(c);
}

/* Connect within timeout_ms. */
static void *
pg_connect(const struct dsn *d, unsigned timeout_ms, unsigned query_ms, char *err,
    size_t errsize)
{
	const char *kw[10], *val[10];
	char port[16], opts[64];
	unsigned long long deadline = dsn_now() + timeout_ms;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	struct pgconn *c;
	size_t n = 0;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->lookup_sql = dsn_sql(d, 0, '"', 1, "$1")) == NULL || (c->walk_sql = dsn_sql(d, 1, '"', 1, "$1")) == NULL) {
		pg_disconnect(c);
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	/* The server ends a query the client has given up on. */
	snprintf(opts, sizeof(opts), "-c statement_timeout=%u", query_ms);
	kw[n] = "host"; val[n++] = d->host;
	if (d->port) {
		snprintf(port, sizeof(port), "%u", d->port);
		kw[n] = "port"; val[n++] = port;
	}
	kw[n] = "dbname"; val[n++] = d->dbase;
	if (d->user) {
		kw[n] = "user"; val[n++] = d->user;
	}
	if (d->password) {
		kw[n] = "password"; val[n++] = d->password;
	}
	kw[n] = "client_encoding"; val[n++] = "UTF8";
	kw[n] = "application_name"; val[n++] = "postdkim";
	kw[n] = "options"; val[n++] = opts;
	kw[n] = NULL; val[n] = NULL;
	if ((c->pg = PQconnectStartParams(kw, val, 0)) == NULL) {
		pg_disconnect(c);
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	while (PQstatus(c->pg) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
	    st != PGRES_POLLING_FAILED) {
		if (pg_wait(PQsocket(c->pg), st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
		    deadline) < 0) {
			snprintf(err, errsize, "no connection within %u ms", timeout_ms);
			pg_disconnect(c);
			return NULL;
		}
		st = PQconnectPoll(c->pg);
	}
	if (PQstatus(c->pg) != CONNECTION_OK) {
		dsn_escape(err, errsize, PQerrorMessage(c->pg));
		pg_disconnect(c);
		return NULL;
	}
	PQsetNoticeProcessor(c->pg, pg_quiet, NULL);
	if (PQsetnonblocking(c->pg, 1) != 0) {
		dsn_escape(err, errsize, PQerrorMessage(c->pg));
		pg_disconnect(c);
		return NULL;
	}
	return c;
}

/* Append the rows of a result. */
static void
pg_rows(const PGresult *res, const char *key, size_t nfields, struct dsrows *out)
{
	const char *f[DATASET_FIELDS_MAX + 1];
	int r, i, nt = PQntuples(res);

	for (r = 0; r < nt; r++) {
		for (i = 0; i < PQnfields(res) && i <= DATASET_FIELDS_MAX; i++)
			f[i] = PQgetisnull(res, r, i) ? NULL : PQgetvalue(res, r, i);
		if (key != NULL)
			dsrows_add(out, key, nfields, f);
		else
			dsrows_add(out, f[0], nfields, f + 1);
	}
}

/*
 * Run the lookup or walk query. Each is an unnamed statement with the key
 * as a parameter, not a named prepared one: PgBouncer in transaction
 * pooling does not carry a named statement from one server connection to
 * the next (before 1.21, and from 1.21 only with max_prepared_statements),
 * while an unnamed one works behind any pooler.
 */
static int
pg_query(void *conn, const struct dsn *d, const char *key, unsigned timeout_ms,
    struct dsrows *out, int *broken, char *err, size_t errsize)
{
	struct pgconn *c = conn;
	unsigned long long deadline = dsn_now() + timeout_ms;
	const char *sqlstate;
	PGresult *res;
	int rc = 0, f;

	if (!PQsendQueryParams(c->pg, key ? c->lookup_sql : c->walk_sql, key ? 1 : 0, NULL,
	    key ? &key : NULL, NULL, NULL, 0))
		goto lost;
	while ((f = PQflush(c->pg)) == 1)
		if (pg_wait(PQsocket(c->pg), POLLOUT, deadline) < 0)
			goto slow;
	if (f < 0)
		goto lost;
	for (;;) {
		while (PQisBusy(c->pg)) {
			if (pg_wait(PQsocket(c->pg), POLLIN, deadline) < 0)
				goto slow;
			if (!PQconsumeInput(c->pg))
				goto lost;
		}
		if ((res = PQgetResult(c->pg)) == NULL)
			break;
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			pg_rows(res, key, d->ndatacol, out);
		else if (rc == 0) {
			sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			/*
			 * Class 22 (data exception): the key is not of the key
			 * column's type (a name for an integer id), so no row has it.
			 */
			if (key == NULL || sqlstate == NULL || strncmp(sqlstate, "22", 2) != 0) {
				dsn_escape(err, errsize, PQresultErrorMessage(res));
				rc = -1;
			}
		}
		PQclear(res);
	}
	if (PQstatus(c->pg) != CONNECTION_OK) {
		*broken = 1;
		if (rc == 0)
			goto lost;
	}
	return rc;
slow:
	*broken = 1;
	snprintf(err, errsize, "no answer within %u ms", timeout_ms);
	return -1;
lost:
	*broken = 1;
	dsn_escape(err, errsize, PQerrorMessage(c->pg));
	if (err[0] == '\0')
		snprintf(err, errsize, "connection lost");
	return -1;
}

/* The server's version. */
static void
pg_version(void *conn, char *buf, size_t size)
{
	struct pgconn *c = conn;
	const char *v = PQparameterStatus(c->pg, "server_version");

	dsn_escape(buf, size, v ? v : "?");
}

static const struct dsn_backend pg_backend = {
	"pgsql", "PostgreSQL", pg_connect, pg_query, pg_version, pg_disconnect, NULL, NULL
};
DSN_MODULE(pg_backend)
