/*
 * config_verify.c - Mode and the verification keywords of postdkim.conf.
 *
 * Defaults are OpenDKIM's: Mode sv, MaximumSignaturesToVerify 3,
 * MinimumKeyBits 1024, no Minimum, DNSTimeout 5 s, BogusKey fail,
 * On-DNSError and On-Security tempfail, the other On-* accept. The
 * resolver these settings ask for is verify/'s to build (verifier_resolver),
 * as root at start-up.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../dkim/vmsg.h"
#include "config_impl.h"

#define DNS_TIMEOUT_MAX 120	/* seconds: DNSTimeout 0 and larger values */

const char *const config_vkw_names[VK_COUNT] = {
	"AlwaysAddARHeader", "AuthservID", "AuthservIDWithJobID", "BogusKey", "DNSTimeout",
	"KeepAuthResults", "MaximumSignaturesToVerify", "Minimum", "MinimumKeyBits",
	"Nameservers", "On-BadSignature", "On-DNSError", "On-KeyNotFound", "On-NoSignature",
	"On-Security", "QueryCache", "RemoveARAll", "RemoveARFrom", "TrustAnchorFile",
	"UnprotectedKey", "ResolverConfiguration", "LogResults", "ClockDrift",
};

/* Index of a verification keyword. */
size_t
config_vkw_index(const char *word)
{
	size_t i;

	for (i = 0; i < VK_COUNT; i++)
		if (strcasecmp(word, config_vkw_names[i]) == 0)
			break;
	return i;
}

/* Record a verification keyword's value (the later one counts, with a warning). */
int
config_vkw_set(struct load *ld, size_t i, const char *file, unsigned line, const char *value)
{
	struct setting *st = &ld->vset[i];

	if (*value == '\0') {
		snprintf(ld->err, ld->errsize, "%s:%u: %s: missing value", file, line,
		    config_vkw_names[i]);
		return -1;
	}
	if (st->value != NULL) {
		config_warnf(ld, "%s:%u: %s repeats %s:%u; the later one counts", file, line,
		    config_vkw_names[i], st->file, st->line);
		free(st->value);
	}
	if ((st->value = strdup(value)) == NULL) {
		snprintf(ld->err, ld->errsize, "out of memory");
		return -1;
	}
	st->file = file;
	st->line = line;
	return 0;
}

/* Record "FILE:LINE: Keyword: message" for a verification keyword; returns -1. */
static int vkw_err(struct load *ld, enum vkw k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
vkw_err(struct load *ld, enum vkw k, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return config_seterr(ld, &ld->vset[k], config_vkw_names[k], "%s", msg);
}

/* The load, setting and name of verification keyword k, for config_value.c. */
#define VKW(k) ld, &ld->vset[k], config_vkw_names[k]

/* UnprotectedKey / BogusKey: none, neutral or fail. */
static int
vkw_keysec(struct load *ld, enum vkw k, enum keysec *out)
{
	const char *v = ld->vset[k].value;

	if (v == NULL)
		return 0;
	if (strcasecmp(v, "none") == 0)
		*out = KEYSEC_NONE;
	else if (strcasecmp(v, "neutral") == 0)
		*out = KEYSEC_NEUTRAL;
	else if (strcasecmp(v, "fail") == 0)
		*out = KEYSEC_FAIL;
	else
		return vkw_err(ld, k, "'%s' is not none, neutral or fail", v);
	return 0;
}

/*
 * Minimum, OpenDKIM's syntax: N (at least N bytes of the body signed, or
 * all of a shorter one), N% (at least N percent) or N+ (at most N bytes
 * unsigned after l=).
 */
static int
vkw_minimum(struct load *ld, struct verify_cfg *v)
{
	const char *s = ld->vset[VK_MINIMUM].value;
	unsigned long long n;
	char *end;

	if (s == NULL)
		return 0;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (isdigit((unsigned char)*s) && errno == 0) {
		v->min_body = n;
		if (*end == '\0')
			v->min_body_kind = DKIM_MINBODY_BYTES;
		else if (strcmp(end, "%") == 0 && n <= 100)
			v->min_body_kind = DKIM_MINBODY_PERCENT;
		else if (strcmp(end, "+") == 0)
			v->min_body_kind = DKIM_MINBODY_APPENDED;
		if (v->min_body_kind != DKIM_MINBODY_NONE)
			return 0;
	}
	return vkw_err(ld, VK_MINIMUM, "'%s' is not N (bytes signed), N%% (percent of the body "
	    "signed, at most 100) or N+ (bytes left unsigned)", s);
}

/* A comma- or space-separated list into a NULL-terminated array. */
static int
vkw_list(struct load *ld, enum vkw k, char ***out, size_t *count)
{
	const char *v = ld->vset[k].value, *p, *e;
	char **list;
	size_t n = 0, cap;

	if (v == NULL)
		return 0;
	cap = strlen(v) / 2 + 2;
	if ((list = calloc(cap, sizeof(*list))) == NULL)
		return vkw_err(ld, k, "out of memory");
	for (p = v; *p;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			break;
		e = p + strcspn(p, ", \t");
		if ((list[n] = strndup(p, (size_t)(e - p))) == NULL) {
			config_strv_free(list);
			return vkw_err(ld, k, "out of memory");
		}
		n++;
		p = e;
	}
	*out = list;
	*count = n;
	return 0;
}

/* Mode letters (already checked by config_mode). */
static void
verify_mode(struct load *ld, struct verify_cfg *v)
{
	const char *m = ld->set[K_MODE].value;

	if (m == NULL) {	/* OpenDKIM's default */
		v->sign = v->verify = 1;
		return;
	}
	v->sign = strchr(m, 's') != NULL || strchr(m, 'S') != NULL;
	v->verify = strchr(m, 'v') != NULL || strchr(m, 'V') != NULL;
}

/* Remember where each keyword was set, as "FILE:LINE: Keyword". */
static int
vkw_where(struct load *ld, struct verify_cfg *v)
{
	const struct setting *st;
	size_t k;

	for (k = 0; k < VK_COUNT; k++) {
		st = &ld->vset[k];
		if (st->value == NULL || st->file == NULL)
			continue;
		if (asprintf(&v->where[k], "%s:%u: %s", st->file, st->line,
		    config_vkw_names[k]) < 0) {
			v->where[k] = NULL;
			return vkw_err(ld, (enum vkw)k, "out of memory");
		}
	}
	return 0;
}

/* Interpret Mode and the verification keywords. */
int
config_verify(struct load *ld, struct config *cfg)
{
	static const enum vkw actions[] = { VK_ONBADSIG, VK_ONDNSERR, VK_ONKEYNOTFOUND,
	    VK_ONNOSIG, VK_ONSECURITY };
	enum config_action *adst[5];
	struct verify_cfg *v;
	unsigned long n;
	const char *mk;
	char host[256];
	int cache = 1;
	size_t i;

	if ((v = calloc(1, sizeof(*v))) == NULL) {
		snprintf(ld->err, ld->errsize, "out of memory");
		return -1;
	}
	cfg->verify = v;
	verify_mode(ld, v);
	if (cfg->rules == NULL)		/* no key: verifying only (config_sign.c) */
		v->sign = 0;
	v->max_sigs = 3;
	v->min_key_bits = DKIM_RSA_MIN_BITS;
	v->dns_timeout_ms = 5000;
	v->unprotected = KEYSEC_NONE;
	v->bogus = KEYSEC_FAIL;
	v->on_badsig = v->on_keynotfound = v->on_nosig = ACTION_ACCEPT;
	v->on_dnserr = v->on_security = ACTION_TEMPFAIL;
	if (config_bool(VKW(VK_ALWAYSADDAR), &v->always_add_ar) < 0 ||
	    config_bool(VKW(VK_AUTHSERVJOBID), &v->authserv_jobid) < 0 ||
	    config_bool(VKW(VK_KEEPAR), &v->keep_ar) < 0 ||
	    config_bool(VKW(VK_REMOVEARALL), &v->remove_ar_all) < 0 ||
	    config_bool(VKW(VK_QUERYCACHE), &cache) < 0 ||
	    config_bool(VKW(VK_LOGRESULTS), &v->log_results) < 0 ||
	    vkw_keysec(ld, VK_UNPROTECTED, &v->unprotected) < 0 ||
	    vkw_keysec(ld, VK_BOGUSKEY, &v->bogus) < 0 || vkw_minimum(ld, v) < 0)
		return -1;
	/* QueryCache: libunbound's cache, honouring TTLs, is always on. */
	adst[0] = &v->on_badsig;
	adst[1] = &v->on_dnserr;
	adst[2] = &v->on_keynotfound;
	adst[3] = &v->on_nosig;
	adst[4] = &v->on_security;
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (config_action(VKW(actions[i]), adst[i]) < 0)
			return -1;
	n = v->max_sigs;
	if (config_number(VKW(VK_MAXSIGS), 0, DKIM_VMSG_SIGS_MAX, "a number", &n) < 0)
		return -1;
	v->max_sigs = n;
	/* ClockDrift: OpenDKIM's tolerance on x=, 300 s unless set. */
	v->clock_drift = 300;
	if (config_number(VKW(VK_CLOCKDRIFT), 0, 31536000, "a number of seconds",
	    &v->clock_drift) < 0)
		return -1;
	n = (unsigned long)v->min_key_bits;
	if (config_number(VKW(VK_MINKEYBITS), DKIM_RSA_MIN_BITS, 16384, "a number", &n) < 0) {
		mk = ld->vset[VK_MINKEYBITS].value;
		if (strspn(mk, "0123456789") == strlen(mk) && strlen(mk) < 5)
			vkw_err(ld, VK_MINKEYBITS, "%s is under %d: RSA keys that small must not "
			    "pass (RFC 8301)", mk, DKIM_RSA_MIN_BITS);
		return -1;
	}
	v->min_key_bits = (int)n;
	/*
	 * OpenDKIM takes any number of seconds, 0 for no limit of its own.
	 * A message waits at most DNS_TIMEOUT_MAX s here: beyond that Postfix
	 * (milter_content_timeout) would give up on the filter first.
	 */
	n = 5;
	if (config_number(VKW(VK_DNSTIMEOUT), 0, 1000000, "a number of seconds", &n) < 0)
		return -1;
	if (n > DNS_TIMEOUT_MAX)
		config_warnf(ld, "%s:%u: DNSTimeout %lu lowered to %u seconds",
		    ld->vset[VK_DNSTIMEOUT].file, ld->vset[VK_DNSTIMEOUT].line, n, DNS_TIMEOUT_MAX);
	if (n == 0 || n > DNS_TIMEOUT_MAX)
		n = DNS_TIMEOUT_MAX;
	v->dns_timeout_ms = (unsigned)n * 1000;
	if (vkw_list(ld, VK_NAMESERVERS, &v->nameservers, &v->nnameservers) < 0 ||
	    vkw_list(ld, VK_REMOVEARFROM, &v->remove_ar_from, &v->nremove_ar_from) < 0)
		return -1;
	if (ld->vset[VK_TRUSTANCHOR].value != NULL &&
	    (v->trust_anchor_file = strdup(ld->vset[VK_TRUSTANCHOR].value)) == NULL)
		return vkw_err(ld, VK_TRUSTANCHOR, "out of memory");
	if (v->trust_anchor_file != NULL && access(v->trust_anchor_file, R_OK) != 0)
		return vkw_err(ld, VK_TRUSTANCHOR, "%s: %s", v->trust_anchor_file, strerror(errno));
	/* ResolverConfiguration: libunbound reads it; verify/ checks it with libunbound. */
	if (ld->vset[VK_RESOLVERCONF].value != NULL &&
	    (v->resolver_config = strdup(ld->vset[VK_RESOLVERCONF].value)) == NULL)
		return vkw_err(ld, VK_RESOLVERCONF, "out of memory");
	if (v->resolver_config != NULL && access(v->resolver_config, R_OK) != 0)
		return vkw_err(ld, VK_RESOLVERCONF, "%s: %s", v->resolver_config, strerror(errno));
	if (ld->vset[VK_AUTHSERVID].value != NULL) {
		const char *id = ld->vset[VK_AUTHSERVID].value;

		if (strcasecmp(id, "HOSTNAME") == 0) {
			if (gethostname(host, sizeof(host)) != 0)
				return vkw_err(ld, VK_AUTHSERVID, "gethostname: %s", strerror(errno));
			host[sizeof(host) - 1] = '\0';
			id = host;
		}
		if ((v->authserv_id = strdup(id)) == NULL)
			return vkw_err(ld, VK_AUTHSERVID, "out of memory");
	}
	return vkw_where(ld, v);
}

/* Free the verification settings. */
void
config_verify_free(struct verify_cfg *v)
{
	size_t k;

	if (v == NULL)
		return;
	config_strv_free(v->nameservers);
	config_strv_free(v->remove_ar_from);
	free(v->trust_anchor_file);
	free(v->resolver_config);
	free(v->authserv_id);
	for (k = 0; k < VK_COUNT; k++)
		free(v->where[k]);
	free(v);
}
