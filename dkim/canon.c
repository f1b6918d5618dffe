/*
 * canon.c - header and body canonicalization (RFC 6376 §3.4).
 *
 * The body canonicalizer is a streaming state machine: a CR at the end of a
 * chunk is held until the next byte says whether it starts a CRLF, runs of
 * empty lines are counted and emitted only when content follows them (so
 * trailing ones vanish without being buffered), and in relaxed mode a run
 * of whitespace is remembered as one pending space.
 */
#include <string.h>

#include "canon.h"

/* Parse a canonicalization name. */
int
dkim_canon_parse(const char *s, size_t len, dkim_canon *out)
{
	if (len == 6 && memcmp(s, "simple", 6) == 0)
		*out = DKIM_CANON_SIMPLE;
	else if (len == 7 && memcmp(s, "relaxed", 7) == 0)
		*out = DKIM_CANON_RELAXED;
	else
		return -1;
	return 0;
}

/* The name of a canonicalization. */
const char *
dkim_canon_name(dkim_canon c)
{
	return c == DKIM_CANON_RELAXED ? "relaxed" : "simple";
}

/* Bytes that end a run of ordinary bytes in a relaxed header value. */
static const unsigned char header_special[256] = {
	[' '] = 1, ['\t'] = 1, ['\r'] = 1,
};

/*
 * Relaxed header value: unfold, squeeze WSP runs to one SP, trim both ends.
 * A verifier canonicalizes what the sender chose, up to the whole header
 * for each signature, so runs of ordinary bytes are copied whole: the
 * canonical form is never longer than the value, which makes room for it
 * and is then written over.
 */
static void
canon_value_relaxed(dbuf *out, const char *v, size_t n)
{
	size_t i, start = out->len;
	char *p, *first;
	int wsp = 0;

	if (dbuf_add(out, v, n) != 0)
		return;
	p = first = out->data + start;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (header_special[c]) {
			if (c != '\r') {
				wsp = 1;
				continue;
			}
			if (i + 1 < n && v[i + 1] == '\n') {
				i++;	/* unfold: the CRLF goes, its WSP stays */
				continue;
			}
			/* A lone CR is an ordinary byte. */
		}
		if (wsp) {
			if (p > first)
				*p++ = ' ';
			wsp = 0;
		}
		*p++ = (char)c;
	}
	out->len = (size_t)(p - out->data);
	out->data[out->len] = '\0';
}

/* Append one canonical header field. */
void
canon_header(dkim_canon c, dbuf *out, const char *name, size_t nlen,
    const char *value, size_t vlen, int crlf)
{
	size_t i;

	if (c == DKIM_CANON_SIMPLE) {
		dbuf_add(out, name, nlen);
		dbuf_addc(out, ':');
		dbuf_add(out, value, vlen);
	} else {
		/* WSP before the colon (obsolete syntax): simple keeps it, relaxed drops it. */
		while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
			nlen--;
		for (i = 0; i < nlen; i++) {
			unsigned char ch = (unsigned char)name[i];

			dbuf_addc(out, ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
		}
		dbuf_addc(out, ':');
		canon_value_relaxed(out, value, vlen);
	}
	if (crlf)
		dbuf_add(out, "\r\n", 2);
}

/* Bytes that interrupt an ordinary run in relaxed mode. */
static const unsigned char relaxed_special[256] = {
	[' '] = 1, ['\t'] = 1, ['\r'] = 1,
};

/* Start a body canonicalizer writing to sink. */
void
canon_body_init(canon_body *cb, dkim_canon mode, canon_sink sink, void *arg)
{
	memset(cb, 0, offsetof(canon_body, out));
	cb->mode = mode;
	cb->sink = sink;
	cb->sink_arg = arg;
}

/* Hand the batch to the sink. */
static void
body_flush(canon_body *cb)
{
	if (cb->outlen != 0) {
		cb->sink(cb->sink_arg, cb->out, cb->outlen);
		cb->outlen = 0;
	}
}

/* Emit canonical bytes: batched when small, passed through when large. */
static void
body_emit(canon_body *cb, const void *p, size_t n)
{
	cb->emitted += n;
	if (n >= sizeof(cb->out) / 2) {
		body_flush(cb);
		cb->sink(cb->sink_arg, p, n);
		return;
	}
	if (cb->outlen + n > sizeof(cb->out))
		body_flush(cb);
	memcpy(cb->out + cb->outlen, p, n);
	cb->outlen += n;
}

/* Content follows: emit the empty lines and the pending space it makes real. */
static void
body_content(canon_body *cb)
{
	if (!cb->inline_) {
		for (; cb->blank > 0; cb->blank--)
			body_emit(cb, "\r\n", 2);
		cb->inline_ = 1;
	}
	if (cb->wsp) {
		body_emit(cb, " ", 1);
		cb->wsp = 0;
	}
}

/* A CRLF: end a line with content, or count an empty one. */
static void
body_eol(canon_body *cb)
{
	cb->wsp = 0;		/* relaxed: whitespace at line end is dropped */
	if (cb->inline_) {
		body_emit(cb, "\r\n", 2);
		cb->inline_ = 0;
	} else {
		cb->blank++;
	}
}

/*
 * Simple body, rest of a chunk: the canonical form is the input itself but
 * for empty lines, which wait until content follows. So all but the chunk's
 * trailing run of CRLFs goes to the hash in one piece, and that run is only
 * counted; a final CR is held in case the next chunk starts with LF.
 */
static void
body_simple(canon_body *cb, const unsigned char *p, const unsigned char *end)
{
	const unsigned char *mid = end;
	unsigned long long n = 0;
	int cr = 0;

	if (mid > p && mid[-1] == '\r') {
		mid--;
		cr = 1;
	}
	while (mid - p >= 2 && mid[-2] == '\r' && mid[-1] == '\n') {
		mid -= 2;
		n++;
	}
	if (mid > p) {
		body_content(cb);
		body_emit(cb, p, (size_t)(mid - p));
	}
	if (n > 0) {
		body_eol(cb);		/* ends the line, or is an empty one */
		cb->blank += n - 1;
	}
	cb->cr = cr;
}

/* Feed body bytes; chunk boundaries may fall anywhere. */
void
canon_body_update(canon_body *cb, const void *data, size_t len)
{
	const unsigned char *p = data, *end = p + len, *q;

	while (p < end) {
		if (cb->cr) {
			cb->cr = 0;
			if (*p == '\n') {
				body_eol(cb);
				p++;
				continue;
			}
			body_content(cb);	/* a bare CR is content */
			body_emit(cb, "\r", 1);
		}
		if (cb->mode == DKIM_CANON_SIMPLE) {
			body_simple(cb, p, end);
			return;
		}
		for (q = p; q < end && !relaxed_special[*q]; q++)
			;
		if (q > p) {
			body_content(cb);
			body_emit(cb, p, (size_t)(q - p));
			p = q;
			continue;
		}
		if (*p++ == '\r')
			cb->cr = 1;
		else
			cb->wsp = 1;	/* SP or HTAB */
	}
}

/* End of body: close the last line and apply the empty-body rules. */
void
canon_body_final(canon_body *cb)
{
	if (cb->cr) {
		cb->cr = 0;
		body_content(cb);
		body_emit(cb, "\r", 1);
	}
	/* A last line without CRLF gets one (§3.4.3, §3.4.4). */
	if (cb->inline_) {
		body_emit(cb, "\r\n", 2);
		cb->inline_ = 0;
	}
	cb->wsp = 0;
	cb->blank = 0;
	/* Simple: an empty body is a single CRLF; relaxed: nothing. */
	if (cb->mode == DKIM_CANON_SIMPLE && cb->emitted == 0)
		body_emit(cb, "\r\n", 2);
	body_flush(cb);
}
