/*
 * dsn.h - OpenDKIM's Data Store Names, parsed:
 *
 *	BACKEND://[USER[:PASSWORD]@][PORT+]HOST/DB/table=T?keycol=K?datacol=C1,C2[?filter=F]
 *
 * Table and column names are checked to be plain SQL identifiers (they are
 * written into the query text, so nothing else may get there); the filter
 * is an SQL condition written by the administrator, with =XX standing for
 * the byte XX as in OpenDKIM.
 */
#ifndef POSTDKIM_DSN_H
#define POSTDKIM_DSN_H

#include <stddef.h>

#include "dataset.h"

struct dsn {
	char *backend;		/* "pgsql" or "mysql" */
	char *user, *password;	/* NULL when absent */
	char *host;
	unsigned port;		/* 0: the back end's default */
	char *dbase;
	char *table;		/* an identifier, possibly schema.table */
	char *keycol;
	char *datacol[DATASET_FIELDS_MAX];
	size_t ndatacol;
	char *filter;		/* NULL when absent */
	char *name;		/* for messages: the DSN without its password */
	void *ext;		/* a back end's own description (ldap:), freed by ext_free */
	void (*ext_free)(void *);
};

/* Parse s (the part after "dsn:"). 0, or -1 with a message in err (never the password). */
int dsn_parse(struct dsn *d, const char *s, char *err, size_t errsize);
void dsn_free(struct dsn *d);
/* Milliseconds on a clock that never goes back (timeouts, cache expiry). */
unsigned long long dsn_now(void);
/*
 * The query of a data set: "SELECT [key,]cols FROM table [WHERE key =
 * PLACEHOLDER] [AND (filter)]" (walk: every row, the key first, no
 * placeholder). Identifiers are quoted with quote ('"' or '`'),
 * "schema.table" as two quoted names, and lower-cased when lower (what
 * PostgreSQL does to the unquoted names OpenDKIM writes). Caller frees;
 * NULL when out of memory.
 */
char *dsn_sql(const struct dsn *d, int walk, char quote, int lower, const char *placeholder);
/*
 * Append identifier id (checked by dsn_parse) to the string in buf, quoted
 * with quote, "schema.table" as two quoted names, lower-cased when lower.
 */
void dsn_quote_ident(char *buf, size_t size, const char *id, char quote, int lower);
/*
 * Copy text that came from a server into dst for a log line: control
 * characters, quotes and bytes outside ASCII become \xNN, a trailing
 * newline goes.
 */
void dsn_escape(char *dst, size_t size, const char *src);

#endif
