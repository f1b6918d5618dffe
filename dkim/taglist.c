/*
 * taglist.c - strict tag=value list parser (RFC 6376 §3.2).
 *
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *( ALPHA / DIGIT / "_" )
 *   tag-value = [ tval *( 1*(WSP / FWS) tval ) ],  tval = 1*(%x21-3A / %x3C-7E)
 */
#include <string.h>
#include <strings.h>

#include "taglist.h"

/* Skip folding whitespace: WSP, and CRLF only when WSP follows it. */
static size_t
skip_fws(const char *s, size_t len, size_t pos)
{
	while (pos < len) {
		if (s[pos] == ' ' || s[pos] == '\t')
			pos++;
		else if (s[pos] == '\r' && pos + 2 < len && s[pos + 1] == '\n' &&
		    (s[pos + 2] == ' ' || s[pos + 2] == '\t'))
			pos += 3;
		else
			break;
	}
	return pos;
}

static int
is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
is_valchar(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ';';
}

/* Parse a tag list into tl; names and values point into s. */
int
dkim_taglist_parse(const char *s, size_t len, dkim_taglist *tl, dkim_err *err)
{
	size_t pos = 0, i, nstart, vstart, vend;
	dkim_tag *t;

	tl->n = 0;
	pos = skip_fws(s, len, pos);
	if (pos == len)
		return DKIM_OK;		/* an empty list */
	for (;;) {
		pos = skip_fws(s, len, pos);
		if (pos == len) {
			/* Only a trailing ";" may leave nothing after it. */
			if (tl->n == 0)
				return dkim_err_set(err, DKIM_ERR_SYNTAX, "empty tag list");
			return DKIM_OK;
		}
		if (s[pos] == ';')
			return dkim_err_set(err, DKIM_ERR_SYNTAX,
			    "empty tag-spec at offset %zu", pos);
		nstart = pos;
		if (!is_alpha((unsigned char)s[pos]))
			return dkim_err_set(err, DKIM_ERR_SYNTAX,
			    "bad tag name at offset %zu", pos);
		while (pos < len && (is_alpha((unsigned char)s[pos]) ||
		    (s[pos] >= '0' && s[pos] <= '9') || s[pos] == '_'))
			pos++;
		if (tl->n == DKIM_TAGS_MAX)
			return dkim_err_set(err, DKIM_ERR_TOOBIG,
			    "more than %d tags", DKIM_TAGS_MAX);
		t = &tl->tags[tl->n];
		t->name = s + nstart;
		t->nlen = pos - nstart;
		pos = skip_fws(s, len, pos);
		if (pos == len || s[pos] != '=')
			return dkim_err_set(err, DKIM_ERR_SYNTAX,
			    "tag '%.*s': '=' expected", (int)t->nlen, t->name);
		pos = skip_fws(s, len, pos + 1);
		vstart = vend = pos;
		while (pos < len && s[pos] != ';') {
			size_t next = skip_fws(s, len, pos);

			if (next > pos) {
				pos = next;	/* inner or trailing FWS */
				continue;
			}
			if (!is_valchar((unsigned char)s[pos]))
				return dkim_err_set(err, DKIM_ERR_SYNTAX,
				    "tag '%.*s': bad character 0x%02x in value",
				    (int)t->nlen, t->name, (unsigned char)s[pos]);
			vend = ++pos;
		}
		t->value = s + vstart;
		t->vlen = vend - vstart;
		for (i = 0; i < tl->n; i++)
			if (tl->tags[i].nlen == t->nlen &&
			    memcmp(tl->tags[i].name, t->name, t->nlen) == 0)
				return dkim_err_set(err, DKIM_ERR_SYNTAX,
				    "duplicate tag '%.*s'", (int)t->nlen, t->name);
		tl->n++;
		if (pos == len)
			return DKIM_OK;
		pos++;			/* the ';' */
	}
}

/* Find a tag by name. */
const dkim_tag *
dkim_taglist_get(const dkim_taglist *tl, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < tl->n; i++)
		if (tl->tags[i].nlen == n && memcmp(tl->tags[i].name, name, n) == 0)
			return &tl->tags[i];
	return NULL;
}

/* Compare a tag's value with a string. */
int
dkim_tag_is(const dkim_tag *t, const char *want)
{
	return t != NULL && strlen(want) == t->vlen && memcmp(t->value, want, t->vlen) == 0;
}

/* Is FWS (for the list items below). */
static int
is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Nonzero when a colon-separated list holds the word. */
int
dkim_tag_list_has(const char *v, size_t n, const char *word)
{
	size_t i = 0, s, e, wl = strlen(word);

	while (i <= n) {
		s = i;
		while (i < n && v[i] != ':')
			i++;
		e = i;
		while (s < e && is_fws(v[s]))
			s++;
		while (e > s && is_fws(v[e - 1]))
			e--;
		if (e - s == wl && strncasecmp(v + s, word, wl) == 0)
			return 1;
		i++;
	}
	return 0;
}
