/*
 * config_ldap.c - OpenDKIM's LDAP* keywords: how ldap: data sets connect
 * and bind. Read before any data set is opened, and set for all of them
 * (tables/dataset_ldap.c). LDAPBindPassword is never quoted in a message.
 */
#include <stdio.h>
#include <string.h>

#include "config_impl.h"

/* A number of seconds, -1 when not set. */
static int
ka_setting(struct load *ld, enum kw k, int *out)
{
	unsigned long n;

	*out = -1;
	if (ld->set[k].value == NULL)
		return 0;
	if (config_number(KW(k), 0, 86400, "a number", &n) < 0)
		return -1;
	*out = (int)n;
	return 0;
}

/* Hand the LDAP* settings to tables/. */
int
config_ldap(struct load *ld)
{
	struct dataset_ldap_settings s;
	unsigned long n;

	dataset_ldap_defaults(&s);
	s.bind_user = ld->set[K_LDAPBINDUSER].value;
	s.bind_password = ld->set[K_LDAPBINDPW].value;
	s.auth_mech = ld->set[K_LDAPAUTHMECH].value;
	s.auth_user = ld->set[K_LDAPAUTHUSER].value;
	s.auth_name = ld->set[K_LDAPAUTHNAME].value;
	s.auth_realm = ld->set[K_LDAPAUTHREALM].value;
	if (config_bool(KW(K_LDAPUSETLS), &s.use_tls) < 0 ||
	    config_bool(KW(K_LDAPNOCACHE), &s.disable_cache) < 0)
		return -1;
	n = s.timeout_s;
	if (config_number(KW(K_LDAPTIMEOUT), 1, 300, "a number of seconds", &n) < 0)
		return -1;
	s.timeout_s = (unsigned)n;
	if (ka_setting(ld, K_LDAPKAIDLE, &s.ka_idle) < 0 ||
	    ka_setting(ld, K_LDAPKAPROBES, &s.ka_probes) < 0 ||
	    ka_setting(ld, K_LDAPKAINTERVAL, &s.ka_interval) < 0)
		return -1;
	if (dataset_set_ldap_settings(&s) < 0)
		return config_kwerr(ld, K_LDAPBINDUSER, "out of memory");
	return 0;
}
