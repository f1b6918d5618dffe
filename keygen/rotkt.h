/*
 * rotkt.h - the KeyTable dkimrotate reads and switches keys in, wherever
 * it lives: a file (file:, refile: or a bare path; rottable.h), a
 * PostgreSQL or MariaDB/MySQL table (dsn:pgsql://..., rotpg.c; dsn:mysql://...,
 * rotmy.c), whose rows change in one transaction, or entries in LDAP (ldap:,
 * ldaps:, ldapi:; rotldap.c), changed one by one. All are streamed, never
 * held whole.
 */
#ifndef DKIMROTATE_ROTKT_H
#define DKIMROTATE_ROTKT_H

#include <stddef.h>

#include "../tables/dsn.h"
#include "../tables/memtable.h"
#include "rottable.h"

struct rotldap;

struct rotkt {
	int is_dsn;
	struct rotldap *ldap;	/* an LDAP KeyTable (rotldap.c), or NULL */
	char path[4096];	/* the file */
	struct dsn dsn;		/* the database table */
	void *conn;		/* its connection (PGconn or MYSQL), once made */
	char name[512];		/* for messages: the path, or the DSN without password */
};

/* Open the KeyTable of specification spec; 0, or -1 with err (never a password). */
int rotkt_open(struct rotkt *kt, const char *spec, char *err, size_t errsize);
void rotkt_close(struct rotkt *kt);
/* Every entry, in order; 0, 1 when fn stopped the walk, -1 with err. */
int rotkt_walk(struct rotkt *kt, rottable_fn fn, void *arg, char *err, size_t errsize);
/*
 * Give the entries named in changes (entry name -> "domain:selector:key
 * [:algorithm]", indexed) their new values: all or none in a file (one
 * atomic rewrite) or PostgreSQL (one transaction); one by one in LDAP,
 * which has no transaction over several entries. applied (changes->n
 * bytes, zeroed by the caller) gets 1 for each change made: on -1 (with
 * err) some may have been, in LDAP. *changed counts the entries changed.
 */
int rotkt_rewrite(struct rotkt *kt, const struct memtable *changes, size_t *changed,
    unsigned char *applied, char *err, size_t errsize);

/* The PostgreSQL side (rotpg.c), when built with libpq. */
int rotpg_walk(struct rotkt *kt, rottable_fn fn, void *arg, char *err, size_t errsize);
int rotpg_rewrite(struct rotkt *kt, const struct memtable *changes, size_t *changed,
    char *err, size_t errsize);
void rotpg_close(struct rotkt *kt);
/* The MariaDB/MySQL side (rotmy.c), when built with MariaDB Connector/C. */
int rotmy_walk(struct rotkt *kt, rottable_fn fn, void *arg, char *err, size_t errsize);
int rotmy_rewrite(struct rotkt *kt, const struct memtable *changes, size_t *changed,
    char *err, size_t errsize);
void rotmy_close(struct rotkt *kt);

/* The LDAP side (rotldap.c), when built with libldap. */
int rotldap_open(struct rotkt *kt, const char *spec, char *err, size_t errsize);
int rotldap_walk(struct rotkt *kt, rottable_fn fn, void *arg, char *err, size_t errsize);
int rotldap_rewrite(struct rotkt *kt, const struct memtable *changes, size_t *changed,
    unsigned char *applied, char *err, size_t errsize);
void rotldap_close(struct rotkt *kt);

/*
 * "UPDATE table SET col = P, ... WHERE keycol = P" for a database
 * KeyTable: the selector, key (and algorithm) columns, or the one data
 * column (the domain column stays); identifiers quoted with quote (lower:
 * folded as PostgreSQL does); P is "?" or, with mark "$", $1, $2...
 * Parameters before the key's: the number returned.
 */
size_t rotkt_update_sql(const struct rotkt *kt, char quote, int lower, const char *mark,
    char *sql, size_t size);

/*
 * The parameters of one change's UPDATE in a database table (rotpg.c,
 * rotmy.c): the new value r->field[0] whole (one data column), or its
 * selector, key and algorithm (NULL when none), then the entry's name at
 * params[np]; v (vsize bytes) holds the split copy. 0, or -1 when the
 * value does not split (the change is skipped).
 */
int rotkt_update_params(const struct rotkt *kt, const struct dataset_row *r, size_t np,
    char *v, size_t vsize, const char **params);

/* Split "domain:selector:key[:algorithm]" (in place) into e; 0, or -1. */
int rotkt_split_value(char *v, struct rotentry *e);

#endif
