/*
 * keycache.h - private keys loaded on first use, kept in a bounded cache
 * shared by every connection and every configuration.
 *
 * A key is found by where it comes from: a file path, or (for keys written
 * in a table or a database column) the text itself. Entries are
 * reference-counted through the keys: a message holds its key until it is
 * done, whatever the cache evicts or a reload drops meanwhile. When the
 * cache is full the least recently used key goes.
 *
 * A reload does not empty the cache: it starts a new generation, and each
 * file key is checked against its file on its next use. A key whose file
 * is unchanged (device, inode, size, modification and change times) is
 * kept; a changed one is loaded again, so a rotated key is picked up by
 * the next reload. Failures are cached too (for a minute, or until the next
 * reload), so a broken key costs one attempt, not one per message.
 */
#ifndef POSTDKIM_KEYCACHE_H
#define POSTDKIM_KEYCACHE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "../dkim/key.h"
#include "../tables/stats.h"

#define KEYCACHE_DEFAULT_MAX 4096	/* keys kept at most, by default */
#define KEYCACHE_RETRY_SECONDS 60	/* a failed key is tried again after this */

struct keycache;

/* What loading a key file needs to know. */
struct keycache_policy {
	uid_t uid;		/* run-time user: may own keys besides root */
	int require_safe;	/* an unsafe key is an error (else a warning) */
	gid_t gid;		/* run-time group: may read keys */
};

/* Receives warnings (a key used although unsafe). */
typedef void (*keycache_warn_fn)(void *arg, const char *msg);

/* A cache of at most max keys, warnings to warn (may be NULL); NULL when out of memory. */
struct keycache *keycache_new(size_t max, keycache_warn_fn warn, void *warn_arg);
void keycache_free(struct keycache *kc);
/* Change the limit (a reload); extra keys go at once. */
void keycache_set_max(struct keycache *kc, size_t max);

/*
 * The key in file path: 0 and *out (a reference: dkim_key_free it), or -1
 * with "path: reason" in err.
 */
int keycache_file(struct keycache *kc, const char *path, const struct keycache_policy *pol,
    dkim_key **out, char *err, size_t errsize);
/* The key written in text (PEM, or base64 of an Ed25519 seed); as keycache_file. */
int keycache_text(struct keycache *kc, const char *text, size_t len, dkim_key **out,
    char *err, size_t errsize);
/* The same, with why a key failed (missing, unsafe, unreadable) in *reason. */
int keycache_file_r(struct keycache *kc, const char *path, const struct keycache_policy *pol,
    dkim_key **out, char *err, size_t errsize, enum stats_reason *reason);
/*
 * Whether the key in file path can be used now (a reload checks the
 * KeyFile before it is installed): the file is checked whatever the cache
 * holds, and the cache is left as it is, so that a reload that fails does
 * not take a working key away from the configuration in force. As
 * keycache_file otherwise.
 */
int keycache_file_probe(struct keycache *kc, const char *path, const struct keycache_policy *pol,
    dkim_key **out, char *err, size_t errsize);
int keycache_text_r(struct keycache *kc, const char *text, size_t len, dkim_key **out,
    char *err, size_t errsize, enum stats_reason *reason);

/*
 * The ages of the key files held, from their modification times: the
 * oldest (-1: none) and how many are older than interval seconds (> 0).
 */
void keycache_ages(struct keycache *kc, time_t now, long long interval, long long *oldest,
    long long *overdue);

/*
 * A reload installed: check every file key against its file at its next
 * use. Called once the new configuration is in force, not before: until
 * then the keys are the old configuration's.
 */
void keycache_new_generation(struct keycache *kc);

/* Counters, for tests and the log. */
struct keycache_stats {
	size_t entries;		/* keys and cached failures held */
	unsigned long loads;	/* keys read and decoded */
	unsigned long hits;
	unsigned long evictions;
};
void keycache_stats(struct keycache *kc, struct keycache_stats *st);

#endif
