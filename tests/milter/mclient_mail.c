/*
 * mclient_mail.c - a message as Postfix holds it: a list of header fields
 * kept byte for byte (folded lines joined by "\n") and a CRLF body.
 *
 * Parsing follows Postfix's header rules: a field starts with a name of
 * printable characters followed by optional blanks and a colon; a line
 * starting with a blank continues the field; the first empty line ends the
 * header, and so does the first line that is neither (it is then the first
 * body line). Line ends may be LF or CRLF.
 */
#include <stdlib.h>
#include <string.h>

#include "mclient.h"

/* Length of the field name at the start of line (Postfix is_header), or 0. */
static size_t
name_len(const char *p, size_t len, size_t *colon)
{
	size_t n = 0, i;

	while (n < len && p[n] > 32 && p[n] < 127 && p[n] != ':')
		n++;
	if (n == 0)
		return 0;
	for (i = n; i < len && (p[i] == ' ' || p[i] == '\t'); i++)
		;
	if (i >= len || p[i] != ':')
		return 0;
	*colon = i;
	return n;
}

/* Make room for one more field. */
static int
grow(mclient_mail *m)
{
	mclient_field *nf;
	size_t cap;

	if (m->nf < m->fcap)
		return 0;
	cap = m->fcap ? m->fcap * 2 : 16;
	if ((nf = realloc(m->f, cap * sizeof(*nf))) == NULL)
		return -1;
	m->f = nf;
	m->fcap = cap;
	return 0;
}

/* Insert a field at position at (clamped to the end). */
int
mclient_mail_add(mclient_mail *m, size_t at, const char *name, size_t nlen,
    const char *raw, size_t rlen)
{
	mclient_field fl;
	size_t colon;

	memset(&fl, 0, sizeof(fl));
	if (grow(m) != 0 || (fl.name = malloc(nlen + 1)) == NULL)
		return -1;
	if ((fl.raw = malloc(rlen + 1)) == NULL) {
		free(fl.name);
		return -1;
	}
	memcpy(fl.name, name, nlen);
	fl.name[nlen] = '\0';
	fl.nlen = nlen;
	memcpy(fl.raw, raw, rlen);
	fl.raw[rlen] = '\0';
	fl.rlen = rlen;
	fl.vofs = name_len(raw, rlen, &colon) ? colon + 1 : rlen;
	if (at > m->nf)
		at = m->nf;
	memmove(m->f + at + 1, m->f + at, (m->nf - at) * sizeof(*m->f));
	m->f[at] = fl;
	m->nf++;
	return 0;
}

/* Remove the field at position at. */
void
mclient_mail_del(mclient_mail *m, size_t at)
{
	if (at >= m->nf)
		return;
	free(m->f[at].name);
	free(m->f[at].raw);
	memmove(m->f + at, m->f + at + 1, (m->nf - at - 1) * sizeof(*m->f));
	m->nf--;
}

/* Append text to the raw form of the last field, after a "\n". */
static int
continue_field(mclient_mail *m, const char *p, size_t len)
{
	mclient_field *fl = &m->f[m->nf - 1];
	char *nr;

	if ((nr = realloc(fl->raw, fl->rlen + len + 2)) == NULL)
		return -1;
	nr[fl->rlen] = '\n';
	memcpy(nr + fl->rlen + 1, p, len);
	fl->rlen += len + 1;
	nr[fl->rlen] = '\0';
	fl->raw = nr;
	return 0;
}

/* Parse an RFC 5322 message held in memory. */
int
mclient_mail_parse(const char *data, size_t len, mclient_mail *m)
{
	size_t pos = 0, bstart = len, lines, o;
	int in_header = 1;

	memset(m, 0, sizeof(*m));
	while (pos < len && in_header) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len;
		size_t next = nl ? end + 1 : len;
		size_t llen = end - pos, nlen, colon;

		if (nl && llen > 0 && data[end - 1] == '\r')
			llen--;
		if (llen == 0) {
			bstart = next;
			in_header = 0;
		} else if ((data[pos] == ' ' || data[pos] == '\t') && m->nf > 0) {
			if (continue_field(m, data + pos, llen) != 0)
				goto fail;
		} else if ((nlen = name_len(data + pos, llen, &colon)) > 0) {
			if (mclient_mail_add(m, m->nf, data + pos, nlen,
			    data + pos, llen) != 0)
				goto fail;
		} else {
			/* Not a header line: the body starts here. */
			bstart = pos;
			in_header = 0;
			break;
		}
		pos = next;
	}
	/* Body: every line gets CRLF, a bare LF being taken as a line end. */
	lines = 0;
	for (o = bstart; o < len; o++)
		if (data[o] == '\n')
			lines++;
	if ((m->body = malloc(len - (bstart < len ? bstart : len) + lines + 3)) == NULL)
		goto fail;
	m->blen = 0;
	pos = bstart;
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len;
		size_t llen = end - pos;

		if (nl && llen > 0 && data[end - 1] == '\r')
			llen--;
		memcpy(m->body + m->blen, data + pos, llen);
		m->blen += llen;
		/* A last line without a line end gets one, as SMTP does. */
		memcpy(m->body + m->blen, "\r\n", 2);
		m->blen += 2;
		pos = nl ? end + 1 : len;
	}
	return 0;
fail:
	mclient_mail_free(m);
	return -1;
}

/* Size of text once every "\n" becomes "\r\n". */
static size_t
crlf_size(const char *p, size_t len)
{
	size_t n = len, i;

	for (i = 0; i < len; i++)
		if (p[i] == '\n')
			n++;
	return n;
}

/* Copy text turning every "\n" into "\r\n"; returns the end. */
static char *
crlf_copy(char *out, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n')
			*out++ = '\r';
		*out++ = p[i];
	}
	return out;
}

/*
 * Render the header fields and a body as the MTA writes the message out:
 * each "\n" inside a field becomes CRLF (Postfix stores folded lines as
 * separate records), then the empty line, then the body.
 */
char *
mclient_mail_render_body(const mclient_mail *m, const char *body, size_t blen,
    size_t *len)
{
	size_t n = 2 + blen, i;
	char *out, *p;

	for (i = 0; i < m->nf; i++)
		n += crlf_size(m->f[i].raw, m->f[i].rlen) + 2;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	p = out;
	for (i = 0; i < m->nf; i++) {
		p = crlf_copy(p, m->f[i].raw, m->f[i].rlen);
		memcpy(p, "\r\n", 2);
		p += 2;
	}
	memcpy(p, "\r\n", 2);
	p += 2;
	if (blen > 0)
		memcpy(p, body, blen);
	p += blen;
	*p = '\0';
	*len = n;
	return out;
}

/* Render the message with its own body. */
char *
mclient_mail_render(const mclient_mail *m, size_t *len)
{
	return mclient_mail_render_body(m, m->body, m->blen, len);
}

/* Free everything a parsed or built message holds. */
void
mclient_mail_free(mclient_mail *m)
{
	size_t i;

	for (i = 0; i < m->nf; i++) {
		free(m->f[i].name);
		free(m->f[i].raw);
	}
	free(m->f);
	free(m->body);
	memset(m, 0, sizeof(*m));
}
