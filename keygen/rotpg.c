/*
 * rotpg.c - a KeyTable in PostgreSQL (rotkt.h), through libpq itself: the
 * rows are read in single-row mode (100,000 of them never sit in memory
 * together), and a run's switches are one transaction of parameterised
 * UPDATEs, so that postdkim sees all of them or none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "rotkt.h"

/* Connect when first needed. */
static PGconn *
conn(struct rotkt *kt, char *err, size_t errsize)
{
	const char *kw[6], *val[6];
	char port[16];
	int n = 0;

	if (kt->conn != NULL && PQstatus(kt->conn) == CONNECTION_OK)
		return kt->conn;
	if (kt->conn != NULL)
		PQfinish(kt->conn);
	kw[n] = "host", val[n++] = kt->dsn.host;
	if (kt->dsn.port != 0) {
		snprintf(port, sizeof(port), "%u", kt->dsn.port);
		kw[n] = "port", val[n++] = port;
	}
	kw[n] = "dbname", val[n++] = kt->dsn.dbase;
	if (kt->dsn.user != NULL)
		kw[n] = "user", val[n++] = kt->dsn.user;
	if (kt->dsn.password != NULL)
		kw[n] = "password", val[n++] = kt->dsn.password;
	kw[n] = NULL, val[n] = NULL;
	kt->conn = PQconnectdbParams(kw, val, 0);
	if (kt->conn == NULL || PQstatus(kt->conn) != CONNECTION_OK) {
		char msg[300];

		dsn_escape(msg, sizeof(msg), kt->conn ? PQerrorMessage(kt->conn) : "out of memory");
		snprintf(err, errsize, "KeyTable %s: %s", kt->name, msg);
		return NULL;
	}
	return kt->conn;
}

/* Every row: the key column, then the value columns. */
int
rotpg_walk(struct rotkt *kt, rottable_fn fn, void *arg, char *err, size_t errsize)
{
	char val[8192], msg[300], *q;
	struct rotentry e;
	PGresult *res;
	PGconn *c;
	unsigned line = 0;
	int rc = 0, i, stop = 0;

	if ((c = conn(kt, err, errsize)) == NULL)
		return -1;
	if ((q = dsn_sql(&kt->dsn, 1, '"', 1, NULL)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (!PQsendQuery(c, q) || !PQsetSingleRowMode(c)) {
		dsn_escape(msg, sizeof(msg), PQerrorMessage(c));
		snprintf(err, errsize, "KeyTable %s: %s", kt->name, msg);
		free(q);
		return -1;
	}
	free(q);
	while ((res = PQgetResult(c)) != NULL) {
		if (PQresultStatus(res) == PGRES_SINGLE_TUPLE && !stop && rc == 0) {
			line++;
			e.name = PQgetvalue(res, 0, 0);
			if (kt->dsn.ndatacol == 1)
				snprintf(val, sizeof(val), "%s", PQgetvalue(res, 0, 1));
			else {
				snprintf(val, sizeof(val), "%s:%s:%s", PQgetvalue(res, 0, 1),
				    PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3));
				if (kt->dsn.ndatacol == 4 && !PQgetisnull(res, 0, 4) &&
				    *PQgetvalue(res, 0, 4) != '\0') {
					i = (int)strlen(val);
					snprintf(val + i, sizeof(val) - (size_t)i, ":%s",
					    PQgetvalue(res, 0, 4));
				}
			}
			e.line = line;
			if (rotkt_split_value(val, &e) < 0) {
				snprintf(err, errsize, "KeyTable %s: row %u: value must be "
				    "domain:selector:keyfile", kt->name, line);
				rc = -1;
			} else if (fn(arg, &e) != 0) {
				stop = 1;
				rc = 1;
			}
		} else if (PQresultStatus(res) != PGRES_TUPLES_OK &&
		    PQresultStatus(res) != PGRES_SINGLE_TUPLE) {
			dsn_escape(msg, sizeof(msg), PQresultErrorMessage(res));
			snprintf(err, errsize, "KeyTable %s: %s", kt->name, msg);
			rc = -1;
		}
		PQclear(res);
	}
	return rc;
}

/* Run a command without parameters; 0, or -1 with err. */
static int
exec0(struct rotkt *kt, PGconn *c, const char *sql, char *err, size_t errsize)
{
	PGresult *res = PQexec(c, sql);
	char msg[300];
	int ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok) {
		dsn_escape(msg, sizeof(msg), res ? PQresultErrorMessage(res) : PQerrorMessage(c));
		snprintf(err, errsize, "KeyTable %s: %s: %s", kt->name, sql, msg);
	}
	PQclear(res);
	return ok ? 0 : -1;
}

/* UPDATE table SET cols = $1.. WHERE keycol = $N, once per change, in one transaction. */
int
rotpg_rewrite(struct rotkt *kt, const struct memtable *changes, size_t *changed,
    char *err, size_t errsize)
{
	char sql[2048], v[8192], msg[300];
	const char *params[5];
	struct dataset_row r;
	PGresult *res;
	PGconn *c;
	size_t i, np;

	*changed = 0;
	if ((c = conn(kt, err, errsize)) == NULL)
		return -1;
	/*
	 * The key column compared as it is, the name's type inferred from it
	 * (as postdkim's lookups do): a cast of the column would make every
	 * UPDATE read the whole table, 100,000 switches 10^10 rows.
	 */
	np = rotkt_update_sql(kt, '"', 1, "$", sql, sizeof(sql));
	if (exec0(kt, c, "BEGIN", err, errsize) < 0)
		return -1;
	for (i = 0; i < changes->n; i++) {
		memtable_row(changes, (uint32_t)i, &r);
		if (rotkt_update_params(kt, &r, np, v, sizeof(v), params) < 0)
			continue;
		res = PQexecParams(c, sql, (int)np + 1, NULL, params, NULL, NULL, 0);
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
			dsn_escape(msg, sizeof(msg), res ? PQresultErrorMessage(res) :
			    PQerrorMessage(c));
			snprintf(err, errsize, "KeyTable %s: %s", kt->name, msg);
			PQclear(res);
			exec0(kt, c, "ROLLBACK", msg, sizeof(msg));
			return -1;
		}
		*changed += strtoul(PQcmdTuples(res), NULL, 10);
		PQclear(res);
	}
	return exec0(kt, c, "COMMIT", err, errsize);
}

/* Close the connection. */
void
rotpg_close(struct rotkt *kt)
{
	if (kt->conn != NULL)
		PQfinish(kt->conn);
	kt->conn = NULL;
}
