/*
 * header.c - header fields from raw bytes, and a message's header walk.
 *
 * Field names are printable US-ASCII without a colon (RFC 5322 §3.6.8);
 * values are taken as opaque bytes, so UTF-8 (RFC 6532) passes unchanged.
 */
#include <string.h>
#include <strings.h>

#include "header.h"

int
dkim_hfield_keep(dbuf *store, struct dkim_hfield *f, const char *name, size_t nlen,
    size_t rawlen, const char *value, size_t vlen)
{
	f->name = store->len;
	f->nlen = nlen;
	f->rawlen = rawlen;
	dbuf_add(store, name, rawlen);
	f->value = store->len;
	dkim_header_add_value(store, value, vlen);
	f->vlen = store->len - f->value;
	return dbuf_failed(store) ? -1 : 0;
}

/* A field value with every bare LF made CRLF, copied a line at a time. */
void
dkim_header_add_value(dbuf *out, const char *value, size_t vlen)
{
	const char *lf;
	size_t i;

	for (i = 0; i < vlen; i = (size_t)(lf - value) + 1) {
		if ((lf = memchr(value + i, '\n', vlen - i)) == NULL) {
			dbuf_add(out, value + i, vlen - i);
			return;
		}
		dbuf_add(out, value + i, (size_t)(lf - value) - i);
		if (lf > value && lf[-1] == '\r')
			dbuf_addc(out, '\n');
		else
			dbuf_add(out, "\r\n", 2);
	}
}

/* Nonzero when every byte of a field name is %x21-39 / %x3B-7E. */
int
dkim_header_name_ok(const char *name, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x21 || c > 0x7e || c == ':')
			return 0;
	}
	return 1;
}

/* Case-insensitive match of a counted name against a C string. */
int
dkim_header_name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/* Split "Name: value[CRLF]" into name and value. */
int
dkim_header_split(const char *raw, size_t len, size_t *namelen,
    const char **value, size_t *valuelen, dkim_err *err)
{
	const char *colon;
	size_t n;

	if (len > DKIM_HEADER_FIELD_MAX)
		return dkim_err_set(err, DKIM_ERR_TOOBIG,
		    "header field of %zu bytes exceeds the limit of %d", len,
		    DKIM_HEADER_FIELD_MAX);
	colon = memchr(raw, ':', len);
	if (colon == NULL)
		return dkim_err_set(err, DKIM_ERR_SYNTAX, "header field without a colon");
	n = (size_t)(colon - raw);
	/* Obsolete syntax (RFC 5322 §4.5.8) allows WSP before the colon. */
	while (n > 0 && (raw[n - 1] == ' ' || raw[n - 1] == '\t'))
		n--;
	if (!dkim_header_name_ok(raw, n))
		return dkim_err_set(err, DKIM_ERR_SYNTAX, "malformed header field name");
	*namelen = n;
	*value = colon + 1;
	*valuelen = len - (size_t)(colon + 1 - raw);
	if (*valuelen >= 2 && (*value)[*valuelen - 2] == '\r' && (*value)[*valuelen - 1] == '\n')
		*valuelen -= 2;
	return DKIM_OK;
}

/* Walk the header fields of a CRLF message and find its body. */
int
dkim_message_walk(const char *msg, size_t len, dkim_header_fn fn, void *arg,
    size_t *body, dkim_err *err)
{
	size_t pos = 0, start, end, count = 0;
	const char *nl;
	int rc;

	while (pos < len) {
		/* An empty line ends the header section. */
		if (msg[pos] == '\n' || (msg[pos] == '\r' && pos + 1 < len && msg[pos + 1] == '\n')) {
			*body = pos + (msg[pos] == '\r' ? 2 : 1);
			return DKIM_OK;
		}
		if (msg[pos] == ' ' || msg[pos] == '\t')
			return dkim_err_set(err, DKIM_ERR_SYNTAX,
			    "continuation line before the first header field");
		start = pos;
		/* A field runs until a line that does not start with WSP. */
		for (;;) {
			nl = memchr(msg + pos, '\n', len - pos);
			if (nl == NULL) {
				end = pos = len;
				break;
			}
			pos = (size_t)(nl - msg) + 1;
			end = pos - 1;
			if (end > start && msg[end - 1] == '\r')
				end--;
			if (pos >= len || (msg[pos] != ' ' && msg[pos] != '\t'))
				break;
			if (pos - start > DKIM_HEADER_FIELD_MAX)
				return dkim_err_set(err, DKIM_ERR_TOOBIG,
				    "header field exceeds the limit of %d bytes",
				    DKIM_HEADER_FIELD_MAX);
		}
		/* An unfolded field is bounded too, not only one with folds. */
		if (end - start > DKIM_HEADER_FIELD_MAX)
			return dkim_err_set(err, DKIM_ERR_TOOBIG,
			    "header field exceeds the limit of %d bytes",
			    DKIM_HEADER_FIELD_MAX);
		if (++count > DKIM_HEADER_COUNT_MAX)
			return dkim_err_set(err, DKIM_ERR_TOOBIG,
			    "more than %d header fields", DKIM_HEADER_COUNT_MAX);
		if (fn != NULL && (rc = fn(arg, msg + start, end - start)) != 0)
			return rc;
	}
	*body = len;
	return DKIM_OK;
}

struct fields_walk {
	dkim_field_fn fn;
	void *arg;
	dkim_err *err;
};

/* Walk callback of dkim_message_fields: split the field, hand its parts on. */
static int
fields_split(void *arg, const char *field, size_t len)
{
	struct fields_walk *w = arg;
	const char *value;
	size_t nlen, vlen;
	int rc;

	if ((rc = dkim_header_split(field, len, &nlen, &value, &vlen, w->err)) != DKIM_OK)
		return rc;
	return w->fn(w->arg, field, (size_t)(value - 1 - field), value, vlen, w->err);
}

/* Walk a message's fields split into name and value. */
int
dkim_message_fields(const char *msg, size_t len, dkim_field_fn fn, void *arg, size_t *body,
    dkim_err *err)
{
	struct fields_walk w = { fn, arg, err };

	return dkim_message_walk(msg, len, fields_split, &w, body, err);
}
