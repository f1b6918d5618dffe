/*
 * dataset_ldapcfg.c - the daemon's side of ldap:, ldaps: and ldapi: data
 * sets: the LDAP* settings in force, and opening a data set through the
 * ldap module (dataset_ldap.c, loaded by dsn_module.c), which reads the
 * URLs with libldap's own parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_impl.h"
#include "dsn_backend.h"
#include "dsn_module.h"

static struct dataset_ldap_settings ldap_settings = {
	NULL, NULL, NULL, NULL, NULL, NULL, 0, DATASET_LDAP_TIMEOUT, -1, -1, -1, 0
};

/* The defaults: anonymous simple bind, no StartTLS, 5 s, the cache on. */
void
dataset_ldap_defaults(struct dataset_ldap_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->timeout_s = DATASET_LDAP_TIMEOUT;
	s->ka_idle = s->ka_probes = s->ka_interval = -1;
}

/* Free a string that may be a password. */
static void
ldapcfg_wipe(char *p)
{
	if (p != NULL) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

/* Keep the settings for data sets opened from now on. */
int
dataset_set_ldap_settings(const struct dataset_ldap_settings *s)
{
	static char *owned[6];
	const char *in[6] = { s->bind_user, s->bind_password, s->auth_mech, s->auth_user,
	    s->auth_name, s->auth_realm };
	char *copy[6];
	int nomem = 0;
	size_t i;

	for (i = 0; i < 6; i++) {
		copy[i] = in[i] != NULL ? strdup(in[i]) : NULL;
		nomem |= in[i] != NULL && copy[i] == NULL;
	}
	if (nomem) {
		for (i = 0; i < 6; i++)
			ldapcfg_wipe(copy[i]);
		return -1;
	}
	for (i = 0; i < 6; i++) {
		ldapcfg_wipe(owned[i]);
		owned[i] = copy[i];
	}
	ldap_settings = *s;
	ldap_settings.bind_user = owned[0];
	ldap_settings.bind_password = owned[1];
	ldap_settings.auth_mech = owned[2];
	ldap_settings.auth_user = owned[3];
	ldap_settings.auth_name = owned[4];
	ldap_settings.auth_realm = owned[5];
	return 0;
}

/* The settings in force (strings owned here): dkimrotate binds as postdkim does. */
void
dataset_ldap_current(struct dataset_ldap_settings *s)
{
	*s = ldap_settings;
}

/* ldap://... [ldap://...] */
int
dataset_ldap_open(struct dataset *ds, const char *urls, char *err, size_t errsize)
{
	const struct dsn_backend *be;
	struct dataset_db_settings set;
	struct dsn d;

	if ((be = dsn_module("ldap", err, errsize)) == NULL)
		return -1;
	memset(&d, 0, sizeof(d));
	if (be->make(&d, urls, &ldap_settings, err, errsize) < 0) {
		dsn_free(&d);
		return -1;
	}
	dataset_db_current(&set);
	set.connect_timeout_ms = set.query_timeout_ms = ldap_settings.timeout_s * 1000;
	if (ldap_settings.disable_cache)
		set.cache_ttl_ms = 0;
	return dataset_dsn_attach(ds, &d, be, &set, err, errsize);
}
