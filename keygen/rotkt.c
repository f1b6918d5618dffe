/*
 * rotkt.c - one interface over the KeyTable's homes (rotkt.h): a file, a
 * PostgreSQL or MariaDB/MySQL table, or LDAP entries.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../tables/redact.h"
#include "rotkt.h"

/* Split a KeyTable value, the way rules.c reads it. */
int
rotkt_split_value(char *v, struct rotentry *e)
{
	char *f[3], *c;
	size_t n;

	f[0] = v;
	for (n = 1, c = v; n < 3 && (c = strchr(c, ':')) != NULL; n++) {
		*c++ = '\0';
		f[n] = c;
	}
	if (n < 3 || *f[0] == '\0' || *f[1] == '\0' || *f[2] == '\0')
		return -1;
	e->domain = f[0];
	e->selector = f[1];
	e->key = f[2];
	e->alg = "";
	if ((c = strrchr(f[2], ':')) != NULL && (strcmp(c + 1, "rsa-sha256") == 0 ||
	    strcmp(c + 1, "ed25519-sha256") == 0)) {
		*c = '\0';
		e->alg = c + 1;
	}
	return 0;
}

size_t
rotkt_update_sql(const struct rotkt *kt, char quote, int lower, const char *mark,
    char *sql, size_t size)
{
	size_t k, np = kt->dsn.ndatacol == 1 ? 1 : kt->dsn.ndatacol - 1;
	size_t len;

	snprintf(sql, size, "UPDATE ");
	dsn_quote_ident(sql, size, kt->dsn.table, quote, lower);
	snprintf(sql + strlen(sql), size - strlen(sql), " SET ");
	for (k = 0; k < np; k++) {
		if (k > 0)
			snprintf(sql + strlen(sql), size - strlen(sql), ", ");
		dsn_quote_ident(sql, size, kt->dsn.datacol[kt->dsn.ndatacol == 1 ? 0 : k + 1], quote,
		    lower);
		len = strlen(sql);
		if (strcmp(mark, "$") == 0)
			snprintf(sql + len, size - len, " = $%zu", k + 1);
		else
			snprintf(sql + len, size - len, " = %s", mark);
	}
	snprintf(sql + strlen(sql), size - strlen(sql), " WHERE ");
	dsn_quote_ident(sql, size, kt->dsn.keycol, quote, lower);
	len = strlen(sql);
	if (strcmp(mark, "$") == 0)
		snprintf(sql + len, size - len, " = $%zu", np + 1);
	else
		snprintf(sql + len, size - len, " = %s", mark);
	return np;
}

int
rotkt_update_params(const struct rotkt *kt, const struct dataset_row *r, size_t np, char *v,
    size_t vsize, const char **params)
{
	struct rotentry e;

	if (kt->dsn.ndatacol == 1)
		params[0] = r->field[0];
	else {
		snprintf(v, vsize, "%s", r->field[0]);
		if (rotkt_split_value(v, &e) < 0)
			return -1;
		params[0] = e.selector;
		params[1] = e.key;
		params[2] = e.alg[0] != '\0' ? e.alg : NULL;
	}
	params[np] = r->key;
	return 0;
}

/* Open a KeyTable. */
int
rotkt_open(struct rotkt *kt, const char *spec, char *err, size_t errsize)
{
	memset(kt, 0, sizeof(*kt));
	if (strncasecmp(spec, "ldap:", 5) == 0 || strncasecmp(spec, "ldaps:", 6) == 0 ||
	    strncasecmp(spec, "ldapi:", 6) == 0) {
		/* A password in the URL is refused, and not shown. */
		snprintf(kt->name, sizeof(kt->name), "%.500s", spec);
		redact(kt->name, sizeof(kt->name), NULL);
#ifdef HAVE_LDAP
		return rotldap_open(kt, spec, err, errsize);
#else
		snprintf(err, errsize, "KeyTable %s: this dkimrotate was built without LDAP",
		    kt->name);
		return -1;
#endif
	}
	if (strncmp(spec, "dsn:", 4) == 0) {
		if (dsn_parse(&kt->dsn, spec + 4, err, errsize) < 0)
			return -1;
		kt->is_dsn = 1;
		snprintf(kt->name, sizeof(kt->name), "%s", kt->dsn.name);
		if (strcmp(kt->dsn.backend, "pgsql") != 0 && strcmp(kt->dsn.backend, "mysql") != 0) {
			snprintf(err, errsize, "KeyTable %s: dkimrotate switches keys in file:, refile:, "
			    "dsn:pgsql, dsn:mysql and ldap: tables", kt->name);
			return -1;
		}
		if (kt->dsn.ndatacol != 1 && kt->dsn.ndatacol != 3 && kt->dsn.ndatacol != 4) {
			snprintf(err, errsize, "KeyTable %s: datacol must be one column "
			    "(domain:selector:key) or domain,selector,key[,algorithm]", kt->name);
			return -1;
		}
#ifndef HAVE_PGSQL
		if (strcmp(kt->dsn.backend, "pgsql") == 0) {
			snprintf(err, errsize, "KeyTable %s: this dkimrotate was built without "
			    "PostgreSQL", kt->name);
			return -1;
		}
#endif
#ifndef HAVE_MYSQL
		if (strcmp(kt->dsn.backend, "mysql") == 0) {
			snprintf(err, errsize, "KeyTable %s: this dkimrotate was built without "
			    "MariaDB/MySQL", kt->name);
			return -1;
		}
#endif
		return 0;
	}
	if (rottable_path(spec, kt->path, sizeof(kt->path), err, errsize) < 0)
		return -1;
	snprintf(kt->name, sizeof(kt->name), "%.500s", kt->path);
	return 0;
}

#if defined(HAVE_PGSQL) || defined(HAVE_MYSQL)
/* Nonzero when kt is a table of back end name. */
static int
is_backend(const struct rotkt *kt, const char *name)
{
	return kt->is_dsn && strcmp(kt->dsn.backend, name) == 0;
}
#endif

/* Close the connection, if any. */
void
rotkt_close(struct rotkt *kt)
{
#ifdef HAVE_LDAP
	rotldap_close(kt);
#endif
#ifdef HAVE_PGSQL
	if (is_backend(kt, "pgsql"))
		rotpg_close(kt);
#endif
#ifdef HAVE_MYSQL
	if (is_backend(kt, "mysql"))
		rotmy_close(kt);
#endif
	if (kt->is_dsn)
		dsn_free(&kt->dsn);
	kt->is_dsn = 0;
}

/* Walk the file or the table. */
int
rotkt_walk(struct rotkt *kt, rottable_fn fn, void *arg, char *err, size_t errsize)
{
#ifdef HAVE_LDAP
	if (kt->ldap != NULL)
		return rotldap_walk(kt, fn, arg, err, errsize);
#endif
#ifdef HAVE_PGSQL
	if (is_backend(kt, "pgsql"))
		return rotpg_walk(kt, fn, arg, err, errsize);
#endif
#ifdef HAVE_MYSQL
	if (is_backend(kt, "mysql"))
		return rotmy_walk(kt, fn, arg, err, errsize);
#endif
	return rottable_walk(kt->path, fn, arg, err, errsize);
}

/* Apply the switches to the file or the table. */
int
rotkt_rewrite(struct rotkt *kt, const struct memtable *changes, size_t *changed,
    unsigned char *applied, char *err, size_t errsize)
{
	int rc;

#ifdef HAVE_LDAP
	if (kt->ldap != NULL)
		return rotldap_rewrite(kt, changes, changed, applied, err, errsize);
#endif
#ifdef HAVE_PGSQL
	if (is_backend(kt, "pgsql"))
		rc = rotpg_rewrite(kt, changes, changed, err, errsize);
	else
#endif
#ifdef HAVE_MYSQL
	if (is_backend(kt, "mysql"))
		rc = rotmy_rewrite(kt, changes, changed, err, errsize);
	else
#endif
		rc = rottable_rewrite(kt->path, rottable_change_in, (void *)changes, changed, err,
		    errsize);
	/* All or none: a file is replaced whole, a table changes in one transaction. */
	if (rc == 0 && changes->n > 0)
		memset(applied, 1, changes->n);
	return rc;
}
