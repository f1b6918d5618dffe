/*
 * canon.h - canonicalization (RFC 6376 §3.4), header and body.
 *
 * Body canonicalization streams: chunks of any size, boundaries anywhere
 * (inside a line, between CR and LF, inside a run of trailing blank lines);
 * its memory does not depend on the body's size. Trailing empty lines are
 * counted, not buffered.
 */
#ifndef DKIM_CANON_H
#define DKIM_CANON_H

#include <stddef.h>
#include "dbuf.h"

typedef enum dkim_canon { DKIM_CANON_SIMPLE = 0, DKIM_CANON_RELAXED = 1 } dkim_canon;

/* Parse "simple" or "relaxed"; returns 0 or -1. */
int dkim_canon_parse(const char *s, size_t len, dkim_canon *out);
const char *dkim_canon_name(dkim_canon c);

/*
 * Append the canonical form of one header field to out: "name:value\r\n"
 * (value as received: after the colon, CRLF between folded lines). With
 * crlf == 0 the final CRLF is left off (the DKIM-Signature field itself).
 */
void canon_header(dkim_canon c, dbuf *out, const char *name, size_t nlen,
    const char *value, size_t vlen, int crlf);

/* Where canonical body bytes go. */
typedef void (*canon_sink)(void *arg, const void *data, size_t len);

typedef struct canon_body {
	dkim_canon mode;
	canon_sink sink;
	void *sink_arg;
	unsigned long long blank;	/* empty lines seen but not yet emitted */
	unsigned long long emitted;	/* canonical bytes passed to the sink */
	int cr;				/* previous chunk ended with a CR */
	int wsp;			/* relaxed: whitespace pending in this line */
	int inline_;			/* current line has content */
	size_t outlen;
	unsigned char out[8192];	/* batches small writes to the sink */
} canon_body;

void canon_body_init(canon_body *cb, dkim_canon mode, canon_sink sink, void *arg);
void canon_body_update(canon_body *cb, const void *data, size_t len);
/* Flush the end of the body (final line, the empty-body rule). */
void canon_body_final(canon_body *cb);

#endif
