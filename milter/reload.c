/*
 * reload.c - the reference-counted configuration in force, swapped under a
 * lock so that a reload never disturbs a connection in progress.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../dkim/header.h"
#include "reload.h"

static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static struct runcfg *reload_current;

/* Order signers by address, to drop duplicates. */
static int runcfg_cmp(const void *a, const void *b)
{
	const dkim_signer *x = *(const dkim_signer *const *)a;
	const dkim_signer *y = *(const dkim_signer *const *)b;

	return (x > y) - (x < y);
}

/* Wrap a loaded configuration. */
struct runcfg *runcfg_new(struct config *cfg)
{
	struct runcfg *rc;
	size_t i, n;

	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return NULL;
	rc->cfg = cfg;
	rc->refs = 1;
	if (cfg->nrules > 0) {
		if ((rc->signers = calloc(cfg->nrules, sizeof(*rc->signers))) == NULL) {
			free(rc);
			return NULL;
		}
		for (i = 0; i < cfg->nrules; i++)
			rc->signers[i] = cfg->rules[i].signer;
		/*
		 * Many SigningTable lines usually share a few signers: keep each
		 * once, so that filtering a header asks each signer once.
		 */
		qsort(rc->signers, cfg->nrules, sizeof(*rc->signers), runcfg_cmp);
		for (i = 0, n = 0; i < cfg->nrules; i++)
			if (rc->signers[i] != NULL && (n == 0 || rc->signers[n - 1] != rc->signers[i]))
				rc->signers[n++] = rc->signers[i];
		rc->nsigners = n;
	}
	return rc;
}

/* Nonzero when some signer may sign a field of that name. */
int runcfg_wants(const struct runcfg *rc, const char *name, size_t nlen)
{
	size_t i;

	/* The From field decides policy even when no signer lists it. */
	if (nlen == 4 && dkim_header_name_is(name, nlen, "From"))
		return 1;
	for (i = 0; i < rc->nsigners; i++)
		if (dkim_signer_wants(rc->signers[i], name, nlen))
			return 1;
	return 0;
}

/* Free a runcfg whose last reference is gone. */
static void runcfg_free(struct runcfg *rc)
{
	config_free(rc->cfg);
	free(rc->signers);
	free(rc);
}

/* Install a configuration as the one in force. */
int reload_install(struct config *cfg)
{
	struct runcfg *rc, *old;

	if ((rc = runcfg_new(cfg)) == NULL)
		return -1;
	pthread_mutex_lock(&reload_lock);
	old = reload_current;
	reload_current = rc;
	if (old != NULL && --old->refs > 0)
		old = NULL;
	pthread_mutex_unlock(&reload_lock);
	if (old != NULL)
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

/* Drop the configuration in force. */
void reload_shutdown(void)
{
	struct runcfg *rc;

	pthread_mutex_lock(&reload_lock);
	rc = reload_current;
	reload_current = NULL;
	pthread_mutex_unlock(&reload_lock);
	reload_release(rc);
}
