/*
 * config_sign.c - the signing half of postdkim.conf: canonicalization,
 * header lists, TTL, and the signers themselves, either one per Domain
 * with KeyFile and Selector, or from KeyTable + SigningTable. Keys are
 * checked for safety and loaded once each, shared by every signer that
 * names the same file.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_impl.h"

#define CONFIG_TTL_MAX (10UL * 366 * 24 * 3600)	/* longest SignatureTTL */

/* Canonicalization "header/body", or one word for the header (body simple). */
static int
get_canon(struct load *ld, dkim_signer_opts *o)
{
	char v[32];
	const char *slash;
	size_t hl, i;

	/* dkim_canon_parse wants lower case; OpenDKIM takes any. */
	for (i = 0; ld->set[K_CANON].value[i] && i < sizeof(v) - 1; i++)
		v[i] = (char)tolower((unsigned char)ld->set[K_CANON].value[i]);
	v[i] = '\0';
	slash = strchr(v, '/');
	hl = slash ? (size_t)(slash - v) : strlen(v);

	if (dkim_canon_parse(v, hl, &o->hcanon) < 0 ||
	    (slash && dkim_canon_parse(slash + 1, strlen(slash + 1), &o->bcanon) < 0))
		return config_kwerr(ld, K_CANON, "'%s': expected simple or relaxed, or header/body such "
		    "as relaxed/simple", ld->set[K_CANON].value);
	/* OpenDKIM: a single word sets the header canonicalization only. */
	if (slash == NULL)
		o->bcanon = DKIM_CANON_SIMPLE;
	return 0;
}

/* The settings every signer shares. */
static int
get_signer_opts(struct load *ld, dkim_signer_opts *o)
{
	static const enum kw lk[3] = { K_SIGNHEADERS, K_OVERSIGN, K_OMIT };
	const char *v;
	char *end;
	unsigned long ttl;
	size_t i;

	memset(o, 0, sizeof(*o));
	o->hcanon = DKIM_CANON_RELAXED;
	o->bcanon = DKIM_CANON_SIMPLE;
	if (ld->set[K_CANON].value && get_canon(ld, o) < 0)
		return -1;
	for (i = 0; i < 3; i++)
		if (ld->set[lk[i]].value && config_strv(ld, lk[i], &ld->lists[i], NULL, 1) < 0)
			return -1;
	o->sign_headers = (const char *const *)ld->lists[0];
	o->oversign_headers = (const char *const *)ld->lists[1];
	o->omit_headers = (const char *const *)ld->lists[2];
	if ((v = ld->set[K_TTL].value) != NULL) {
		errno = 0;
		ttl = strtoul(v, &end, 10);
		if (!isdigit((unsigned char)*v) || *end != '\0' || errno != 0 ||
		    ttl > CONFIG_TTL_MAX)
			return config_kwerr(ld, K_TTL, "'%s' is not a number of seconds (0 to %lu)", v,
			    CONFIG_TTL_MAX);
		o->ttl = ttl;
	}
	if (o->omit_headers != NULL)
		for (i = 0; o->omit_headers[i]; i++)
			if (strcasecmp(o->omit_headers[i], "from") == 0)
				return config_kwerr(ld, K_OMIT, "From must always be signed (RFC 6376 5.4)");
	return 0;
}

/* Signing with KeyTable + SigningTable. */
static int
build_tables(struct load *ld, struct config *cfg, struct key_cache *kc,
    const dkim_signer_opts *tmpl)
{
	static const enum kw unused[] = { K_DOMAIN, K_KEYFILE, K_SELECTOR };
	struct table kt, st;
	char msg[768];
	size_t i;
	int rc;

	if (ld->set[K_KEYTABLE].value == NULL)
		return config_kwerr(ld, K_SIGNINGTABLE, "needs a KeyTable");
	if (ld->set[K_SIGNINGTABLE].value == NULL)
		return config_kwerr(ld, K_KEYTABLE, "needs a SigningTable");
	for (i = 0; i < sizeof(unused) / sizeof(unused[0]); i++)
		if (ld->set[unused[i]].value != NULL)
			config_warnf(ld, "%s:%u: %s ignored: KeyTable and SigningTable decide what is "
			    "signed", ld->set[unused[i]].file, ld->set[unused[i]].line,
			    config_kw_names[unused[i]]);
	if (table_load(&kt, ld->set[K_KEYTABLE].value, TABLE_MAP, ld->set[K_KEYTABLE].file,
	    ld->set[K_KEYTABLE].line, msg, sizeof(msg)) < 0)
		return config_kwerr(ld, K_KEYTABLE, "%s", msg);
	if (kt.refile) {
		table_free(&kt);
		return config_kwerr(ld, K_KEYTABLE, "refile: is for SigningTable only; use file:");
	}
	if (table_load(&st, ld->set[K_SIGNINGTABLE].value, TABLE_MAP,
	    ld->set[K_SIGNINGTABLE].file, ld->set[K_SIGNINGTABLE].line, msg, sizeof(msg)) < 0) {
		table_free(&kt);
		return config_kwerr(ld, K_SIGNINGTABLE, "%s", msg);
	}
	cfg->refile = st.refile;
	rc = tables_build_rules(cfg, &kt, &st, tmpl, kc, ld->err, ld->errsize);
	table_free(&kt);
	table_free(&st);
	return rc;
}

/* Signing with Domain + KeyFile + Selector: one signer per domain. */
static int
build_single(struct load *ld, struct config *cfg, struct key_cache *kc,
    const dkim_signer_opts *tmpl)
{
	static const enum kw need[] = { K_DOMAIN, K_KEYFILE, K_SELECTOR };
	dkim_signer_opts o = *tmpl;
	struct table dom;
	dkim_signer *signer;
	dkim_key *key;
	dkim_err derr;
	const char *kf, *slash;
	char msg[768], *keypath;
	size_t i, dl;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (ld->set[need[i]].value == NULL) {
			snprintf(ld->err, ld->errsize, "%s: nothing to sign: %s is not set (set "
			    "Domain, KeyFile and Selector, or KeyTable and SigningTable)",
			    cfg->path, config_kw_names[need[i]]);
			return -1;
		}
	/* A relative KeyFile is taken from the configuration file's directory. */
	kf = ld->set[K_KEYFILE].value;
	if (kf[0] != '/' && (slash = strrchr(ld->set[K_KEYFILE].file, '/')) != NULL) {
		dl = (size_t)(slash - ld->set[K_KEYFILE].file);
		if ((keypath = malloc(dl + strlen(kf) + 2)) != NULL)
			sprintf(keypath, "%.*s/%s", (int)dl, ld->set[K_KEYFILE].file, kf);
	} else
		keypath = strdup(kf);
	if (keypath == NULL)
		return config_kwerr(ld, K_KEYFILE, "out of memory");
	if (key_cache_get(kc, keypath, &key, msg, sizeof(msg)) < 0) {
		free(keypath);
		return config_kwerr(ld, K_KEYFILE, "%s", msg);
	}
	free(keypath);
	if (config_list(ld, K_DOMAIN, &dom) < 0)
		return -1;
	if (dom.refile) {
		table_free(&dom);
		return config_kwerr(ld, K_DOMAIN, "refile: patterns need KeyTable and SigningTable");
	}
	if (dom.n == 0) {
		table_free(&dom);
		return config_kwerr(ld, K_DOMAIN, "no domain listed");
	}
	o.selector = ld->set[K_SELECTOR].value;
	if (!tables_name_ok(o.selector)) {
		table_free(&dom);
		return config_kwerr(ld, K_SELECTOR, "'%s' is not a valid selector", o.selector);
	}
	for (i = 0; i < dom.n; i++) {
		o.domain = dom.v[i].key;
		memset(&derr, 0, sizeof(derr));
		if (strpbrk(o.domain, "*%@") != NULL)
			snprintf(derr.msg, sizeof(derr.msg), "'%s': wildcards, '%%' and addresses "
			    "need KeyTable and SigningTable", o.domain);
		else if (!tables_name_ok(o.domain))
			snprintf(derr.msg, sizeof(derr.msg), "'%s' is not a valid domain", o.domain);
		else if (dkim_signer_new(&o, key, &signer, &derr) == DKIM_OK) {
			if (tables_add_rule(cfg, o.domain, 0, "", signer) < 0) {
				table_free(&dom);
				return config_kwerr(ld, K_DOMAIN, "out of memory");
			}
			continue;
		}
		if (dom.is_file)
			snprintf(ld->err, ld->errsize, "%s:%u: Domain: %s", dom.path, dom.v[i].line,
			    derr.msg);
		else
			config_kwerr(ld, K_DOMAIN, "%s", derr.msg);
		table_free(&dom);
		return -1;
	}
	table_free(&dom);
	return 0;
}

/* SignatureAlgorithm: must agree with the key (KeyFile), else each key decides. */
static int
check_alg(struct load *ld, struct config *cfg)
{
	const char *v = ld->set[K_SIGALG].value;
	dkim_alg want, have;
	size_t i;

	if (v == NULL)
		return 0;
	if (strcasecmp(v, "rsa-sha1") == 0)
		return config_kwerr(ld, K_SIGALG, "rsa-sha1 must not be used for signing (RFC 8301); "
		    "use rsa-sha256");
	if (dkim_alg_parse(v, strlen(v), &want) < 0)
		return config_kwerr(ld, K_SIGALG, "'%s' is not rsa-sha256 or ed25519-sha256", v);
	for (i = 0; i < cfg->nrules; i++) {
		if ((have = dkim_signer_alg(cfg->rules[i].signer)) == want)
			continue;
		if (ld->set[K_KEYTABLE].value == NULL)
			return config_kwerr(ld, K_SIGALG, "%s does not match the %s key in %s", v,
			    dkim_alg_keytype(have), ld->set[K_KEYFILE].value);
		config_warnf(ld, "%s:%u: SignatureAlgorithm ignored with KeyTable: each key's type sets "
		    "its algorithm (key '%s' is %s)", ld->set[K_SIGALG].file,
		    ld->set[K_SIGALG].line, cfg->rules[i].keyname, dkim_alg_name(have));
		break;
	}
	return 0;
}

/* Build every signer from the signing keywords. */
int
config_sign(struct load *ld, struct config *cfg, uid_t uid)
{
	struct key_cache kc;
	dkim_signer_opts tmpl;
	int rc;

	if (get_signer_opts(ld, &tmpl) < 0)
		return -1;
	memset(&kc, 0, sizeof(kc));
	kc.uid = uid;
	kc.require_safe = cfg->require_safe_keys;
	kc.warn = ld->warn;
	kc.warn_arg = ld->warn_arg;
	if (ld->set[K_KEYTABLE].value || ld->set[K_SIGNINGTABLE].value)
		rc = build_tables(ld, cfg, &kc, &tmpl);
	else
		rc = build_single(ld, cfg, &kc, &tmpl);
	if (rc == 0)
		rc = check_alg(ld, cfg);
	key_cache_free(&kc);
	return rc;
}
