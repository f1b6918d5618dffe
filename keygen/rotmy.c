/*
 * rotmy.c - a KeyTable in MariaDB/MySQL (rotkt.h), through MariaDB
 * Connector/C: the rows are streamed (mysql_use_result: 100,000 of them
 * never sit in memory together), and a run's switches are one transaction
 * of prepared UPDATEs, so that postdkim sees all of them or none (the
 * table must be transactional, InnoDB, MariaDB's default).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "rotkt.h"

/* Say what failed on connection m, the server's words escaped. */
static void
my_err(struct rotkt *kt, const char *what, const char *msg, char *err, size_t errsize)
{
	char m[300];

	dsn_escape(m, sizeof(m), msg);
	snprintf(err, errsize, "KeyTable %s: %s%s%s", kt->name, what ? what : "",
	    what ? ": " : "", m);
}

/* Connect when first needed, again when the server went away. */
static MYSQL *
conn(struct rotkt *kt, char *err, size_t errsize)
{
	unsigned int cto = 30;
	my_bool off = 0;
	MYSQL *m = kt->conn;

	if (m != NULL && mysql_ping(m) == 0)
		return m;
	if (m != NULL)
		mysql_close(m);
	kt->conn = NULL;
	if ((m = mysql_init(NULL)) == NULL) {
		snprintf(err, errsize, "KeyTable %s: out of memory", kt->name);
		return NULL;
	}
	mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &cto);
	mysql_optionsv(m, MYSQL_OPT_RECONNECT, &off);	/* a transaction never silently restarts */
	mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/*
	 * No option file: the DSN says everything, as for postdkim
	 * (dataset_mysql.c). CLIENT_FOUND_ROWS: an UPDATE counts the rows
	 * it matched, as PostgreSQL does, not only those whose value differed.
	 */
	if (mysql_real_connect(m, kt->dsn.host, kt->dsn.user,
	    kt->dsn.password ? kt->dsn.password : "", kt->dsn.dbase, kt->dsn.port, NULL,
	    CLIENT_FOUND_ROWS) == NULL) {
		my_err(kt, NULL, mysql_error(m), err, errsize);
		mysql_close(m);
		return NULL;
	}
	/*
	 * The server gives up on a client that does not read its rows for
	 * net_write_timeout (60 s by default); a walk checks DNS between rows.
	 */
	if (mysql_query(m, "SET SESSION net_write_timeout = 86400") != 0) {
		my_err(kt, NULL, mysql_error(m), err, errsize);
		mysql_close(m);
		return NULL;
	}
	kt->conn = m;
	return m;
}

/* Every row: the key column, then the value columns. */
int
rotmy_walk(struct rotkt *kt, rottable_fn fn, void *arg, char *err, size_t errsize)
{
	char val[8192], *q;
	const char *f[5];	/* the key, then at most 4 columns (rotkt_open) */
	struct rotentry e;
	MYSQL_RES *res;
	MYSQL_ROW row;
	MYSQL *m;
	unsigned line = 0;
	int rc = 0, i;

	if ((m = conn(kt, err, errsize)) == NULL)
		return -1;
	if ((q = dsn_sql(&kt->dsn, 1, '`', 0, NULL)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (mysql_real_query(m, q, strlen(q)) != 0 || (res = mysql_use_result(m)) == NULL) {
		my_err(kt, NULL, mysql_error(m), err, errsize);
		free(q);
		return -1;
	}
	free(q);
	while (rc == 0 && (row = mysql_fetch_row(res)) != NULL) {
		line++;
		/* A NULL column reads as empty, as libpq gives it to rotpg.c. */
		for (i = 0; i <= (int)kt->dsn.ndatacol; i++)
			f[i] = row[i] != NULL ? row[i] : "";
		e.name = f[0];
		if (kt->dsn.ndatacol == 1)
			snprintf(val, sizeof(val), "%s", f[1]);
		else {
			snprintf(val, sizeof(val), "%s:%s:%s", f[1], f[2], f[3]);
			if (kt->dsn.ndatacol == 4 && *f[4] != '\0') {
				i = (int)strlen(val);
				snprintf(val + i, sizeof(val) - (size_t)i, ":%s", f[4]);
			}
		}
		e.line = line;
		if (rotkt_split_value(val, &e) < 0) {
			snprintf(err, errsize, "KeyTable %s: row %u: value must be "
			    "domain:selector:keyfile", kt->name, line);
			rc = -1;
		} else if (fn(arg, &e) != 0)
			rc = 1;
	}
	/* The end of the rows, or an error in the middle of them. */
	if (rc == 0 && mysql_errno(m) != 0) {
		my_err(kt, NULL, mysql_error(m), err, errsize);
		rc = -1;
	}
	mysql_free_result(res);	/* reads what is left of the rows */
	return rc;
}

/* Run a statement without parameters; 0, or -1 with err. */
static int
exec0(struct rotkt *kt, MYSQL *m, const char *sql, char *err, size_t errsize)
{
	if (mysql_query(m, sql) == 0)
		return 0;
	my_err(kt, sql, mysql_error(m), err, errsize);
	return -1;
}

/* One UPDATE of the prepared statement st; the rows it matched, or -1 with err. */
static long long
update1(struct rotkt *kt, MYSQL_STMT *st, const char **params, size_t n, char *err,
    size_t errsize)
{
	MYSQL_BIND b[5];
	unsigned long len[5];
	my_bool isnull[5];
	size_t k;

	memset(b, 0, sizeof(b));
	for (k = 0; k < n; k++) {
		isnull[k] = params[k] == NULL;
		len[k] = params[k] ? (unsigned long)strlen(params[k]) : 0;
		b[k].buffer_type = MYSQL_TYPE_STRING;
		b[k].buffer = (void *)(uintptr_t)(params[k] ? params[k] : "");
		b[k].buffer_length = len[k];
		b[k].length = &len[k];
		b[k].is_null = &isnull[k];
	}
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0) {
		my_err(kt, NULL, mysql_stmt_error(st), err, errsize);
		return -1;
	}
	return (long long)mysql_stmt_affected_rows(st);
}

/* UPDATE table SET cols = ?.. WHERE keycol = ?, once per change, in one transaction. */
int
rotmy_rewrite(struct rotkt *kt, const struct memtable *changes, size_t *changed,
    char *err, size_t errsize)
{
	char sql[2048], v[8192], msg[1024];	/* msg: a failed ROLLBACK's words, dropped */
	const char *params[5];
	struct dataset_row r;
	MYSQL_STMT *st;
	MYSQL *m;
	size_t i, np;
	long long n;

	*changed = 0;
	if ((m = conn(kt, err, errsize)) == NULL)
		return -1;
	np = rotkt_update_sql(kt, '`', 0, "?", sql, sizeof(sql));
	if ((st = mysql_stmt_init(m)) == NULL) {
		snprintf(err, errsize, "KeyTable %s: out of memory", kt->name);
		return -1;
	}
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		my_err(kt, NULL, mysql_stmt_error(st), err, errsize);
		mysql_stmt_close(st);
		return -1;
	}
	if (exec0(kt, m, "START TRANSACTION", err, errsize) < 0) {
		mysql_stmt_close(st);
		return -1;
	}
	for (i = 0; i < changes->n; i++) {
		memtable_row(changes, (uint32_t)i, &r);
		if (rotkt_update_params(kt, &r, np, v, sizeof(v), params) < 0)
			continue;
		if ((n = update1(kt, st, params, np + 1, err, errsize)) < 0) {
			mysql_stmt_close(st);
			exec0(kt, m, "ROLLBACK", msg, sizeof(msg));
			*changed = 0;
			return -1;
		}
		*changed += (size_t)n;
	}
	mysql_stmt_close(st);
	if (exec0(kt, m, "COMMIT", err, errsize) < 0) {
		exec0(kt, m, "ROLLBACK", msg, sizeof(msg));
		*changed = 0;
		return -1;
	}
	return 0;
}

/* Close the connection. */
void
rotmy_close(struct rotkt *kt)
{
	if (kt->conn != NULL)
		mysql_close(kt->conn);
	kt->conn = NULL;
}
