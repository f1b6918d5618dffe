/*
 * dataset.h - OpenDKIM's data sets behind one interface, the way Postfix
 * keeps its lookup tables behind dict_open("type:name").
 *
 * The room tables/ holds the data sets (file:, refile:, csl:, dsn: on
 * PostgreSQL or MariaDB), the caches in front of them and the host lists.
 * It uses dkim/ only, and knows nothing of keys, configuration or mail.
 *
 * A data set maps keys to rows of fields. It is written in the
 * configuration as:
 *
 *	a.example, b.example	an inline list (also "csl:a,b")
 *	/path, file:PATH	one entry per line: the key, then the value
 *	refile:PATH		keys are '*' wildcard patterns, tried in file order
 *	dsn:BACKEND://...	a table in a database (dataset_dsn.c)
 *	ldap://HOST/BASE?ATTRS?SCOPE?FILTER	entries in a directory (dataset_ldap.c;
 *				also ldaps: and ldapi:)
 *
 * File data sets are read once and indexed, so a lookup costs the same for
 * ten entries as for a million. A data set is read-only once open: any
 * number of threads may look things up in it at once.
 */
#ifndef POSTDKIM_DATASET_H
#define POSTDKIM_DATASET_H

#include <stddef.h>

#define DATASET_FIELDS_MAX 8	/* most fields (columns) a row may have */

/* How a file data set's lines are read. */
enum dataset_kind {
	DATASET_LIST,		/* every word (comma or space separated) is a key */
	DATASET_MAP		/* the first word is the key, the rest of the line the value */
};

/* Flags for dataset_open. */
#define DATASET_ICASE	0x01	/* keys compare without case (domains, addresses) */
/*
 * Keys are domains, addresses or patterns of them: UTF-8 labels of their
 * domain part are turned into A-labels when a file or list is read
 * (RFC 8616), so "bücher.example" matches mail from xn--bcher-kva.example.
 * Database keys are looked up as they are: store A-labels there.
 */
#define DATASET_IDNA	0x02

/*
 * One row found. A file row has one field, its value as written (none for
 * a list, or a key alone on its line); a database row one field per
 * column. The pointers are valid only during the callback that receives
 * the row.
 */
struct dataset_row {
	const char *key;	/* as written: a pattern for refile: */
	size_t nfields;
	const char *field[DATASET_FIELDS_MAX];
	unsigned line;		/* line in the file, 0 when not from a file */
};

/* Receives rows; returns 0 for more, nonzero to stop. */
typedef int (*dataset_row_fn)(void *arg, const struct dataset_row *row);

struct dataset;

/*
 * Open the data set spec, written at cfgpath:cfgline (relative file names
 * are taken from cfgpath's directory). Returns 0, or -1 with a message in
 * err (without the configuration's file:line, which the caller adds).
 */
int dataset_open(struct dataset **out, const char *spec, enum dataset_kind kind,
    unsigned flags, const char *cfgpath, unsigned cfgline, char *err, size_t errsize);
void dataset_close(struct dataset *ds);

/* What to call the data set in messages: its file, or the DSN without password. */
const char *dataset_name(const struct dataset *ds);
/* Nonzero when the keys are wildcard patterns (refile:). */
int dataset_is_patterns(const struct dataset *ds);
/* Nonzero when the rows come from a file (their line numbers mean something). */
int dataset_is_file(const struct dataset *ds);

/*
 * The rows whose key is key (for refile:, whose pattern matches key), in
 * table order, each passed to fn until it returns nonzero. Returns how
 * many rows were passed, or -1 on a temporary failure (a database that
 * does not answer) with the reason in err.
 */
int dataset_lookup(struct dataset *ds, const char *key, dataset_row_fn fn, void *arg,
    char *err, size_t errsize);

/* Nonzero when key has a row; -1 on a temporary failure. */
int dataset_has(struct dataset *ds, const char *key, char *err, size_t errsize);

/*
 * Every row, in table order (for postdkim -n). Returns the number of rows,
 * or -1 with err when the data set cannot be read.
 */
long dataset_walk(struct dataset *ds, dataset_row_fn fn, void *arg, char *err,
    size_t errsize);

/*
 * Check that the data set can answer (postdkim -n): a database is reached
 * and its table and columns exist. Writes what was checked into info
 * (e.g. "PostgreSQL 15.4 on 127.0.0.1"). Returns 0, or -1 with err.
 */
int dataset_check(struct dataset *ds, char *info, size_t infosize, char *err,
    size_t errsize);

/*
 * Settings of the database (dsn:) data sets opened after they are set;
 * set them before opening, at configuration time. Each data set keeps a
 * cache of its answers (rows found and keys without rows), each answer
 * fresh for cache_ttl_ms: a row added, changed or deleted in the database
 * is seen within that time. When the database does not answer, a cached
 * answer is used however old it is ("stale"); a key never seen fails.
 */
struct dataset_db_settings {
	unsigned long cache_ttl_ms;	/* 0: no cache (every lookup asks the server) */
	size_t cache_size;		/* answers kept per data set */
	unsigned pool_size;		/* connections per data set, 1..16 */
	unsigned connect_timeout_ms;
	unsigned query_timeout_ms;
	unsigned backoff_max_ms;	/* longest wait between connection attempts */
};

#define DATASET_CACHE_TTL	60	/* seconds */
#define DATASET_CACHE_SIZE	20000

/* The defaults: a 60 s, 20,000-answer cache, 4 connections, 2 s timeouts. */
void dataset_db_defaults(struct dataset_db_settings *s);
void dataset_set_db_settings(const struct dataset_db_settings *s);
/* Shorthands for the two an administrator sets (DatabaseCacheTTL, DatabaseCacheSize). */
void dataset_set_cache_ttl(unsigned seconds);
void dataset_set_cache_size(size_t answers);

/* The settings that data sets opened now get (the defaults changed by the setters). */
void dataset_db_current(struct dataset_db_settings *s);

/*
 * The health check of the database and LDAP data sets open now: each
 * one's server asked again (past cache and back-off; blocks up to a query
 * timeout per data set), and whether every one answered its last query
 * (0), or -1 with the first that did not and why, on one line.
 */
void dataset_dsn_probe(void);
int dataset_dsn_health(char *why, size_t whysize);

/*
 * Settings of the LDAP data sets (ldap:, ldaps:, ldapi:) opened after they
 * are set: OpenDKIM's LDAP* keywords. Strings are copied; NULL: not set.
 */
struct dataset_ldap_settings {
	const char *bind_user;		/* LDAPBindUser: a DN, or the SASL identity */
	const char *bind_password;	/* LDAPBindPassword */
	const char *auth_mech;		/* LDAPAuthMechanism: NULL/"simple": a simple bind */
	const char *auth_user;		/* LDAPAuthUser: SASL authorization identity */
	const char *auth_name;		/* LDAPAuthName: SASL authentication name */
	const char *auth_realm;		/* LDAPAuthRealm */
	int use_tls;			/* LDAPUseTLS: StartTLS on ldap: */
	unsigned timeout_s;		/* LDAPTimeout: connect, bind, search */
	int ka_idle, ka_probes, ka_interval;	/* LDAPKeepalive*: -1 for the system's */
	int disable_cache;		/* LDAPDisableCache */
};

#define DATASET_LDAP_TIMEOUT 5		/* seconds, as OpenDKIM */

void dataset_ldap_defaults(struct dataset_ldap_settings *s);
/* -1 when out of memory. */
int dataset_set_ldap_settings(const struct dataset_ldap_settings *s);
/* The settings in force, strings owned by tables/ (valid until the next set). */
void dataset_ldap_current(struct dataset_ldap_settings *s);

/*
 * Close the data set's connections to its server (those in use close when
 * released); the next lookup connects again. The cache is kept. Does
 * nothing for file data sets.
 */
void dataset_disconnect(struct dataset *ds);

/*
 * A file name from a table or the configuration made absolute against the
 * directory of the file it was written in. Caller frees; NULL when out of
 * memory.
 */
char *dataset_path(const char *path, const char *relative_to);

#endif
