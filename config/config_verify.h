/*
 * config_verify.h - the verification half of postdkim.conf: Mode, the
 * Authentication-Results settings, DNS (Nameservers, DNSTimeout,
 * TrustAnchorFile), what passes (MinimumKeyBits, Minimum, UnprotectedKey,
 * BogusKey) and the On-* actions for verified mail, with OpenDKIM's names
 * and defaults.
 */
#ifndef POSTDKIM_CONFIG_VERIFY_H
#define POSTDKIM_CONFIG_VERIFY_H

#include <stddef.h>
#include "config.h"

struct load;
struct config;

/* The verification keywords, in config_vkw_names order. */
enum vkw {
	VK_ALWAYSADDAR, VK_AUTHSERVID, VK_AUTHSERVJOBID, VK_BOGUSKEY, VK_DNSTIMEOUT,
	VK_KEEPAR, VK_MAXSIGS, VK_MINIMUM, VK_MINKEYBITS, VK_NAMESERVERS, VK_ONBADSIG,
	VK_ONDNSERR, VK_ONKEYNOTFOUND, VK_ONNOSIG, VK_ONSECURITY, VK_QUERYCACHE,
	VK_REMOVEARALL, VK_REMOVEARFROM, VK_TRUSTANCHOR, VK_UNPROTECTED, VK_RESOLVERCONF,
	VK_LOGRESULTS, VK_CLOCKDRIFT, VK_COUNT
};

extern const char *const config_vkw_names[VK_COUNT];

/* What a key record that DNSSEC did not protect (or found bogus) is worth. */
enum keysec { KEYSEC_NONE, KEYSEC_NEUTRAL, KEYSEC_FAIL };

struct verify_cfg {
	int sign, verify;		/* Mode letters */
	char *authserv_id;		/* NULL: the MTA's j macro */
	int authserv_jobid;		/* append "/queue-id" */
	int always_add_ar;		/* dkim=none on unsigned mail */
	int log_results;		/* LogResults: log every verified message's results */
	unsigned long clock_drift;	/* ClockDrift: seconds x= may be past, default 300 */
	int keep_ar;			/* KeepAuthResults: remove nothing */
	int remove_ar_all;
	char **remove_ar_from;		/* NULL-terminated */
	size_t nremove_ar_from;
	size_t max_sigs;		/* MaximumSignaturesToVerify, default 3 */
	int min_key_bits;		/* default 1024 */
	int min_body_kind;		/* Minimum: enum dkim_minbody, default none */
	unsigned long long min_body;
	unsigned dns_timeout_ms;	/* DNSTimeout (seconds in the file), default 5 s */
	enum keysec unprotected;	/* UnprotectedKey, default none */
	enum keysec bogus;		/* BogusKey, default fail */
	/* On-* actions. */
	enum config_action on_badsig, on_dnserr, on_keynotfound, on_nosig, on_security;
	char **nameservers;		/* NULL-terminated */
	size_t nnameservers;
	char *trust_anchor_file;
	char *resolver_config;		/* ResolverConfiguration (an unbound.conf) */
	/*
	 * "FILE:LINE: Keyword" of each keyword set (NULL when unset), for the
	 * errors found after the load, as when verify/ builds the resolver.
	 */
	char *where[VK_COUNT];
};

/* Index of a verification keyword (without case), or VK_COUNT. */
size_t config_vkw_index(const char *word);
/* Record keyword i's value at file:line (the later one counts). */
int config_vkw_set(struct load *ld, size_t i, const char *file, unsigned line,
    const char *value);
/* Interpret Mode and the verification keywords into cfg->verify. */
int config_verify(struct load *ld, struct config *cfg);
void config_verify_free(struct verify_cfg *v);

#endif
