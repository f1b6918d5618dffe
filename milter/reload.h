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
#include "../keys/keycache.h"
#include "../config/config.h"

struct resolver;

struct runcfg {
	struct config *cfg;
	struct keycache *keys;		/* shared by every configuration */
	struct resolver *resolver;	/* when it verifies: its DNS, with its answer cache */
	unsigned refs;			/* guarded by the module's lock */
};

void runcfg_free(struct runcfg *rc);

/*
 * Ready a loaded configuration to run, before it is installed and with
 * the privileges of the moment: its resolver (the one in force is kept,
 * with its cached answers, when the DNS settings did not change); the key
 * cache, which outlives configurations (its limit follows KeyCacheSize,
 * keys whose files changed since the last configuration are read again at
 * their next use, and the keys that cannot wait, rules_warm, are read
 * now). Takes cfg on success; NULL with err (cfg still the caller's).
 */
struct runcfg *reload_prepare(struct config *cfg, char *err, size_t errsize);
/* Install a prepared configuration as the one in force (takes ownership). */
void reload_install(struct runcfg *rc);
/* A reference to the configuration in force; release it with reload_release. */
struct runcfg *reload_acquire(void);
void reload_release(struct runcfg *rc);
/* Drop the configuration in force (at exit, once connections are gone). */
void reload_shutdown(void);

#endif
