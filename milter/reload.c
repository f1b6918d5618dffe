/*
 * reload.c - the reference-counted configuration in force, swapped under a
 * lock so that a reload never disturbs a connection in progress, and the
 * key cache that every configuration signs from. A reload also hands the
 * DNS resolver on when its settings did not change.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/config_verify.h"
#include "../verify/resolver.h"
#include "../verify/verifier.h"
#include "log.h"
#include "reload.h"

static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static struct runcfg *reload_current;
static struct keycache *reload_keys;

/* Free a runcfg whose last reference is gone (the key cache stays). */
void runcfg_free(struct runcfg *rc)
{
	if (rc == NULL)
		return;
	resolver_free(rc->resolver);
	config_free(rc->cfg);
	free(rc);
}

/* A key used although unsafe (RequireSafeKeys no). */
static void reload_key_warning(void *arg, const char *msg)
{
	(void)arg;
	log_msg(LOG_WARNING, "%s", msg);
}

/*
 * The resolver for cfg: a fresh one, unless the one in force was built
 * from the same settings and files (its cached answers stay valid).
 */
static int reload_resolver(struct runcfg *rc, char *err, size_t errsize)
{
	struct runcfg *cur;
	struct resolver *kept = NULL;

	if (!rc->cfg->verify->verify)
		return 0;
	if (verifier_resolver(rc->cfg->verify, &rc->resolver, err, errsize) != 0)
		return -1;
	if ((cur = reload_acquire()) != NULL) {
		kept = resolver_keep(cur->resolver, rc->resolver);
		reload_release(cur);
	}
	if (kept != NULL) {
		resolver_free(rc->resolver);
		rc->resolver = kept;
	}
	return 0;
}

/* Ready a configuration to be installed. */
struct runcfg *reload_prepare(struct config *cfg, char *err, size_t errsize)
{
	struct runcfg *rc;
	int reload = reload_keys != NULL;

	if ((rc = calloc(1, sizeof(*rc))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	rc->cfg = cfg;
	rc->refs = 1;
	if (reload_keys == NULL) {
		if ((reload_keys = keycache_new(cfg->key_cache_size, reload_key_warning, NULL)) ==
		    NULL) {
			snprintf(err, errsize, "out of memory");
			goto fail;
		}
	}
	rc->keys = reload_keys;
	/*
	 * A reload checks the KeyFile without touching the cache: if it fails,
	 * the configuration in force keeps the keys it has. The cache's new
	 * generation (files checked again at their next use) and its new size
	 * come with the installation.
	 */
	if (reload_resolver(rc, err, errsize) != 0 ||
	    rules_warm(cfg->rules, reload_keys, reload, err, errsize) != 0)
		goto fail;
	return rc;
fail:
	rc->cfg = NULL;		/* still the caller's */
	runcfg_free(rc);
	return NULL;
}

/* Install a prepared configuration as the one in force. */
void reload_install(struct runcfg *rc)
{
	struct runcfg *old;

	pthread_mutex_lock(&reload_lock);
	old = reload_current;
	reload_current = rc;
	if (old != NULL) {
		/* A reload: its key cache size, and every key file checked at next use. */
		keycache_set_max(rc->keys, rc->cfg->key_cache_size);
		keycache_new_generation(rc->keys);
		if (--old->refs > 0)
			old = NULL;
	}
	pthread_mutex_unlock(&reload_lock);
	runcfg_free(old);
}

/* Take a reference to the configuration in force. */
struct runcfg *reload_acquire(void)
{
	struct runcfg *rc;

	pthread_mutex_lock(&reload_lock);
	rc = reload_current;
	if (rc != NULL)
		rc->refs++;
	pthread_mutex_unlock(&reload_lock);
	return rc;
}

/* Drop a reference; the last one frees the configuration. */
void reload_release(struct runcfg *rc)
{
	int last;

	if (rc == NULL)
		return;
	pthread_mutex_lock(&reload_lock);
	last = --rc->refs == 0;
	pthread_mutex_unlock(&reload_lock);
	if (last)
		runcfg_free(rc);
}

/* Drop the configuration in force, and the keys once nothing uses them. */
void reload_shutdown(void)
{
	struct runcfg *rc;

	pthread_mutex_lock(&reload_lock);
	rc = reload_current;
	reload_current = NULL;
	pthread_mutex_unlock(&reload_lock);
	reload_release(rc);
	/* Keys in use live on through their references; the cache can go. */
	keycache_free(reload_keys);
	reload_keys = NULL;
}
