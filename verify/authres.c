/*
 * authres.c - writing our Authentication-Results value, reading the
 * authserv-id of others (RFC 8601, with RFC 5322 CFWS and RFC 2045 tokens).
 *
 * Values are written as tokens when they can be, otherwise as quoted
 * strings; header.b is base64 and so usually has a '/' or '+' in its first
 * characters: '/' is a tspecial, so such a prefix is quoted. Comments carry
 * the key size, DNSSEC state, test mode, how much of the body l= left
 * unsigned and, for anything but a pass, the reason,
 * with parentheses and backslashes escaped and control bytes replaced.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "authres.h"

/* RFC 2045 tspecials, plus SP and controls: what a token may not hold. */
static int
is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* A byte safe inside a quoted string or a comment, or '?' in its place. */
static unsigned char
safe_char(unsigned char c)
{
	return (c < 0x20 || c == 0x7f) ? '?' : c;
}

/* Append a value as a token, or as a quoted string when it cannot be one. */
static void
put_value(dbuf *out, const char *v)
{
	const unsigned char *p;
	int token = *v != '\0';

	for (p = (const unsigned char *)v; *p && token; p++)
		token = is_token_char(*p);
	if (token) {
		dbuf_adds(out, v);
		return;
	}
	dbuf_addc(out, '"');
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			dbuf_addc(out, '\\');
		dbuf_addc(out, safe_char(*p));
	}
	dbuf_addc(out, '"');
}

/* Characters of a dot-atom (RFC 5322 atext plus '.'). */
static int
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

/* header.i: local@domain written bare when both parts are plain, else quoted. */
static void
put_identity(dbuf *out, const char *v)
{
	const char *at = strrchr(v, '@'), *p;
	int plain = at != NULL && at[1] != '\0';

	for (p = v; plain && p < at; p++)
		plain = is_atext((unsigned char)*p);
	for (p = at ? at + 1 : v; plain && *p; p++)
		plain = is_token_char((unsigned char)*p);
	if (plain)
		dbuf_adds(out, v);
	else
		put_value(out, v);
}

/* Append comment text, escaping what would end or nest the comment. */
static void
put_comment_text(dbuf *out, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '(' || *p == ')' || *p == '\\')
			dbuf_addc(out, '\\');
		dbuf_addc(out, safe_char(*p));
	}
}

/* Length of the shortest prefix (at least AUTHRES_BMIN) of res[i]'s b= unique in res. */
static size_t
b_unique_len(const dkim_vresult *res, size_t n, size_t i)
{
	const char *b = res[i].bprefix;
	size_t len = strlen(b), want = AUTHRES_BMIN, j, k;

	for (j = 0; j < n; j++) {
		if (j == i)
			continue;
		/* Common prefix length: one more than that tells them apart. */
		for (k = 0; b[k] != '\0' && b[k] == res[j].bprefix[k]; k++)
			;
		if (k + 1 > want)
			want = k + 1;
	}
	return want < len ? want : len;
}

/* Append one resinfo. */
static void
put_result(dbuf *out, const dkim_vresult *res, size_t n, size_t i)
{
	static const char *const dnssec[] = { NULL, "secure", "unprotected", "bogus" };
	const dkim_vresult *r = &res[i];
	char b[DKIM_BPREFIX_MAX + 1];
	const char *sep = "";
	size_t blen;

	dbuf_adds(out, "dkim=");
	dbuf_adds(out, dkim_vstatus_result(r->status));
	if (r->bits > 0) {
		dbuf_printf(out, " (%d-bit key", r->bits);
		sep = "; ";
	}
	if (r->dnssec > 0 && r->dnssec < 4) {
		dbuf_printf(out, "%s%s", *sep ? sep : " (", dnssec[r->dnssec]);
		sep = "; ";
	}
	if (r->testing) {
		dbuf_printf(out, "%stest mode", *sep ? sep : " (");
		sep = "; ";
	}
	if (r->body_len > r->signed_len) {	/* content after l= */
		dbuf_printf(out, "%sbody truncated: l=%llu of %llu", *sep ? sep : " (",
		    r->signed_len, r->body_len);
		sep = "; ";
	}
	if (r->status != DKIM_V_PASS) {
		dbuf_adds(out, *sep ? sep : " (");
		put_comment_text(out, r->reason[0] ? r->reason : dkim_vstatus_name(r->status));
		sep = "; ";
	}
	if (*sep)
		dbuf_addc(out, ')');
	if (r->domain[0]) {
		dbuf_adds(out, " header.d=");
		put_value(out, r->domain);
	}
	if (r->identity[0]) {
		dbuf_adds(out, " header.i=");
		put_identity(out, r->identity);
	}
	if (r->selector[0]) {
		dbuf_adds(out, " header.s=");
		put_value(out, r->selector);
	}
	if (r->algname[0]) {
		dbuf_adds(out, " header.a=");
		put_value(out, r->algname);
	}
	if (r->bprefix[0]) {
		blen = b_unique_len(res, n, i);
		memcpy(b, r->bprefix, blen);
		b[blen] = '\0';
		/*
		 * header.b last: it is often quoted (a '/' in its prefix), and
		 * python3-authres drops a quoted property value not at the end.
		 */
		dbuf_adds(out, " header.b=");
		put_value(out, b);
	}
}

/*
 * The authserv-id: a token, except that "host/queue-id" (AuthservIDWithJobID)
 * is written bare as OpenDKIM writes it and A-R readers expect it, though
 * '/' is a tspecial; anything else not a token is quoted.
 */
static void
put_authserv_id(dbuf *out, const char *id)
{
	const unsigned char *p;
	int bare = *id != '\0';

	for (p = (const unsigned char *)id; *p && bare; p++)
		bare = is_token_char(*p) || *p == '/';
	if (bare)
		dbuf_adds(out, id);
	else
		put_value(out, id);
}

/* Build our field value. */
int
authres_build(dbuf *out, const char *authserv_id, const dkim_vresult *res, size_t n,
    const char *fold)
{
	size_t i;

	put_authserv_id(out, authserv_id);
	dbuf_addc(out, ';');
	if (n == 0) {
		dbuf_adds(out, fold);
		dbuf_adds(out, "dkim=none");
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			dbuf_addc(out, ';');
		dbuf_adds(out, fold);
		put_result(out, res, n, i);
	}
	return dbuf_failed(out) ? -1 : 0;
}

/* White space and the line breaks of folding. */
static int
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Skip CFWS: white space, folds and comments, nested to any depth (a
 * counter, not recursion: one pass over the bytes). A ')' that closes no
 * comment is skipped too: it cannot hide the id that follows. Returns -1
 * when a comment is still open at the end of the value.
 */
static int
skip_cfws(const char *v, size_t len, size_t *pos)
{
	size_t i, depth = 0;

	for (i = *pos; i < len; i++) {
		if (depth > 0 && v[i] == '\\' && i + 1 < len)
			i++;
		else if (v[i] == '(')
			depth++;
		else if (v[i] == ')' && depth > 0)
			depth--;
		else if (v[i] == ')')
			continue;	/* closes nothing */
		else if (depth == 0 && !is_wsp(v[i]))
			break;
	}
	*pos = i;
	return depth == 0 ? 0 : -1;
}

/*
 * Read the authserv-id a value starts with. What follows it is not
 * checked: a reader that shows a malformed field names the same id, so the
 * field is judged by it (a forged field that names us is removed even when
 * the rest of it is junk).
 */
int
authres_parse_id(const char *v, size_t len, dbuf *id)
{
	size_t pos = 0, start;

	if (skip_cfws(v, len, &pos) != 0 || pos == len)
		return -1;
	if (v[pos] == '"') {
		/* Up to the closing quote, or the end of an unterminated one. */
		for (pos++; pos < len && v[pos] != '"'; pos++) {
			if (v[pos] == '\\' && pos + 1 < len)
				pos++;
			if (v[pos] == '\r' || v[pos] == '\n')
				continue;	/* folded inside the quotes */
			dbuf_addc(id, v[pos]);
		}
		return 0;
	}
	/* RFC 2045 token; '/' is tolerated so "host/jobid" reads as one id. */
	for (start = pos; pos < len && (is_token_char((unsigned char)v[pos]) || v[pos] == '/' ||
	    (unsigned char)v[pos] >= 0x80); pos++)
		;
	if (pos == start)
		return -1;
	dbuf_add(id, v + start, pos - start);
	return 0;
}

/* Length of an id up to its first '/'. */
static size_t
id_len(const char *s)
{
	const char *slash = strchr(s, '/');

	return slash ? (size_t)(slash - s) : strlen(s);
}

/* ASCII lower case, whatever the locale: ids are compared and hashed alike. */
static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Does id name us? */
int
authres_id_is(const char *id, const char *ours)
{
	size_t a = id_len(id), b = id_len(ours), i;

	if (a != b || a == 0)
		return 0;
	for (i = 0; i < a; i++)
		if (lower((unsigned char)id[i]) != lower((unsigned char)ours[i]))
			return 0;
	return 1;
}

/* FNV-1a (64 bits) of an id up to its first '/', without case. */
uint64_t
authres_id_hash(const char *id)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i, n = id_len(id);

	for (i = 0; i < n; i++) {
		h ^= lower((unsigned char)id[i]);
		h *= 1099511628211ULL;
	}
	return h;
}

/* Is id in the RemoveARFrom list? */
int
authres_id_listed(const char *id, const char *const *names, size_t n)
{
	size_t i, il = id_len(id), nl;

	for (i = 0; i < n; i++) {
		nl = strlen(names[i]);
		if (names[i][0] == '.' && il > nl &&
		    strncasecmp(id + il - nl, names[i], nl) == 0)
			return 1;
		if (nl == il && strncasecmp(id, names[i], nl) == 0)
			return 1;
	}
	return 0;
}
