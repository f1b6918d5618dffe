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
#include "config.h"

struct runcfg {
	struct config *cfg;
	/* Every distinct signer of the configuration, for header filtering. */
	const dkim_signer **signers;
	size_t nsigners;
	unsigned refs;		/* guarded by the module's lock */
};

/* Wrap a loaded configuration (takes ownership); NULL when out of memory. */
struct runcfg *runcfg_new(struct config *cfg);
/* Nonzero when some signer of the configuration may sign this field. */
int runcfg_wants(const struct runcfg *rc, const char *name, size_t nlen);

/* Install cfg as the configuration in force (takes ownership). */
int reload_install(struct config *cfg);
/* A reference to the configuration in force; release it with reload_release. */
struct runcfg *reload_acquire(void);
void reload_release(struct runcfg *rc);
/* Drop the configuration in force (at exit, once connections are gone). */
void reload_shutdown(void);

#endif
