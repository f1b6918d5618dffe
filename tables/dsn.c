/*
 * dsn.c - parse a Data Store Name (OpenDKIM's dsn: syntax) into its parts.
 *
 * OpenDKIM splits the DSN at its punctuation and allows none of
 * ":/@+?=" inside a value; every DSN it accepts is read the same way
 * here. The user name ends at the first ':' and the host part starts
 * after the last '@', so a password may hold ':' and '@' as well.
 * Unknown parameters are refused rather than ignored: a misspelt
 * "datacol" should stop the daemon, not sign with the wrong column.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include "dsn.h"

#define DSN_IDENT_MAX 63	/* PostgreSQL's and MariaDB's identifier limit (64) */

/* A copy of s[0..n), or NULL when out of memory. */
static char *
dsn_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* Nonzero when s[0..n) is a plain SQL identifier (letters, digits, _ and $). */
static int
dsn_ident_part(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > DSN_IDENT_MAX || isdigit((unsigned char)s[0]) || s[0] == '$')
		return 0;
	for (i = 0; i < n; i++)
		if (!(isascii((unsigned char)s[i]) && (isalnum((unsigned char)s[i]) ||
		    s[i] == '_' || s[i] == '$')))
			return 0;
	return 1;
}

/* Nonzero when s is an identifier, or (dotted allowed) schema.identifier. */
static int
dsn_ident(const char *s, int dotted)
{
	const char *dot = strchr(s, '.');

	if (dot == NULL)
		return dsn_ident_part(s, strlen(s));
	return dotted && dsn_ident_part(s, (size_t)(dot - s)) && dsn_ident(dot + 1, 0);
}

/* The value of a hexadecimal digit. */
static int
dsn_hex(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Decode OpenDKIM's =XX escapes of a filter in place. */
static void
dsn_unescape(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '=' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
			*w++ = (char)(dsn_hex((unsigned char)s[1]) * 16 + dsn_hex((unsigned char)s[2]));
			s += 2;
		} else
			*w++ = *s;
	}
	*w = '\0';
}

/* Split the datacol list into d->datacol. */
static int
dsn_datacols(struct dsn *d, const char *v, char *err, size_t errsize)
{
	size_t n;

	for (;;) {
		n = strcspn(v, ",");
		if (d->ndatacol == DATASET_FIELDS_MAX) {
			snprintf(err, errsize, "more than %d columns in datacol", DATASET_FIELDS_MAX);
			return -1;
		}
		if ((d->datacol[d->ndatacol] = dsn_strndup(v, n)) == NULL) {
			snprintf(err, errsize, "out of memory");
			return -1;
		}
		if (!dsn_ident(d->datacol[d->ndatacol++], 0)) {
			snprintf(err, errsize, "datacol: '%.*s' is not a column name (letters, "
			    "digits, '_' and '$')", (int)n, v);
			return -1;
		}
		if (v[n] == '\0')
			return 0;
		v += n + 1;
	}
}

/* One "key=value" parameter. */
static int
dsn_param(struct dsn *d, const char *p, size_t len, char *err, size_t errsize)
{
	const char *eq = memchr(p, '=', len);
	char *v;
	size_t klen;
	int rc = 0;

	if (eq == NULL || eq == p) {
		snprintf(err, errsize, "'%.*s' is not key=value", (int)len, p);
		return -1;
	}
	klen = (size_t)(eq - p);
	if ((v = dsn_strndup(eq + 1, len - klen - 1)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (klen == 5 && strncasecmp(p, "table", 5) == 0 && d->table == NULL) {
		d->table = v;
		if (!dsn_ident(v, 1)) {
			snprintf(err, errsize, "table: '%s' is not a table name (letters, digits, "
			    "'_' and '$', optionally schema.table)", v);
			rc = -1;
		}
		return rc;
	}
	if (klen == 6 && strncasecmp(p, "keycol", 6) == 0 && d->keycol == NULL) {
		d->keycol = v;
		if (!dsn_ident(v, 0)) {
			snprintf(err, errsize, "keycol: '%s' is not a column name (letters, "
			    "digits, '_' and '$')", v);
			rc = -1;
		}
		return rc;
	}
	if (klen == 6 && strncasecmp(p, "filter", 6) == 0 && d->filter == NULL) {
		dsn_unescape(v);
		d->filter = v;
		return 0;
	}
	if (klen == 7 && strncasecmp(p, "datacol", 7) == 0 && d->ndatacol == 0)
		rc = dsn_datacols(d, v, err, errsize);
	else {
		snprintf(err, errsize, "unknown or repeated parameter '%.*s' (table, keycol, "
		    "datacol and filter are known)", (int)klen, p);
		rc = -1;
	}
	free(v);
	return rc;
}

/* USER[:PASSWORD]@[PORT+]HOST, s[0..n). */
static int
dsn_authority(struct dsn *d, const char *s, size_t n, char *err, size_t errsize)
{
	const char *at = NULL, *plus, *p, *colon;
	unsigned long port;
	char *end;

	for (p = s; p < s + n; p++)
		if (*p == '@')
			at = p;
	/*
	 * USER:PASSWORD with no '@' before the first '/': a password holding
	 * '/', which would be read as a host and a database name (and shown
	 * in messages as those); said without quoting any of it.
	 */
	if (at == NULL && memchr(s, ':', n) != NULL) {
		snprintf(err, errsize, "':' without '@HOST' (USER:PASSWORD@HOST; a password "
		    "cannot hold '/')");
		return -1;
	}
	if (at != NULL) {
		colon = memchr(s, ':', (size_t)(at - s));
		if ((d->user = dsn_strndup(s, (size_t)((colon ? colon : at) - s))) == NULL ||
		    (colon != NULL && (d->password = dsn_strndup(colon + 1,
		    (size_t)(at - colon - 1))) == NULL))
			goto nomem;
		n -= (size_t)(at + 1 - s);
		s = at + 1;
	}
	if ((plus = memchr(s, '+', n)) != NULL) {
		port = strtoul(s, &end, 10);
		if (end != plus || plus == s || !isdigit((unsigned char)s[0]) || port == 0 ||
		    port > 65535) {
			snprintf(err, errsize, "bad port '%.*s' (PORT+HOST)", (int)(plus - s), s);
			return -1;
		}
		d->port = (unsigned)port;
		n -= (size_t)(plus + 1 - s);
		s = plus + 1;
	}
	if (n == 0) {
		snprintf(err, errsize, "no host");
		return -1;
	}
	if ((d->host = dsn_strndup(s, n)) == NULL)
		goto nomem;
	return 0;
nomem:
	snprintf(err, errsize, "out of memory");
	return -1;
}

/* The DSN as shown in messages: every part but the password. */
static int
dsn_mkname(struct dsn *d)
{
	char cols[DATASET_FIELDS_MAX * (DSN_IDENT_MAX + 1) + 1] = "", port[16] = "";
	size_t i, len;

	for (i = 0; i < d->ndatacol; i++) {
		if (i > 0)
			strcat(cols, ",");
		strcat(cols, d->datacol[i]);
	}
	if (d->port != 0)
		snprintf(port, sizeof(port), "%u+", d->port);
	len = strlen(d->backend) + (d->user ? strlen(d->user) : 0) + strlen(d->host) +
	    strlen(d->dbase) + strlen(d->table) + strlen(d->keycol) + strlen(cols) +
	    (d->filter ? strlen(d->filter) : 0) + 128;
	if ((d->name = malloc(len)) == NULL)
		return -1;
	snprintf(d->name, len, "dsn:%s://%s%s%s%s/%s/table=%s?keycol=%s?datacol=%s%s%s",
	    d->backend, d->user ? d->user : "", d->user ? "@" : "", port, d->host, d->dbase,
	    d->table, d->keycol, cols, d->filter ? "?filter=" : "", d->filter ? d->filter : "");
	return 0;
}

/* Parse BACKEND://[USER[:PASSWORD]@][PORT+]HOST/DB/key=value?... */
int
dsn_parse(struct dsn *d, const char *s, char *err, size_t errsize)
{
	const char *p, *slash, *q;
	size_t n;

	memset(d, 0, sizeof(*d));
	if ((p = strstr(s, "://")) == NULL || p == s) {
		snprintf(err, errsize, "a DSN is BACKEND://[USER[:PASSWORD]@][PORT+]HOST/DB/"
		    "table=T?keycol=K?datacol=C");
		return -1;
	}
	if ((d->backend = dsn_strndup(s, (size_t)(p - s))) == NULL)
		goto nomem;
	p += 3;
	if ((slash = strchr(p, '/')) == NULL) {
		snprintf(err, errsize, "no database name (HOST/DB/...)");
		return -1;
	}
	if (dsn_authority(d, p, (size_t)(slash - p), err, errsize) < 0)
		return -1;
	p = slash + 1;
	n = strcspn(p, "/");
	if (n == 0 || p[n] != '/') {
		snprintf(err, errsize, "%s after the host (HOST/DB/table=...)",
		    n == 0 ? "no database name" : "no table parameters");
		return -1;
	}
	/* The same, when the password's '/' follows an '@' of its own. */
	if (memchr(p, '@', n) != NULL) {
		snprintf(err, errsize, "'@' after the host (USER:PASSWORD@HOST; a password "
		    "cannot hold '/')");
		return -1;
	}
	if ((d->dbase = dsn_strndup(p, n)) == NULL)
		goto nomem;
	for (p += n + 1; *p != '\0'; p = *q ? q + 1 : q) {
		q = p + strcspn(p, "?");
		if (q > p && dsn_param(d, p, (size_t)(q - p), err, errsize) < 0)
			return -1;
	}
	if (d->table == NULL || d->keycol == NULL || d->ndatacol == 0) {
		snprintf(err, errsize, "missing %s (table, keycol and datacol are required)",
		    d->table == NULL ? "table=" : d->keycol == NULL ? "keycol=" : "datacol=");
		return -1;
	}
	if (dsn_mkname(d) < 0)
		goto nomem;
	return 0;
nomem:
	snprintf(err, errsize, "out of memory");
	return -1;
}

/* Free the parts (the password is wiped first). */
void
dsn_free(struct dsn *d)
{
	size_t i;

	if (d->password != NULL) {
		explicit_bzero(d->password, strlen(d->password));
		free(d->password);
	}
	free(d->backend);
	free(d->user);
	free(d->host);
	free(d->dbase);
	free(d->table);
	free(d->keycol);
	for (i = 0; i < d->ndatacol; i++)
		free(d->datacol[i]);
	free(d->filter);
	free(d->name);
	if (d->ext_free != NULL)
		d->ext_free(d->ext);
	memset(d, 0, sizeof(*d));
}

/* Server text made safe for one log line. */
void
dsn_escape(char *dst, size_t size, const char *src)
{
	size_t n = 0, end;
	unsigned char c;

	if (size == 0)
		return;
	end = src ? strlen(src) : 0;
	while (end > 0 && (src[end - 1] == '\n' || src[end - 1] == '\r' || src[end - 1] == ' '))
		end--;
	for (size_t i = 0; i < end && n + 1 < size; i++) {
		c = (unsigned char)src[i];
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			dst[n++] = (char)c;
		else if (c == '\n' && n + 2 < size) {
			dst[n++] = ' ';
			dst[n++] = ' ';
		} else if (n + 4 < size) {
			static const char hex[] = "0123456789abcdef";

			dst[n++] = '\\';
			dst[n++] = 'x';
			dst[n++] = hex[c >> 4];
			dst[n++] = hex[c & 15];
		} else
			break;
	}
	dst[n] = '\0';
}

/* Append the identifier id, quoted ("schema.table" as two quoted names). */
void
dsn_quote_ident(char *buf, size_t size, const char *id, char quote, int lower)
{
	size_t n = strlen(buf);

	if (n + 1 < size)
		buf[n++] = quote;
	for (; *id && n + 4 < size; id++) {
		if (*id == '.') {
			buf[n++] = quote;
			buf[n++] = '.';
			buf[n++] = quote;
		} else
			buf[n++] = lower ? (char)tolower((unsigned char)*id) : *id;
	}
	buf[n++] = quote;
	buf[n] = '\0';
}

/* SELECT [key,]cols FROM table [WHERE key = PLACEHOLDER] [AND (filter)]. */
char *
dsn_sql(const struct dsn *d, int walk, char quote, int lower, const char *placeholder)
{
	size_t size = 256 + (d->ndatacol + 2) * 140 + (d->filter ? strlen(d->filter) : 0);
	char *q = malloc(size);
	size_t i;

	if (q == NULL)
		return NULL;
	strcpy(q, "SELECT ");
	if (walk) {
		dsn_quote_ident(q, size, d->keycol, quote, lower);
		strcat(q, ",");
	}
	for (i = 0; i < d->ndatacol; i++) {
		if (i > 0)
			strcat(q, ",");
		dsn_quote_ident(q, size, d->datacol[i], quote, lower);
	}
	strcat(q, " FROM ");
	dsn_quote_ident(q, size, d->table, quote, lower);
	if (!walk) {
		strcat(q, " WHERE ");
		dsn_quote_ident(q, size, d->keycol, quote, lower);
		strcat(q, " = ");
		strcat(q, placeholder);
	}
	if (d->filter != NULL) {
		strcat(q, walk ? " WHERE (" : " AND (");
		strcat(q, d->filter);
		strcat(q, ")");
	}
	return q;
}

unsigned long long
dsn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}
