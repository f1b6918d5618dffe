/*
 * config_sign.c - the signing half of postdkim.conf: canonicalization,
 * header lists, TTL, and the signing rules, either Domain with KeyFile and
 * Selector, or KeyTable + SigningTable. Keys are read when a message needs
 * them (keys/keycache.c); postdkim -n reads them all here.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../dkim/name.h"
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

/*
 * OpenDKIM's "*,+name,-name" form of SignHeaders, OversignHeaders and
 * OmitHeaders: a first entry "*" makes the rest a change to the default
 * list (base) instead of a list of its own; "+name" or a bare name adds,
 * "-name" takes away. OmitHeaders' default omits nothing that the default
 * SignHeaders signs, so its base is empty, and "-name" there asks for the
 * field to be signed (added to *sign when that is a change too, or when
 * SignHeaders is unset).
 */
static int
header_delta(struct load *ld, enum kw k, char ***v, const char *const *base)
{
	char **in = *v, **out;
	size_t n = 0, i, j, cap;

	if (in == NULL || in[0] == NULL || strcmp(in[0], "*") != 0)
		return 0;
	for (cap = 1; in[cap]; cap++)
		;
	for (i = 0; base != NULL && base[i]; i++)
		cap++;
	if ((out = calloc(cap + 1, sizeof(*out))) == NULL)
		return config_kwerr(ld, k, "out of memory");
	for (i = 0; base != NULL && base[i]; i++)
		if ((out[n++] = strdup(base[i])) == NULL)
			goto nomem;
	for (i = 1; in[i]; i++) {
		const char *name = in[i] + (in[i][0] == '+' || in[i][0] == '-');

		for (j = 0; j < n && strcasecmp(out[j], name) != 0; j++)
			;
		if (in[i][0] == '-' && j < n) {
			free(out[j]);
			out[j] = out[--n];
			out[n] = NULL;
		} else if (in[i][0] != '-' && j == n && *name != '\0' &&
		    (out[n++] = strdup(name)) == NULL) {
			goto nomem;
		}
	}
	config_strv_free(in);
	*v = out;
	return 0;
nomem:
	config_strv_free(out);
	return config_kwerr(ld, k, "out of memory");
}

/* OmitHeaders "*,-name": name is to be signed; added to a SignHeaders change or the default. */
static int
unomit(struct load *ld, char ***sign, char **omit)
{
	size_t i, n = 0;
	char **v;

	if (omit == NULL || omit[0] == NULL || strcmp(omit[0], "*") != 0)
		return 0;
	for (i = 1; omit[i]; i++)
		n += omit[i][0] == '-' && omit[i][1] != '\0';
	if (n == 0 || (*sign != NULL && strcmp((*sign)[0] ? (*sign)[0] : "", "*") != 0))
		return 0;	/* a SignHeaders list of its own is what is signed */
	if (*sign == NULL) {
		if ((*sign = calloc(2, sizeof(**sign))) == NULL || ((*sign)[0] = strdup("*")) == NULL)
			return config_kwerr(ld, K_OMIT, "out of memory");
	}
	for (i = 0; (*sign)[i]; i++)
		;
	if ((v = realloc(*sign, (i + n + 1) * sizeof(*v))) == NULL)
		return config_kwerr(ld, K_OMIT, "out of memory");
	*sign = v;
	for (n = 1; omit[n]; n++)
		if (omit[n][0] == '-' && omit[n][1] != '\0' && (v[i++] = strdup(omit[n] + 1)) == NULL)
			return v[i - 1] = NULL, config_kwerr(ld, K_OMIT, "out of memory");
	v[i] = NULL;
	return 0;
}

/* The settings every signer shares. */
static int
get_signer_opts(struct load *ld, dkim_signer_opts *o)
{
	static const enum kw lk[3] = { K_SIGNHEADERS, K_OVERSIGN, K_OMIT };
	size_t i;

	memset(o, 0, sizeof(*o));
	o->hcanon = DKIM_CANON_RELAXED;
	o->bcanon = DKIM_CANON_SIMPLE;
	if (ld->set[K_CANON].value && get_canon(ld, o) < 0)
		return -1;
	for (i = 0; i < 3; i++)
		if (ld->set[lk[i]].value && config_strv(ld, lk[i], &ld->lists[i], NULL, 1) < 0)
			return -1;
	if (unomit(ld, &ld->lists[0], ld->lists[2]) < 0 ||
	    header_delta(ld, K_SIGNHEADERS, &ld->lists[0], dkim_default_sign_headers) < 0 ||
	    header_delta(ld, K_OVERSIGN, &ld->lists[1], dkim_default_oversign_headers) < 0 ||
	    header_delta(ld, K_OMIT, &ld->lists[2], NULL) < 0)
		return -1;
	o->sign_headers = (const char *const *)ld->lists[0];
	o->oversign_headers = (const char *const *)ld->lists[1];
	o->omit_headers = (const char *const *)ld->lists[2];
	if (config_number(KW(K_TTL), 0, CONFIG_TTL_MAX, "a number of seconds", &o->ttl) < 0)
		return -1;
	if (o->omit_headers != NULL)
		for (i = 0; o->omit_headers[i]; i++)
			if (strcasecmp(o->omit_headers[i], "from") == 0)
				return config_kwerr(ld, K_OMIT, "From must always be signed (RFC 6376 5.4)");
	return 0;
}

/* The Domain list being checked. */
struct domain_walk {
	struct load *ld;
	struct dataset *ds;
	int failed;
};

/* A domain, or a refile: pattern of one checked with each '*' as a letter. */
static int
domain_pattern_check(const char *key, char *why, size_t whysize)
{
	char name[256];
	size_t i;

	if (strlen(key) >= sizeof(name))
		return dkim_name_check(key, 253, why, whysize);
	for (i = 0; key[i] != '\0'; i++)
		name[i] = key[i] == '*' ? 'a' : key[i];
	name[i] = '\0';
	return dkim_name_check(name, 253, why, whysize);
}

/* Check one listed domain (a walk callback over Domain). */
static int
domain_check(void *arg, const struct dataset_row *row)
{
	struct domain_walk *w = arg;
	struct load *ld = w->ld;
	char why[256];

	/* refile: domains are '*' patterns of domains, as in OpenDKIM. */
	if (strpbrk(row->key, dataset_is_patterns(w->ds) ? "%@" : "*%@") != NULL)
		snprintf(why, sizeof(why), ": wildcards, '%%' and addresses need KeyTable and "
		    "SigningTable");
	else if (domain_pattern_check(row->key, why + 33, sizeof(why) - 33) == 0)
		return 0;
	else
		memcpy(why, " is not a valid domain: it      ", 33);
	if (dataset_is_file(w->ds))
		snprintf(ld->err, ld->errsize, "%s:%u: Domain: '%s'%s", dataset_name(w->ds),
		    row->line, row->key, why);
	else
		config_kwerr(ld, K_DOMAIN, "'%s'%s", row->key, why);
	w->failed = 1;
	return 1;
}

/* Problems found while checking every key: the first is the error. */
struct check_report {
	struct load *ld;
	size_t n;
};

/* Report one problem of postdkim -n. */
static void
check_report(void *arg, const char *msg)
{
	struct check_report *c = arg;

	if (c->n++ == 0)
		snprintf(c->ld->err, c->ld->errsize, "%s", msg);
	else
		config_warnf(c->ld, "%s", msg);
}

/* A warning of postdkim -n. */
static void
check_warn(void *arg, const char *msg)
{
	struct check_report *c = arg;

	config_warnf(c->ld, "%s", msg);
}

/* Table warnings at load. */
static void
table_warn(void *arg, const char *msg)
{
	config_warnf(arg, "%s", msg);
}

/* Open a map data set of keyword k. */
static int
open_map(struct load *ld, enum kw k, unsigned flags, struct dataset **ds)
{
	char msg[768];

	if (dataset_open(ds, ld->set[k].value, DATASET_MAP, flags, ld->set[k].file,
	    ld->set[k].line, msg, sizeof(msg)) < 0)
		return config_kwerr(ld, k, "%s", msg);
	return 0;
}

/* Signing with KeyTable + SigningTable. */
static int
build_tables(struct load *ld, struct config *cfg, const struct rules_settings *set)
{
	static const enum kw unused[] = { K_DOMAIN, K_KEYFILE, K_SELECTOR };
	struct dataset *kt, *st;
	size_t i;

	if (ld->set[K_KEYTABLE].value == NULL)
		return config_kwerr(ld, K_SIGNINGTABLE, "needs a KeyTable");
	if (ld->set[K_SIGNINGTABLE].value == NULL)
		return config_kwerr(ld, K_KEYTABLE, "needs a SigningTable");
	for (i = 0; i < sizeof(unused) / sizeof(unused[0]); i++)
		if (ld->set[unused[i]].value != NULL)
			config_warnf(ld, "%s:%u: %s ignored: KeyTable and SigningTable decide what is "
			    "signed", ld->set[unused[i]].file, ld->set[unused[i]].line,
			    config_kw_names[unused[i]]);
	if (ld->set[K_SIGALG].value != NULL)
		config_warnf(ld, "%s:%u: SignatureAlgorithm ignored with KeyTable: each key's type "
		    "sets its algorithm", ld->set[K_SIGALG].file, ld->set[K_SIGALG].line);
	/*
	 * KeyTable refile: (Mail-in-a-Box, docker-mailserver) is taken as
	 * OpenDKIM takes it: key names are patterns, which without '*' match
	 * only themselves, so it reads like file:.
	 */
	if (open_map(ld, K_KEYTABLE, 0, &kt) < 0)
		return -1;
	/* Addresses and domains compare without case, as in OpenDKIM. */
	if (open_map(ld, K_SIGNINGTABLE, DATASET_ICASE | DATASET_IDNA, &st) < 0) {
		dataset_close(kt);
		return -1;
	}
	return rules_new_tables(&cfg->rules, set, kt, st, table_warn, ld, ld->err, ld->errsize);
}

/* Signing with Domain + KeyFile + Selector. */
static int
build_single(struct load *ld, struct config *cfg, const struct rules_settings *set)
{
	static const enum kw need[] = { K_DOMAIN, K_KEYFILE, K_SELECTOR };
	struct dataset *dom;
	struct domain_walk w;
	struct rules_single one;
	const char *sel = ld->set[K_SELECTOR].value, *v;
	char *keypath, why[256], kwhere[600], awhere[600];
	size_t i;
	long n;
	int rc;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (ld->set[need[i]].value == NULL) {
			snprintf(ld->err, ld->errsize, "%s: nothing to sign: %s is not set (set "
			    "Domain, KeyFile and Selector, or KeyTable and SigningTable)",
			    cfg->path, config_kw_names[need[i]]);
			return -1;
		}
	if (dkim_name_check(sel, 63, why, sizeof(why)) < 0)
		return config_kwerr(ld, K_SELECTOR, "'%s' is not a valid selector: it %s", sel, why);
	if (config_list(ld, K_DOMAIN, &dom) < 0)
		return -1;
	memset(&w, 0, sizeof(w));
	w.ld = ld;
	w.ds = dom;
	if ((n = dataset_walk(dom, domain_check, &w, why, sizeof(why))) <= 0 || w.failed) {
		dataset_close(dom);
		if (!w.failed)
			config_kwerr(ld, K_DOMAIN, "%s", n < 0 ? why : "no domain listed");
		return -1;
	}
	/* A relative KeyFile is taken from the configuration file's directory. */
	if ((keypath = dataset_path(ld->set[K_KEYFILE].value, ld->set[K_KEYFILE].file)) == NULL) {
		dataset_close(dom);
		return config_kwerr(ld, K_KEYFILE, "out of memory");
	}
	memset(&one, 0, sizeof(one));
	one.domains = dom;
	one.keyfile = keypath;
	one.selector = sel;
	snprintf(kwhere, sizeof(kwhere), "%s:%u: KeyFile", ld->set[K_KEYFILE].file,
	    ld->set[K_KEYFILE].line);
	one.keyfile_where = kwhere;
	if ((v = ld->set[K_SIGALG].value) != NULL && dkim_alg_parse(v, strlen(v), &one.alg) == 0) {
		one.has_alg = 1;
		snprintf(awhere, sizeof(awhere), "%s:%u: SignatureAlgorithm",
		    ld->set[K_SIGALG].file, ld->set[K_SIGALG].line);
		one.alg_where = awhere;
	}
	rc = rules_new_single(&cfg->rules, set, &one, ld->err, ld->errsize);
	free(keypath);
	return rc;
}

/* SignatureAlgorithm: rsa-sha256 or ed25519-sha256; each key's type decides. */
static int
check_alg(struct load *ld)
{
	const char *v = ld->set[K_SIGALG].value;
	dkim_alg want;

	if (v == NULL)
		return 0;
	if (strcasecmp(v, "rsa-sha1") == 0)
		return config_kwerr(ld, K_SIGALG, "rsa-sha1 must not be used for signing (RFC 8301); "
		    "use rsa-sha256");
	if (dkim_alg_parse(v, strlen(v), &want) < 0)
		return config_kwerr(ld, K_SIGALG, "'%s' is not rsa-sha256 or ed25519-sha256", v);
	return 0;
}

/*
 * No key at all, as in OpenDKIM's verify-only configurations (Debian's
 * stock opendkim.conf among them): a verifier, when Mode lets it verify.
 * Returns 1 when nothing is signed, 0 when the keywords decide.
 */
static int
sign_nothing(struct load *ld, struct config *cfg)
{
	static const enum kw keys[] = { K_DOMAIN, K_KEYFILE, K_SELECTOR, K_KEYTABLE,
	    K_SIGNINGTABLE };
	const char *mode = ld->set[K_MODE].value;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (ld->set[keys[i]].value != NULL)
			return 0;
	if (mode != NULL && strpbrk(mode, "vV") == NULL)
		return 0;	/* Mode s: build_single says what is missing */
	/* Mode v asked for this; the default (sv) may expect signing: say so. */
	if (mode == NULL || strpbrk(mode, "sS") != NULL)
		config_warnf(ld, "%s: nothing is signed: no Domain, KeyFile and Selector, nor "
		    "KeyTable and SigningTable; verifying only", cfg->path);
	return 1;
}

/* Build the signing rules from the signing keywords (none: nothing is signed). */
int
config_sign(struct load *ld, struct config *cfg, uid_t uid, gid_t gid)
{
	struct rules_settings set;
	struct check_report rep;
	int rc;

	memset(&set, 0, sizeof(set));
	if (get_signer_opts(ld, &set.tmpl) < 0 || check_alg(ld) < 0)
		return -1;
	if (sign_nothing(ld, cfg))
		return 0;
	set.subdomains = cfg->subdomains;
	set.multiple = cfg->multiple_signatures;
	set.keys.uid = uid;
	set.keys.gid = gid;
	set.keys.require_safe = cfg->require_safe_keys;
	if (ld->set[K_KEYTABLE].value || ld->set[K_SIGNINGTABLE].value)
		rc = build_tables(ld, cfg, &set);
	else
		rc = build_single(ld, cfg, &set);
	if (rc < 0 || !ld->check_keys)
		return rc;
	memset(&rep, 0, sizeof(rep));
	rep.ld = ld;
	if (rules_check_all(cfg->rules, check_report, check_warn, &rep) > 0) {
		if (rep.n > 1) {
			size_t l = strlen(ld->err);

			snprintf(ld->err + l, ld->errsize - l, " (and %zu more problem%s)", rep.n - 1,
			    rep.n > 2 ? "s" : "");
		}
		return -1;
	}
	return 0;
}
