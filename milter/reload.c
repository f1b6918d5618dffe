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

#include "config_verify.h"
#include "log.h"
#include "reload.h"

static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static struct runcfg *reload_current;
static struct keycache *reload_keys;

/* Wrap a loaded configuration. */
struct runcfg *runcfg_new(struct config *cfg, struct keycache *keys)
{
	struct runcfg *rc;

	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return NULL;
	rc->cfg = cfg;
	rc->keys = keys;
	rc->refs = 1;
	return rc;
}

/* Free a runcfg whose last reference is gone (the key cache stays). */
void runcfg_free(struct runcfg *rc)
{
	if (rc == NULL)
		return;
	config_free(rc->cfg);
	free(rc);
}

/* A key used although unsafe (RequireSafeKeys no). */
static void reload_key_warning(void *arg, const char *msg)
{
	(void)arg;
	log_msg(LOG_WARNING, "%s", msg);
}

/* Ready the key cache for a configuration about to be installed. */
int reload_prepare(struct config *cfg, char *err, size_t errsize)
{
	struct runcfg *cur;

	if (reload_keys == NULL) {
		if ((reload_keys = keycache_new(cfg->key_cache_size, reload_key_warning, NULL)) ==
		    NULL) {
			snprintf(err, errsize, "out of memory");
			return -1;
		}
	} else {
		keycache_set_max(reload_keys, cfg->key_cache_size);
		keycache_new_generation(reload_keys);
	}
	/* The DNS answers cached so far stay valid unless the DNS settings changed. */
	if ((cur = reload_acquire()) != NULL) {
		config_verify_keep(cfg->verify, cur->cfg->verify);
		reload_release(cur);
	}
	return rules_warm(cfg->rules, reload_keys, err, errsize);
}

/* Install a configuration as the one in force. */
int reload_install(struct config *cfg)
{
	struct runcfg *rc, *old;

	if (reload_keys == NULL || (rc = runcfg_new(cfg, reload_keys)) == NULL)
		return -1;
	pthread_mutex_lock(&reload_lock);
	old = reload_current;
	reload_current = rc;
	if (old != NULL && --old->refs > 0)
		old = NULL;
	pthread_mutex_unlock(&reload_lock);
	runcfg_free(old);
	return 0;
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
