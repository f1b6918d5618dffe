/*
 * rules.c - a sender's signers from Domain/KeyFile/Selector or from
 * KeyTable + SigningTable, found through indexed data sets and built per
 * message from cached keys.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../dkim/header.h"
#include "../dkim/idna.h"
#include "../dkim/name.h"
#include "keysafe.h"
#include "rules.h"

/* local@domain, as long as the From parser takes (rules.h). */
#define RULES_ADDR_MAX (RULES_LOCAL_MAX + 1 + RULES_DOMAIN_MAX)
#define RULES_NAMES_MAX 256	/* header names a signature may cover */

struct rules {
	struct rules_settings set;
	char **lists[3];		/* owned copies of the template's header lists */
	char *names[RULES_NAMES_MAX];	/* lower-case names rules_wants answers yes for */
	size_t nnames;
	/* Domain + KeyFile + Selector. */
	struct dataset *domains;
	char *keyfile, *selector, *keyfile_where, *alg_where;
	int has_alg;
	dkim_alg alg;
	/* KeyTable + SigningTable. */
	struct dataset *kt, *st;
};

/* One KeyTable entry, split. */
struct ktent {
	char domain[256], selector[64], key[4096];
	int has_alg;
	dkim_alg alg;
	unsigned line;
};

/* Copy a NULL-terminated list of strings. */
static char **
strv_dup(const char *const *v)
{
	size_t n = 0, i;
	char **out;

	if (v == NULL)
		return NULL;
	while (v[n] != NULL)
		n++;
	if ((out = calloc(n + 1, sizeof(*out))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((out[i] = strdup(v[i])) == NULL) {
			while (i-- > 0)
				free(out[i]);
			free(out);
			return NULL;
		}
	return out;
}

/* Free a list made by strv_dup. */
static void
strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Nonzero when name is in the NULL-terminated list (without case). */
static int
in_list(const char *const *v, const char *name, size_t nlen)
{
	for (; v != NULL && *v != NULL; v++)
		if (strlen(*v) == nlen && strncasecmp(*v, name, nlen) == 0)
			return 1;
	return 0;
}

/* Add a header name rules_wants says yes to. */
static void
rules_add_name(struct rules *r, const char *name)
{
	if (r->nnames < RULES_NAMES_MAX && !in_list((const char *const *)r->names, name,
	    strlen(name)))
		r->names[r->nnames++] = strdup(name);
}

/* Common part of both forms: copy the settings, list the names signed. */
static struct rules *
rules_alloc(const struct rules_settings *set)
{
	const char *const *sign, *const *over, *const *p;
	struct rules *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->set = *set;
	r->lists[0] = strv_dup(set->tmpl.sign_headers);
	r->lists[1] = strv_dup(set->tmpl.oversign_headers);
	r->lists[2] = strv_dup(set->tmpl.omit_headers);
	r->set.tmpl.sign_headers = (const char *const *)r->lists[0];
	r->set.tmpl.oversign_headers = (const char *const *)r->lists[1];
	r->set.tmpl.omit_headers = (const char *const *)r->lists[2];
	r->set.tmpl.domain = r->set.tmpl.selector = r->set.tmpl.identity = NULL;
	sign = r->set.tmpl.sign_headers ? r->set.tmpl.sign_headers : dkim_default_sign_headers;
	over = r->set.tmpl.oversign_headers ? r->set.tmpl.oversign_headers :
	    dkim_default_oversign_headers;
	/* The From field decides policy even when no list names it. */
	rules_add_name(r, "from");
	for (p = sign; *p; p++)
		if (!in_list(r->set.tmpl.omit_headers, *p, strlen(*p)))
			rules_add_name(r, *p);
	for (p = over; *p; p++)
		if (!in_list(r->set.tmpl.omit_headers, *p, strlen(*p)))
			rules_add_name(r, *p);
	return r;
}

/* Free the rules and their data sets. */
void
rules_free(struct rules *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < 3; i++)
		strv_free(r->lists[i]);
	for (i = 0; i < r->nnames; i++)
		free(r->names[i]);
	dataset_close(r->domains);
	dataset_close(r->kt);
	dataset_close(r->st);
	free(r->keyfile);
	free(r->selector);
	free(r->keyfile_where);
	free(r->alg_where);
	free(r);
}

/* Nonzero when a signature may cover this field. */
int
rules_wants(const struct rules *r, const char *name, size_t nlen)
{
	return r != NULL && in_list((const char *const *)r->names, name, nlen);
}

static int single_key(struct rules *r, struct keycache *kc, dkim_key **key, char *why,
    size_t whysize, enum stats_reason *reason, int probe);

/* Read the KeyFile now. */
int
rules_warm(struct rules *r, struct keycache *kc, int reload, char *err, size_t errsize)
{
	dkim_key *key;

	if (r == NULL || r->kt != NULL)
		return 0;
	if (single_key(r, kc, &key, err, errsize, NULL, reload) < 0)
		return -1;
	dkim_key_free(key);
	return 0;
}

/* Nonzero when KeyTable + SigningTable decide. */
int
rules_from_tables(const struct rules *r)
{
	return r != NULL && r->kt != NULL;
}

/* Domain + KeyFile + Selector. */
int
rules_new_single(struct rules **out, const struct rules_settings *set,
    const struct rules_single *single, char *err, size_t errsize)
{
	struct rules *r;

	*out = NULL;
	if ((r = rules_alloc(set)) == NULL || (r->keyfile = strdup(single->keyfile)) == NULL ||
	    (r->selector = strdup(single->selector)) == NULL ||
	    (r->keyfile_where = strdup(single->keyfile_where)) == NULL ||
	    (r->alg_where = strdup(single->alg_where ? single->alg_where : "")) == NULL) {
		rules_free(r);
		dataset_close(single->domains);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	r->domains = single->domains;
	r->has_alg = single->has_alg;
	r->alg = single->alg;
	*out = r;
	return 0;
}

/*
 * The KeyFile's key, of the algorithm SignatureAlgorithm asks for; 0 or -1
 * with why. probe: checked without changing the cache (rules_warm).
 */
static int
single_key(struct rules *r, struct keycache *kc, dkim_key **key, char *why, size_t whysize,
    enum stats_reason *reason, int probe)
{
	enum stats_reason dummy;
	char msg[700];

	if (reason == NULL)
		reason = &dummy;
	if ((probe ? keycache_file_probe(kc, r->keyfile, &r->set.keys, key, msg, sizeof(msg)) :
	    keycache_file_r(kc, r->keyfile, &r->set.keys, key, msg, sizeof(msg), reason)) < 0) {
		snprintf(why, whysize, "%s: %s", r->keyfile_where, msg);
		return -1;
	}
	if (r->has_alg && dkim_key_alg(*key) != r->alg) {
		*reason = STATS_NS_NO_KEY_ENTRY;
		snprintf(why, whysize, "%s: %s does not match the %s key in %s", r->alg_where,
		    dkim_alg_name(r->alg), dkim_alg_keytype(dkim_key_alg(*key)), r->keyfile);
		dkim_key_free(*key);
		*key = NULL;
		return -1;
	}
	return 0;
}

/* Split KeyTable row fields into k; 0, or -1 with a reason. */
static int
kt_split(const struct dataset_row *row, struct ktent *k, char *why, size_t whysize)
{
	const char *f[4];
	char buf[4096 + 600], dwhy[128], *p, *c;
	size_t n = 0, i;

	memset(k, 0, sizeof(*k));
	k->line = row->line;
	if (row->nfields == 1) {
		/* One text field: domain:selector:key[:algorithm]. */
		if (strlen(row->field[0]) >= sizeof(buf)) {
			snprintf(why, whysize, "value too long");
			return -1;
		}
		strcpy(buf, row->field[0]);
		p = buf;
		for (n = 0; n < 2 && (c = strchr(p, ':')) != NULL; n++) {
			*c = '\0';
			f[n] = p;
			p = c + 1;
		}
		f[n++] = p;
		/* An algorithm may follow the key (OpenDKIM's development branch). */
		if (n == 3 && (c = strrchr(p, ':')) != NULL &&
		    dkim_alg_parse(c + 1, strlen(c + 1), &k->alg) == 0) {
			*c = '\0';
			f[n++] = c + 1;
		}
	} else {
		/* Columns of a database: domain, selector, key[, algorithm]. */
		for (n = 0; n < row->nfields && n < 4; n++)
			f[n] = row->field[n];
	}
	if (n < 3 || *f[0] == '\0' || *f[1] == '\0' || *f[2] == '\0') {
		snprintf(why, whysize, "value must be domain:selector:keyfile");
		return -1;
	}
	if (n == 4) {
		if (dkim_alg_parse(f[3], strlen(f[3]), &k->alg) != 0) {
			snprintf(why, whysize, "'%s' is not rsa-sha256 or ed25519-sha256", f[3]);
			return -1;
		}
		k->has_alg = 1;
	}
	if (strlen(f[0]) >= sizeof(k->domain) || strlen(f[1]) >= sizeof(k->selector) ||
	    strlen(f[2]) >= sizeof(k->key)) {
		snprintf(why, whysize, "value too long");
		return -1;
	}
	/* A domain written as a U-label signs as its A-label (RFC 8616). */
	if (dkim_idna_alabel(f[0], strlen(f[0]), k->domain, sizeof(k->domain), dwhy,
	    sizeof(dwhy)) < 0) {
		snprintf(why, whysize, "'%s' %s", f[0], dwhy);
		return -1;
	}
	strcpy(k->selector, f[1]);
	strcpy(k->key, f[2]);
	for (i = 0; k->domain[i]; i++)
		k->domain[i] = (char)tolower((unsigned char)k->domain[i]);
	/* '%' stands for the sender's domain, filled in per message. */
	if (strcmp(k->domain, "%") != 0 && !dkim_name_ok(k->domain)) {
		snprintf(why, whysize, "'%s' is not a valid domain", k->domain);
		return -1;
	}
	if (!dkim_name_ok(k->selector)) {
		snprintf(why, whysize, "'%s' is not a valid selector", k->selector);
		return -1;
	}
	return 0;
}

/* A KeyTable row copied out of its callback. */
struct kt_found {
	int found;
	struct ktent k;
	char why[512];
	int bad;
};

/* Take the first KeyTable row of a name. */
static int
kt_take(void *arg, const struct dataset_row *row)
{
	struct kt_found *f = arg;

	f->found = 1;
	f->bad = kt_split(row, &f->k, f->why, sizeof(f->why)) < 0;
	return 1;
}

/* Where a KeyTable entry was written, for messages. */
static void
kt_where(const struct rules *r, unsigned line, const char *name, char *buf, size_t size)
{
	if (line > 0)
		snprintf(buf, size, "%s:%u: KeyTable entry '%s'", dataset_name(r->kt), line, name);
	else
		snprintf(buf, size, "%s: KeyTable entry '%s'", dataset_name(r->kt), name);
}

/* Nonzero when a KeyTable key names a file (else it is the key itself). */
static int
key_is_path(const char *s)
{
	return s[0] == '/' || strncmp(s, "./", 2) == 0 || strncmp(s, "../", 3) == 0;
}

/* The key of a KeyTable entry, from its file or its text. */
static int
rules_key(struct rules *r, struct keycache *kc, const struct ktent *k, dkim_key **key,
    char *why, size_t whysize, enum stats_reason *reason)
{
	const char *s = k->key;
	enum stats_reason dummy;
	char *path;
	int rc;

	if (reason == NULL)
		reason = &dummy;
	*reason = STATS_NS_INTERNAL;
	if (key_is_path(s)) {
		/* Relative key paths are taken from the KeyTable's directory. */
		if ((path = dataset_path(s, dataset_is_file(r->kt) ? dataset_name(r->kt) : "/")) ==
		    NULL) {
			snprintf(why, whysize, "out of memory");
			return -1;
		}
		rc = keycache_file_r(kc, path, &r->set.keys, key, why, whysize, reason);
		free(path);
		return rc;
	}
	return keycache_text_r(kc, s, strlen(s), key, why, whysize, reason);
}

/* Resolve '%' in an identity to the sender's domain. */
static int
identity_expand(const char *ident, const char *domain, char *out, size_t size)
{
	size_t o = 0, dl = strlen(domain);

	for (; *ident; ident++) {
		if (*ident == '%') {
			if (o + dl >= size)
				return -1;
			memcpy(out + o, domain, dl);
			o += dl;
		} else {
			if (o + 1 >= size)
				return -1;
			out[o++] = *ident;
		}
	}
	out[o] = '\0';
	return 0;
}

/* Build a signer; 0, or -1 with why. */
static int
rules_signer(struct rules *r, const char *domain, const char *selector, const char *identity,
    dkim_key *key, dkim_signer **out, char *why, size_t whysize)
{
	dkim_signer_opts o = r->set.tmpl;
	dkim_err derr;

	o.domain = domain;
	o.selector = selector;
	o.identity = identity && *identity ? identity : NULL;
	memset(&derr, 0, sizeof(derr));
	if (dkim_signer_new(&o, key, out, &derr) != DKIM_OK) {
		snprintf(why, whysize, "%s", derr.msg);
		return -1;
	}
	return 0;
}

/* Record a failure in the result (the first one is kept). */
static void
res_fail(struct rules_result *res, enum stats_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
res_fail(struct rules_result *res, enum stats_reason reason, const char *fmt, ...)
{
	va_list ap;

	if (res->failed)
		return;
	res->failed = 1;
	res->reason = reason;
	res->temporary = reason == STATS_NS_TABLE_UNAVAILABLE;
	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
}

/* The search through the SigningTable for one message. */
struct st_search {
	struct rules *r;
	struct keycache *kc;
	const char *domain;	/* the sender's */
	struct rules_result *res;
	size_t seen;		/* rows taken, for MultipleSignatures */
	char names[DKIM_MSG_SIGNERS_MAX][128];	/* KeyTable names used, to skip repeats */
	size_t nnames;
	int done;
};

/* Add the signer of one SigningTable row. */
static int
st_take(void *arg, const struct dataset_row *row)
{
	struct st_search *s = arg;
	struct rules *r = s->r;
	struct kt_found f;
	char name[128], ident[512], ident_a[512], where[700], why[1024], *colon;
	const char *v = row->nfields ? row->field[0] : "";
	dkim_signer *signer;
	dkim_key *key;
	enum stats_reason kr;
	size_t i, nl;

	nl = strcspn(v, " \t");
	if (nl == 0 || nl >= sizeof(name)) {
		res_fail(s->res, STATS_NS_NO_KEY_ENTRY, "%s:%u: SigningTable entry '%s' names no KeyTable key",
		    dataset_name(r->st), row->line, row->key);
		return 0;
	}
	memcpy(name, v, nl);
	name[nl] = '\0';
	ident[0] = '\0';
	if ((colon = strchr(name, ':')) != NULL) {
		*colon++ = '\0';
		if (identity_expand(colon, s->domain, ident, sizeof(ident)) < 0)
			ident[0] = '\0';
		/* i= carries its domain as an A-label, like d= (RFC 8616). */
		if (dkim_idna_utf8(ident, strlen(ident)) &&
		    dkim_idna_alabel(ident, strlen(ident), ident_a, sizeof(ident_a), why,
		    sizeof(why)) == 0)
			snprintf(ident, sizeof(ident), "%s", ident_a);
	}
	for (i = 0; i < s->nnames; i++)
		if (strcmp(s->names[i], name) == 0)
			return 0;	/* the same key twice: one signature */
	memset(&f, 0, sizeof(f));
	if (dataset_lookup(r->kt, name, kt_take, &f, why, sizeof(why)) < 0) {
		res_fail(s->res, STATS_NS_TABLE_UNAVAILABLE, "KeyTable %s: %s", dataset_name(r->kt), why);
		return 0;
	}
	if (!f.found) {
		res_fail(s->res, STATS_NS_NO_KEY_ENTRY,
		    "%s:%u: SigningTable entry '%s' names key '%s', which is not "
		    "in KeyTable %s", dataset_name(r->st), row->line, row->key, name,
		    dataset_name(r->kt));
		return 0;
	}
	kt_where(r, f.k.line, name, where, sizeof(where));
	if (f.bad) {
		res_fail(s->res, STATS_NS_NO_KEY_ENTRY, "%s: %s", where, f.why);
		return 0;
	}
	if (strcmp(f.k.domain, "%") == 0)
		snprintf(f.k.domain, sizeof(f.k.domain), "%s", s->domain);
	if (rules_key(r, s->kc, &f.k, &key, why, sizeof(why), &kr) < 0) {
		res_fail(s->res, kr, "%s: %s", where, why);
		return 0;
	}
	if (f.k.has_alg && dkim_key_alg(key) != f.k.alg) {
		res_fail(s->res, STATS_NS_NO_KEY_ENTRY, "%s: the key is %s, the entry says %s", where,
		    dkim_alg_name(dkim_key_alg(key)), dkim_alg_name(f.k.alg));
		dkim_key_free(key);
		return 0;
	}
	if (rules_signer(r, f.k.domain, f.k.selector, ident, key, &signer, why, sizeof(why)) < 0) {
		res_fail(s->res, STATS_NS_INTERNAL, "%s:%u: SigningTable entry '%s' (%s): %s",
		    dataset_name(r->st),
		    row->line, row->key, where, why);
		dkim_key_free(key);
		return 0;
	}
	dkim_key_free(key);
	s->res->signer[s->res->n++] = signer;
	snprintf(s->names[s->nnames++], sizeof(s->names[0]), "%s", name);
	if (!r->set.multiple || s->res->n >= DKIM_MSG_SIGNERS_MAX) {
		s->done = 1;
		return 1;
	}
	return 0;
}

/* Look one key up in the SigningTable; nonzero when the search is over. */
static int
st_try(struct st_search *s, const char *key)
{
	char why[512];
	int n;

	if (s->done)
		return 1;
	if ((n = dataset_lookup(s->r->st, key, st_take, s, why, sizeof(why))) < 0) {
		res_fail(s->res, STATS_NS_TABLE_UNAVAILABLE, "SigningTable %s: %s", dataset_name(s->r->st), why);
		s->done = 1;
	}
	/* Without MultipleSignatures the first entry found decides, usable or not. */
	if (n > 0 && !s->r->set.multiple)
		s->done = 1;
	return s->done;
}

/*
 * The SigningTable search. refile: one match of the address, in file
 * order. Otherwise OpenDKIM's order: user@host, host, user@.parent and
 * .parent for each parent, then user@* and *. SubDomains plays no part:
 * OpenDKIM applies it to Domain only, and a bare parent here would sign
 * mail that OpenDKIM leaves to "*" or unsigned.
 */
static void
st_search(struct st_search *s, const char *local)
{
	char addr[RULES_ADDR_MAX + 1], key[RULES_ADDR_MAX + 1];
	const char *p, *domain = s->domain;
	int pass;

	/* Every key below is at most as long as addr. */
	snprintf(addr, sizeof(addr), "%s@%s", local, domain);
	if (dataset_is_patterns(s->r->st)) {
		st_try(s, addr);
		return;
	}
	if (st_try(s, addr) || st_try(s, domain))
		return;
	for (pass = 0; pass < 2; pass++) {
		for (p = strchr(domain, '.'); p != NULL && p[1] != '\0'; p = strchr(p + 1, '.')) {
			if (pass == 0)
				snprintf(key, sizeof(key), "%s@%s", local, p);
			else
				snprintf(key, sizeof(key), "%s", p);
			if (st_try(s, key))
				return;
		}
	}
	snprintf(key, sizeof(key), "%s@*", local);
	if (st_try(s, key))
		return;
	st_try(s, "*");
}

/* Domain + KeyFile + Selector: the domain or (SubDomains) a parent is listed. */
static void
single_lookup(struct rules *r, struct keycache *kc, const char *domain,
    struct rules_result *res)
{
	const char *d = domain;
	char why[1024];
	dkim_signer *signer;
	dkim_key *key;
	enum stats_reason kr;
	int has;

	for (;;) {
		if ((has = dataset_has(r->domains, d, why, sizeof(why))) < 0) {
			res_fail(res, STATS_NS_TABLE_UNAVAILABLE, "Domain %s: %s", dataset_name(r->domains), why);
			return;
		}
		if (has)
			break;
		if (!r->set.subdomains || (d = strchr(d, '.')) == NULL || *++d == '\0')
			return;
	}
	if (single_key(r, kc, &key, why, sizeof(why), &kr, 0) < 0) {
		res_fail(res, kr, "%s", why);
		return;
	}
	if (rules_signer(r, d, r->selector, NULL, key, &signer, why, sizeof(why)) < 0)
		res_fail(res, STATS_NS_INTERNAL, "Domain %s: %s", d, why);
	else
		res->signer[res->n++] = signer;
	dkim_key_free(key);
}

/* The signers for a sender. */
void
rules_lookup(struct rules *r, struct keycache *kc, const char *local, const char *domain,
    struct rules_result *res)
{
	struct st_search s;

	memset(res, 0, sizeof(*res));
	if (r == NULL || domain == NULL || *domain == '\0')
		return;
	/* Longer than the From parser takes: our caller's mistake, said as it is. */
	if ((local != NULL && strlen(local) > RULES_LOCAL_MAX) ||
	    strlen(domain) > RULES_DOMAIN_MAX) {
		res_fail(res, STATS_NS_BAD_FROM, "From address longer than %d@%d bytes", RULES_LOCAL_MAX,
		    RULES_DOMAIN_MAX);
		return;
	}
	if (r->kt == NULL) {
		single_lookup(r, kc, domain, res);
		return;
	}
	memset(&s, 0, sizeof(s));
	s.r = r;
	s.kc = kc;
	s.domain = domain;
	s.res = res;
	st_search(&s, local ? local : "");
}

/* Free a result's signers. */
void
rules_result_free(struct rules_result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++)
		dkim_signer_free(res->signer[i]);
	res->n = 0;
}

/* State of a walk over the tables (load checks and postdkim -n). */
struct walk {
	struct rules *r;
	struct keycache *kc;	/* -n: keys are loaded too */
	rules_report_fn report;
	void *arg;
	size_t problems;
	size_t dangling;	/* SigningTable entries naming no key */
	int kt_safe_checked;	/* a KeyTable holding keys was checked as a key */
	dkim_key *probe;	/* -n: a good key, to try SigningTable entries' settings with */
	char *err;		/* load: the first syntax error ends the walk */
	size_t errsize;
};

/* Report one problem. */
static void
walk_report(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
walk_report(struct walk *w, const char *fmt, ...)
{
	char msg[1500];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->problems++;
	if (w->err != NULL && w->problems == 1)
		snprintf(w->err, w->errsize, "%s", msg);
	else if (w->report != NULL)
		w->report(w->arg, msg);
}

/* Line of the first KeyTable row of a name. */
static int
kt_first_line(void *arg, const struct dataset_row *row)
{
	*(unsigned *)arg = row->line;
	return 1;
}

/* Check one KeyTable row: syntax, repeats, and (with -n) its key. */
static int
walk_kt(void *arg, const struct dataset_row *row)
{
	struct walk *w = arg;
	struct rules *r = w->r;
	struct ktent k;
	unsigned first = 0;
	char why[1024], where[700];
	dkim_key *key;

	kt_where(r, row->line, row->key, where, sizeof(where));
	if (kt_split(row, &k, why, sizeof(why)) < 0) {
		walk_report(w, "%s: %s", where, why);
		return w->err != NULL;
	}
	if (dataset_is_file(r->kt) &&
	    dataset_lookup(r->kt, row->key, kt_first_line, &first, why, sizeof(why)) > 0 &&
	    first != row->line) {
		walk_report(w, "%s repeated (first at line %u)", where, first);
		return w->err != NULL;
	}
	if (!w->kt_safe_checked && dataset_is_file(r->kt) && !key_is_path(k.key)) {
		/* The key itself is in the table, so the table must be as safe as a key. */
		w->kt_safe_checked = 1;
		if (keysafe_check(dataset_name(r->kt), r->set.keys.uid, r->set.keys.gid, why,
		    sizeof(why)) < 0) {
			if (r->set.keys.require_safe) {
				walk_report(w, "%s holds a key: %s", where, why);
				return w->err != NULL;
			}
			if (w->report != NULL)
				w->report(w->arg, why);
		}
	}
	if (w->kc == NULL)
		return 0;
	if (rules_key(r, w->kc, &k, &key, why, sizeof(why), NULL) < 0) {
		walk_report(w, "%s: %s", where, why);
		return 0;
	}
	if (k.has_alg && dkim_key_alg(key) != k.alg)
		walk_report(w, "%s: the key is %s, the entry says %s", where,
		    dkim_alg_name(dkim_key_alg(key)), dkim_alg_name(k.alg));
	if (w->probe == NULL)
		w->probe = dkim_key_ref(key);
	dkim_key_free(key);
	return 0;
}

/*
 * postdkim -n: would the signature of a SigningTable row build (identity
 * inside the domain, and so on)? Keys were checked with the KeyTable; any
 * good one stands in here, so no key is read twice.
 */
static void
walk_st_settings(struct walk *w, const struct dataset_row *row, const char *v)
{
	struct rules *r = w->r;
	struct kt_found f;
	const char *dom = strrchr(row->key, '@');
	char name[128], ident[512], why[1024], *colon;
	dkim_signer *signer;
	size_t nl = strcspn(v, " \t");

	if (nl >= sizeof(name))
		return;
	memcpy(name, v, nl);
	name[nl] = '\0';
	ident[0] = '\0';
	/* '%' is the sender's domain: the pattern's own, when it names one. */
	dom = dom ? dom + 1 : row->key;
	if (strchr(dom, '*') != NULL || *dom == '.' || *dom == '\0')
		dom = "example.com";
	if ((colon = strchr(name, ':')) != NULL) {
		*colon++ = '\0';
		if (identity_expand(colon, dom, ident, sizeof(ident)) < 0)
			ident[0] = '\0';
	}
	memset(&f, 0, sizeof(f));
	if (dataset_lookup(r->kt, name, kt_take, &f, why, sizeof(why)) <= 0 || f.bad)
		return;	/* reported with the KeyTable, or below */
	if (strcmp(f.k.domain, "%") == 0)
		snprintf(f.k.domain, sizeof(f.k.domain), "%s", dom);
	if (rules_signer(r, f.k.domain, f.k.selector, ident, w->probe, &signer, why,
	    sizeof(why)) < 0)
		walk_report(w, "%s:%u: SigningTable entry '%s' (key '%s'): %s", dataset_name(r->st),
		    row->line, row->key, name, why);
	else
		dkim_signer_free(signer);
}

/* Check one SigningTable row: it names a KeyTable entry. */
static int
walk_st(void *arg, const struct dataset_row *row)
{
	struct walk *w = arg;
	struct rules *r = w->r;
	const char *v = row->nfields ? row->field[0] : "";
	char name[128], why[256];
	size_t nl = strcspn(v, " \t:");

	if (nl == 0 || nl >= sizeof(name)) {
		walk_report(w, "%s:%u: SigningTable entry '%s' names no KeyTable key",
		    dataset_name(r->st), row->line, row->key);
		return w->err != NULL;
	}
	memcpy(name, v, nl);
	name[nl] = '\0';
	if (w->probe != NULL)
		walk_st_settings(w, row, v);
	if (dataset_has(r->kt, name, why, sizeof(why)) == 0) {
		/* Not fatal at load: only this entry's mail is affected. */
		w->dangling++;
		if (w->kc != NULL || w->dangling <= 10) {
			char msg[1024];

			snprintf(msg, sizeof(msg), "%s:%u: SigningTable entry '%s' names key '%s', "
			    "which is not in KeyTable %s%s", dataset_name(r->st), row->line, row->key,
			    name, dataset_name(r->kt), w->kc ? "" : "; its mail will not be signed");
			if (w->kc != NULL)
				walk_report(w, "%s", msg);
			else if (w->report != NULL)
				w->report(w->arg, msg);
		}
	}
	return 0;
}

/* KeyTable + SigningTable. */
int
rules_new_tables(struct rules **out, const struct rules_settings *set,
    struct dataset *keytable, struct dataset *signtable, rules_report_fn warn,
    void *warn_arg, char *err, size_t errsize)
{
	struct rules *r;
	struct walk w;

	*out = NULL;
	if ((r = rules_alloc(set)) == NULL) {
		dataset_close(keytable);
		dataset_close(signtable);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	r->kt = keytable;
	r->st = signtable;
	/* File tables are checked for syntax now; a database answers per message. */
	memset(&w, 0, sizeof(w));
	w.r = r;
	w.report = warn;
	w.arg = warn_arg;
	w.err = err;
	w.errsize = errsize;
	if (dataset_is_file(keytable) && dataset_walk(keytable, walk_kt, &w, err, errsize) < 0)
		w.problems++;
	if (w.problems == 0 && dataset_is_file(signtable) &&
	    dataset_walk(signtable, walk_st, &w, err, errsize) < 0)
		w.problems++;
	if (w.problems > 0) {
		rules_free(r);
		return -1;
	}
	if (w.dangling > 10 && warn != NULL) {
		char msg[200];

		snprintf(msg, sizeof(msg), "%zu more SigningTable entries name no KeyTable key; "
		    "postdkim -n lists them all", w.dangling - 10);
		warn(warn_arg, msg);
	}
	*out = r;
	return 0;
}

/* Check one domain of the Domain list. */
static int
walk_domain(void *arg, const struct dataset_row *row)
{
	struct walk *w = arg;

	/* refile: patterns were checked at load (config_sign.c). */
	if (!dataset_is_patterns(w->r->domains) && !dkim_name_ok(row->key))
		walk_report(w, "%s:%u: Domain '%s' is not a valid domain",
		    dataset_name(w->r->domains), row->line, row->key);
	return 0;
}

/*
 * postdkim -n, a table in a database: connect and run its query once, and
 * say which server answered (through warn, the only other channel -n has).
 * 0, or -1 when the table cannot be read (reported).
 */
static int
check_database(struct walk *w, const char *what, struct dataset *ds, rules_report_fn warn)
{
	char info[512], err[1024], msg[1200];

	if (dataset_is_file(ds))
		return 0;
	if (dataset_check(ds, info, sizeof(info), err, sizeof(err)) < 0) {
		walk_report(w, "%s %s", what, err);
		return -1;
	}
	if (warn != NULL &&
	    (strncmp(dataset_name(ds), "dsn:", 4) == 0 ||
	    strncasecmp(dataset_name(ds), "ldap", 4) == 0)) {
		snprintf(msg, sizeof(msg), "%s %s: %s answers", what, dataset_name(ds), info);
		warn(w->arg, msg);
	}
	return 0;
}

/* postdkim -n: every entry, every key. */
size_t
rules_check_all(struct rules *r, rules_report_fn report, rules_report_fn warn, void *arg)
{
	struct walk w;
	char err[1024];
	dkim_key *key;

	memset(&w, 0, sizeof(w));
	w.r = r;
	w.report = report;
	w.arg = arg;
	/* A cache of one: each key is read and decoded once, nothing is kept. */
	if ((w.kc = keycache_new(1, warn, arg)) == NULL) {
		report(arg, "out of memory");
		return 1;
	}
	if (r->kt == NULL) {
		if (single_key(r, w.kc, &key, err, sizeof(err), NULL, 0) < 0)
			walk_report(&w, "%s", err);
		else
			dkim_key_free(key);
		if (dataset_walk(r->domains, walk_domain, &w, err, sizeof(err)) < 0)
			walk_report(&w, "Domain %s: %s", dataset_name(r->domains), err);
	} else {
		if (check_database(&w, "KeyTable", r->kt, warn) == 0 &&
		    dataset_walk(r->kt, walk_kt, &w, err, sizeof(err)) < 0)
			walk_report(&w, "KeyTable %s: %s", dataset_name(r->kt), err);
		if (check_database(&w, "SigningTable", r->st, warn) == 0 &&
		    dataset_walk(r->st, walk_st, &w, err, sizeof(err)) < 0)
			walk_report(&w, "SigningTable %s: %s", dataset_name(r->st), err);
	}
	keycache_free(w.kc);
	dkim_key_free(w.probe);
	return w.problems;
}
