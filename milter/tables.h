/*
 * tables.h - OpenDKIM-style data sets (Domain, InternalHosts, KeyTable,
 * SigningTable, ...), the private keys they name, and the signing rules
 * built from KeyTable + SigningTable.
 *
 * A data set is written in the configuration as an inline list
 * ("a.example, b.example" or "csl:a,b"), an absolute file path, "file:PATH"
 * or "refile:PATH" (a file of wildcard patterns). Relative file: paths are
 * taken from the configuration file's directory.
 */
#ifndef POSTDKIM_TABLES_H
#define POSTDKIM_TABLES_H

#include <stddef.h>
#include <sys/types.h>
#include "../dkim/sign.h"
#include "config.h"

#define TABLE_LINE_MAX 4096	/* longest line accepted in a table file */

struct table_entry {
	char *key;
	char *value;		/* "" when the line has one word */
	unsigned line;		/* line in path */
};

struct table {
	char *path;		/* the file, or the configuration file for inline lists */
	int is_file;
	int refile;		/* refile: keys are wildcard patterns */
	struct table_entry *v;
	size_t n;
};

/* How a table's lines are read. */
enum table_mode {
	TABLE_LIST,		/* every word (comma or space separated) is an entry */
	TABLE_MAP		/* first word is the key, the rest of the line the value */
};

/*
 * Load the data set spec, written at cfgpath:cfgline. A TABLE_MAP data set
 * must be a file. On failure returns -1 and a message (without the
 * configuration's file:line, which the caller adds).
 */
int table_load(struct table *t, const char *spec, enum table_mode mode,
    const char *cfgpath, unsigned cfgline, char *err, size_t errsize);
void table_free(struct table *t);

/*
 * Nonzero when s is a domain name (or selector) fit for d= or s=: labels of
 * 1 to 63 letters, digits, '-' or '_', separated by single dots.
 */
int tables_name_ok(const char *s);

/* Private keys loaded once each, checked for safety first. */
struct key_cache_entry {
	char *path;		/* resolved path */
	dkim_key *key;
};

struct key_cache {
	struct key_cache_entry *v;
	size_t n;
	uid_t uid;		/* run-time user: may own keys besides root */
	int require_safe;	/* unsafe key: error (else warning) */
	config_warn_fn warn;
	void *warn_arg;
};

/*
 * The key in file path, loaded on first use. Returns 0, or -1 with a
 * message naming the file.
 */
int key_cache_get(struct key_cache *c, const char *path, dkim_key **out,
    char *err, size_t errsize);
void key_cache_free(struct key_cache *c);

/*
 * Build cfg->rules from a KeyTable and a SigningTable: every SigningTable
 * entry must name a KeyTable entry, every referenced key must load, every
 * signer must build. tmpl gives the settings shared by all signers
 * (canonicalization, header lists, TTL). Errors name the table file and line.
 */
int tables_build_rules(struct config *cfg, const struct table *keytable,
    const struct table *signtable, const dkim_signer_opts *tmpl,
    struct key_cache *kc, char *err, size_t errsize);

/* Append one rule (pattern copied; signer owned by cfg from now on). */
int tables_add_rule(struct config *cfg, const char *pattern, int is_glob,
    const char *keyname, dkim_signer *signer);

#endif
