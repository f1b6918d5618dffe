/*
 * reload.h - the configuration in force, shared by all connections.
 *
 * A loaded configuration is wrapped in a reference-counted runcfg. Each
 * connection takes a reference when it starts and drops it when it closes,
 * so a reload (SIGHUP, SIGUSR1) swaps in a new configuration atomically:
 * new connections see the new one, running ones finish with the old one,
 * which is freed with its last reference.
 */
#ifndef POSTDKIM_RELOAD_H
#define POSTDKIM_RELOAD_H

#include <stddef.h>
#include "../tables/keycache.h"
#include "config.h"

struct runcfg {
	struct config *cfg;
	struct keycache *keys;	/* shared by every configuration */
	unsigned refs;		/* guarded by the module's lock */
};

/*
 * Wrap a loaded configuration (takes ownership), with the key cache it
 * signs from; NULL when out of memory.
 */
struct runcfg *runcfg_new(struct config *cfg, struct keycache *keys);
void runcfg_free(struct runcfg *rc);

/*
 * Ready the key cache for cfg before it is installed: the cache outlives
 * configurations; its limit follows KeyCacheSize, keys whose files changed
 * since the last configuration are read again at their next use, and the
 * keys that cannot wait (rules_warm) are read now, with the privileges of
 * the moment. 0, or -1 with err: cfg must not be installed.
 */
int reload_prepare(struct config *cfg, char *err, size_t errsize);
/* Install cfg as the configuration in force (takes ownership). */
int reload_install(struct config *cfg);
/* A reference to the configuration in force; release it with reload_release. */
struct runcfg *reload_acquire(void);
void reload_release(struct runcfg *rc);
/* Drop the configuration in force (at exit, once connections are gone). */
void reload_shutdown(void);

#endif
