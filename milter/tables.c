/*
 * tables.c - data sets, the private key cache, and signing rules from
 * KeyTable + SigningTable, in OpenDKIM's formats:
 *
 *	KeyTable	name	domain:selector:/path/to/key
 *	SigningTable	pattern	name[:identity]
 *
 * Everything is checked here, at load, so that a configuration that loads
 * can sign: a SigningTable line naming no KeyTable entry, an unreadable or
 * unsafe key, an identity outside its domain are startup errors with the
 * table's file and line.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keysafe.h"
#include "tables.h"

/* Data set types of OpenDKIM that need libraries postdkim does not use. */
static const char *const unsupported_types[] = {
	"db", "dsn", "ldap", "ldaps", "ldapi", "lua", "memcache", "redis", "mdb",
	"erlang", "rep", "socket", NULL
};

/* Nonzero when s is a dotted name of 1-63 byte labels (d=, s=). */
int
tables_name_ok(const char *s)
{
	size_t label = 0, total = 0;

	for (; *s; s++, total++) {
		if (*s == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)*s) || *s == '-' || *s == '_') {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return label > 0 && total <= 253;
}

/* Append an entry (key and value copied). */
static int
table_push(struct table *t, const char *key, size_t klen, const char *value, size_t vlen,
    unsigned line)
{
	struct table_entry *v;
	char *k, *val;

	if ((v = realloc(t->v, (t->n + 1) * sizeof(*v))) == NULL)
		return -1;
	t->v = v;
	if ((k = strndup(key, klen)) == NULL)
		return -1;
	if ((val = strndup(value, vlen)) == NULL) {
		free(k);
		return -1;
	}
	t->v[t->n].key = k;
	t->v[t->n].value = val;
	t->v[t->n].line = line;
	t->n++;
	return 0;
}

/* Add the words of s (separated by commas and white space) as entries. */
static int
table_words(struct table *t, const char *s, unsigned line)
{
	size_t n;

	for (;;) {
		s += strspn(s, ", \t\r\n");
		if (*s == '\0')
			return 0;
		n = strcspn(s, ", \t\r\n");
		if (table_push(t, s, n, "", 0, line) < 0)
			return -1;
		s += n;
	}
}

/* Add one map line: the first word is the key, the rest the value. */
static int
table_mapline(struct table *t, const char *s, unsigned line)
{
	size_t klen, vlen;
	const char *v;

	klen = strcspn(s, " \t");
	v = s + klen;
	v += strspn(v, " \t");
	vlen = strlen(v);
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	return table_push(t, s, klen, v, vlen, line);
}

/* Read a table file line by line; '#' starts a comment. */
static int
table_read(struct table *t, enum table_mode mode, char *err, size_t errsize)
{
	char buf[TABLE_LINE_MAX + 2];
	unsigned line = 0;
	size_t len;
	char *s, *hash;
	FILE *fp;

	if ((fp = fopen(t->path, "r")) == NULL) {
		snprintf(err, errsize, "%s: %s", t->path, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		line++;
		len = strlen(buf);
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		else if (!feof(fp)) {
			snprintf(err, errsize, "%s:%u: line longer than %d bytes", t->path, line,
			    TABLE_LINE_MAX);
			fclose(fp);
			return -1;
		}
		if ((hash = strchr(buf, '#')) != NULL)
			*hash = '\0';
		len = strlen(buf);
		while (len > 0 && isspace((unsigned char)buf[len - 1]))
			buf[--len] = '\0';
		s = buf + strspn(buf, " \t");
		if (*s == '\0')
			continue;
		if ((mode == TABLE_LIST ? table_words(t, s, line) : table_mapline(t, s, line)) < 0) {
			snprintf(err, errsize, "out of memory");
			fclose(fp);
			return -1;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errsize, "%s: read error: %s", t->path, strerror(errno));
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
}

/* Make a table file path absolute against the configuration's directory. */
static char *
table_path(const char *path, const char *cfgpath)
{
	const char *slash;
	char *out;
	size_t dlen;

	if (path[0] == '/' || (slash = strrchr(cfgpath, '/')) == NULL)
		return strdup(path);
	dlen = (size_t)(slash - cfgpath);
	if ((out = malloc(dlen + 1 + strlen(path) + 1)) == NULL)
		return NULL;
	memcpy(out, cfgpath, dlen);
	out[dlen] = '/';
	strcpy(out + dlen + 1, path);
	return out;
}

/* Load a data set as written in the configuration. */
int
table_load(struct table *t, const char *spec, enum table_mode mode, const char *cfgpath,
    unsigned cfgline, char *err, size_t errsize)
{
	const char *file = NULL, *colon;
	size_t i, tl;

	memset(t, 0, sizeof(*t));
	if (strncasecmp(spec, "file:", 5) == 0)
		file = spec + 5;
	else if (strncasecmp(spec, "refile:", 7) == 0) {
		file = spec + 7;
		t->refile = 1;
	} else if (strncasecmp(spec, "csl:", 4) == 0)
		spec += 4;
	else if (spec[0] == '/')
		file = spec;
	else if ((colon = strchr(spec, ':')) != NULL) {
		tl = (size_t)(colon - spec);
		for (i = 0; unsupported_types[i]; i++)
			if (strlen(unsupported_types[i]) == tl &&
			    strncasecmp(spec, unsupported_types[i], tl) == 0) {
				snprintf(err, errsize, "data set type '%.*s:' is not supported; "
				    "use a file (file:PATH, refile:PATH) or a list", (int)tl, spec);
				return -1;
			}
	}
	if (file == NULL) {
		if (mode == TABLE_MAP) {
			snprintf(err, errsize, "'%s' must be a file (file:PATH or an absolute path)",
			    spec);
			return -1;
		}
		if ((t->path = strdup(cfgpath)) == NULL || table_words(t, spec, cfgline) < 0)
			goto nomem;
		return 0;
	}
	if (*file == '\0') {
		snprintf(err, errsize, "empty file name");
		return -1;
	}
	t->is_file = 1;
	if ((t->path = table_path(file, cfgpath)) == NULL)
		goto nomem;
	if (table_read(t, mode, err, errsize) < 0) {
		table_free(t);
		return -1;
	}
	return 0;
nomem:
	table_free(t);
	snprintf(err, errsize, "out of memory");
	return -1;
}

/* Free a table's entries and path. */
void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].key);
		free(t->v[i].value);
	}
	free(t->v);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

/* Copy a message, prefixing the path unless the message already names it. */
static void
key_error(char *err, size_t errsize, const char *path, const char *msg)
{
	if (strncmp(msg, path, strlen(path)) == 0)
		snprintf(err, errsize, "%s", msg);
	else
		snprintf(err, errsize, "%s: %s", path, msg);
}

/* The key in file path, loaded and checked on first use. */
int
key_cache_get(struct key_cache *c, const char *path, dkim_key **out, char *err,
    size_t errsize)
{
	struct key_cache_entry *v;
	char real[PATH_MAX], why[512], msg[700];
	dkim_err derr;
	dkim_key *key;
	size_t i;

	if (realpath(path, real) == NULL) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].path, real) == 0) {
			*out = c->v[i].key;
			return 0;
		}
	if (keysafe_check(path, c->uid, why, sizeof(why)) < 0) {
		if (c->require_safe) {
			snprintf(err, errsize, "%s", why);
			return -1;
		}
		if (c->warn) {
			snprintf(msg, sizeof(msg), "%s (RequireSafeKeys no: used anyway)", why);
			c->warn(c->warn_arg, msg);
		}
	}
	memset(&derr, 0, sizeof(derr));
	if (dkim_key_load_file(path, &key, &derr) != DKIM_OK) {
		key_error(err, errsize, path, derr.msg);
		return -1;
	}
	if ((v = realloc(c->v, (c->n + 1) * sizeof(*v))) == NULL) {
		dkim_key_free(key);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	c->v = v;
	if ((v[c->n].path = strdup(real)) == NULL) {
		dkim_key_free(key);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	v[c->n].key = key;
	c->n++;
	*out = key;
	return 0;
}

/* Drop the cache's key references (signers keep their own). */
void
key_cache_free(struct key_cache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].path);
		dkim_key_free(c->v[i].key);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

/* Append one rule; on failure the signer is freed. */
int
tables_add_rule(struct config *cfg, const char *pattern, int is_glob, const char *keyname,
    dkim_signer *signer)
{
	struct config_rule *v, *r;

	if ((v = realloc(cfg->rules, (cfg->nrules + 1) * sizeof(*v))) == NULL) {
		dkim_signer_free(signer);
		return -1;
	}
	cfg->rules = v;
	r = &v[cfg->nrules];
	memset(r, 0, sizeof(*r));
	if ((r->pattern = strdup(pattern)) == NULL ||
	    (r->keyname = strdup(keyname)) == NULL) {
		free(r->pattern);
		dkim_signer_free(signer);
		return -1;
	}
	r->is_glob = is_glob;
	r->signer = signer;
	cfg->nrules++;
	return 0;
}

/* One KeyTable entry, split. */
struct ktent {
	const struct table_entry *e;
	char *domain, *selector, *keyspec;
	dkim_key *key;		/* loaded when a SigningTable line uses it */
};

/* Split "domain:selector:key" of KeyTable entry e. */
static int
kt_split(const struct table *kt, const struct table_entry *e, struct ktent *k, char *err,
    size_t errsize)
{
	const char *v = e->value, *c1, *c2;

	memset(k, 0, sizeof(*k));
	k->e = e;
	if ((c1 = strchr(v, ':')) == NULL || (c2 = strchr(c1 + 1, ':')) == NULL ||
	    c1 == v || c2 == c1 + 1 || c2[1] == '\0') {
		snprintf(err, errsize, "%s:%u: KeyTable entry '%s': value must be "
		    "domain:selector:keyfile", kt->path, e->line, e->key);
		return -1;
	}
	if (c1 - v == 1 && v[0] == '%') {
		/* Needs a signer per sender domain, built per message. */
		snprintf(err, errsize, "%s:%u: KeyTable entry '%s': '%%' as the domain is not "
		    "supported; write the domain", kt->path, e->line, e->key);
		return -1;
	}
	if ((k->domain = strndup(v, (size_t)(c1 - v))) == NULL ||
	    (k->selector = strndup(c1 + 1, (size_t)(c2 - c1 - 1))) == NULL ||
	    (k->keyspec = strdup(c2 + 1)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (!tables_name_ok(k->domain) || !tables_name_ok(k->selector)) {
		snprintf(err, errsize, "%s:%u: KeyTable entry '%s': '%s' is not a valid %s",
		    kt->path, e->line, e->key, tables_name_ok(k->domain) ? k->selector :
		    k->domain, tables_name_ok(k->domain) ? "selector" : "domain");
		return -1;
	}
	return 0;
}

/* Load the key of KeyTable entry k (a file, or a key written in the table). */
static int
kt_load(const struct table *kt, struct ktent *k, struct key_cache *kc, char *err,
    size_t errsize)
{
	const char *s = k->keyspec;
	char why[512], *path;
	dkim_err derr;
	int rc;

	if (k->key != NULL)
		return 0;
	if (s[0] == '/' || strncmp(s, "./", 2) == 0 || strncmp(s, "../", 3) == 0) {
		/* Relative key paths are taken from the KeyTable's directory. */
		if ((path = table_path(s, kt->path)) == NULL) {
			snprintf(err, errsize, "out of memory");
			return -1;
		}
		rc = key_cache_get(kc, path, &k->key, why, sizeof(why));
		free(path);
		if (rc < 0) {
			snprintf(err, errsize, "%s:%u: KeyTable entry '%s': %s", kt->path,
			    k->e->line, k->e->key, why);
			return -1;
		}
		/* The cache holds the reference; take one for this entry. */
		k->key = dkim_key_ref(k->key);
		return 0;
	}
	/* The key itself is in the table, so the table must be as safe as a key. */
	if (keysafe_check(kt->path, kc->uid, why, sizeof(why)) < 0) {
		if (kc->require_safe) {
			snprintf(err, errsize, "%s:%u: KeyTable entry '%s' holds a key: %s", kt->path,
			    k->e->line, k->e->key, why);
			return -1;
		}
		if (kc->warn)
			kc->warn(kc->warn_arg, why);
	}
	memset(&derr, 0, sizeof(derr));
	if (dkim_key_load_mem(s, strlen(s), &k->key, &derr) != DKIM_OK) {
		snprintf(err, errsize, "%s:%u: KeyTable entry '%s': %s", kt->path, k->e->line,
		    k->e->key, derr.msg);
		return -1;
	}
	return 0;
}

/* Resolve '%' in an identity to the domain of a literal SigningTable key. */
static char *
identity_expand(const char *ident, const char *pattern, int refile)
{
	const char *at = strchr(pattern, '@'), *dom = at ? at + 1 : pattern;
	size_t n = 0, dl = strlen(dom);
	const char *p;
	char *out, *o;

	if (strchr(ident, '%') == NULL)
		return strdup(ident);
	if (refile || strchr(dom, '*') != NULL || dom[0] == '.' || dom[0] == '\0')
		return NULL;
	for (p = ident; *p; p++)
		n += *p == '%' ? dl : 1;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (o = out, p = ident; *p; p++) {
		if (*p == '%') {
			memcpy(o, dom, dl);
			o += dl;
		} else
			*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* Free the split KeyTable. */
static void
kt_free(struct ktent *k, size_t n)
{
	size_t i;

	for (i = 0; k != NULL && i < n; i++) {
		free(k[i].domain);
		free(k[i].selector);
		free(k[i].keyspec);
		dkim_key_free(k[i].key);
	}
	free(k);
}

/* Build one rule from SigningTable entry e. */
static int
st_rule(struct config *cfg, const struct table *kt, struct ktent *ks,
    const struct table *st, const struct table_entry *e, const dkim_signer_opts *tmpl,
    struct key_cache *kc, char *err, size_t errsize)
{
	dkim_signer_opts o = *tmpl;
	dkim_signer *signer;
	char *name, *colon, *ident = NULL;
	dkim_err derr;
	size_t i;

	if (e->value[0] == '\0') {
		snprintf(err, errsize, "%s:%u: SigningTable entry '%s' names no KeyTable key",
		    st->path, e->line, e->key);
		return -1;
	}
	if ((name = strdup(e->value)) == NULL)
		goto nomem;
	name[strcspn(name, " \t")] = '\0';
	if ((colon = strchr(name, ':')) != NULL) {
		*colon++ = '\0';
		if ((ident = identity_expand(colon, e->key, st->refile)) == NULL) {
			snprintf(err, errsize, "%s:%u: SigningTable entry '%s': cannot expand '%%' "
			    "in identity '%s' (needs a literal domain)", st->path, e->line, e->key,
			    colon);
			free(name);
			return -1;
		}
	}
	for (i = 0; i < kt->n; i++)
		if (strcmp(ks[i].e->key, name) == 0)
			break;
	if (i == kt->n) {
		snprintf(err, errsize, "%s:%u: SigningTable entry '%s' names key '%s', which is "
		    "not in KeyTable %s", st->path, e->line, e->key, name, kt->path);
		goto fail;
	}
	if (kt_load(kt, &ks[i], kc, err, errsize) < 0)
		goto fail;
	o.domain = ks[i].domain;
	o.selector = ks[i].selector;
	o.identity = ident && *ident ? ident : NULL;
	memset(&derr, 0, sizeof(derr));
	if (dkim_signer_new(&o, ks[i].key, &signer, &derr) != DKIM_OK) {
		snprintf(err, errsize, "%s:%u: SigningTable entry '%s' (key '%s', %s:%u): %s",
		    st->path, e->line, e->key, name, kt->path, ks[i].e->line, derr.msg);
		goto fail;
	}
	if (tables_add_rule(cfg, e->key, st->refile, name, signer) < 0)
		goto nomem;
	free(name);
	free(ident);
	return 0;
nomem:
	snprintf(err, errsize, "out of memory");
fail:
	free(name);
	free(ident);
	return -1;
}

/* Build cfg->rules from KeyTable and SigningTable. */
int
tables_build_rules(struct config *cfg, const struct table *kt, const struct table *st,
    const dkim_signer_opts *tmpl, struct key_cache *kc, char *err, size_t errsize)
{
	struct ktent *ks;
	size_t i, j;

	if (kt->n == 0) {
		snprintf(err, errsize, "%s: KeyTable is empty", kt->path);
		return -1;
	}
	if (st->n == 0) {
		snprintf(err, errsize, "%s: SigningTable is empty", st->path);
		return -1;
	}
	if ((ks = calloc(kt->n, sizeof(*ks))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	for (i = 0; i < kt->n; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(kt->v[j].key, kt->v[i].key) == 0) {
				snprintf(err, errsize, "%s:%u: KeyTable entry '%s' repeated (first at "
				    "line %u)", kt->path, kt->v[i].line, kt->v[i].key, kt->v[j].line);
				goto fail;
			}
		if (kt_split(kt, &kt->v[i], &ks[i], err, errsize) < 0)
			goto fail;
	}
	for (i = 0; i < st->n; i++)
		if (st_rule(cfg, kt, ks, st, &st->v[i], tmpl, kc, err, errsize) < 0)
			goto fail;
	kt_free(ks, kt->n);
	return 0;
fail:
	kt_free(ks, kt->n);
	return -1;
}
