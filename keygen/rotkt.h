/*
 * rotkt.h - the KeyTable dkimrotate reads and switches keys in, wherever
 * it lives: a file (file:, refile: or a bare path; rottable.h), a
 * PostgreSQL table (dsn:pgsql://...; rotpg.c) or a MariaDB/MySQL table
 * (dsn:mysql://...; rotmy.c), whose rows change in one transaction. All are
 * streamed, never held whole.
 */
#ifndef DKIMROTATE_ROTKT_H
#define DKIMROTATE_ROTKT_H

#include <stddef.h>

#include "../tables/dsn.h"
#include "../tables/memtable.h"
#include "rottable.h"

struct rotkt {
	int is_dsn;
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
 * [:algorithm]", indexed) their new values, all or none: one atomic file
 * rewrite, or one transaction. *changed counts them. 0, or -1 with err.
 */
int rotkt_rewrite(struct rotkt *kt, const struct memtable *changes, size_t *changed,
    char *err, size_t errsize);

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

/* Split "domain:selector:key[:algorithm]" (in place) into e; 0, or -1. */
int rotkt_split_value(char *v, struct rotentry *e);

#endif
