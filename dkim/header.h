/*
 * header.h - header fields from raw bytes, and a message split into its
 * header fields and body. 8-bit clean (RFC 6532); every size is bounded.
 */
#ifndef DKIM_HEADER_H
#define DKIM_HEADER_H

#include <stddef.h>
#include "dbuf.h"
#include "dkim_err.h"

/* Largest single header field accepted (name, colon, value, folds). */
#define DKIM_HEADER_FIELD_MAX (1024 * 1024)
/* Largest header section kept for one message. */
#define DKIM_HEADER_TOTAL_MAX (4 * 1024 * 1024)
/* Most header fields kept for one message. */
#define DKIM_HEADER_COUNT_MAX 10000

/*
 * Split one raw field "Name: value" (folded lines joined by CRLF, an optional
 * final CRLF) into name and value. The value is everything after the colon,
 * leading space included, final CRLF excluded. Whitespace between the name
 * and the colon (obsolete syntax) is not part of the name.
 */
int dkim_header_split(const char *raw, size_t len, size_t *namelen,
    const char **value, size_t *valuelen, dkim_err *err);

/*
 * Append a field value as it is signed: milters see folds as a bare LF, the
 * signed form has CRLF. A CRLF already there is kept as it is.
 */
void dkim_header_add_value(dbuf *out, const char *value, size_t vlen);

/*
 * A field kept for signing or verifying: offsets into the buffer its bytes
 * went to (the name as received, white space before the colon included,
 * then the value as signed).
 */
struct dkim_hfield {
	size_t name, nlen, rawlen, value, vlen;
};

/*
 * Append a field to store and describe it in f: nlen is the name's length,
 * rawlen the name as received. 0, or -1 when store is out of memory.
 */
int dkim_hfield_keep(dbuf *store, struct dkim_hfield *f, const char *name, size_t nlen,
    size_t rawlen, const char *value, size_t vlen);

/* Nonzero when a field name is well formed: 1*(%x21-39 / %x3B-7E). */
int dkim_header_name_ok(const char *name, size_t len);

/* Case-insensitive comparison of a field name with a NUL-terminated name. */
int dkim_header_name_is(const char *name, size_t len, const char *want);

/*
 * Walk a whole message in CRLF form. For each header field, calls fn with
 * the raw field (without its final CRLF); fn returning nonzero stops the walk
 * with that status. On success *body is the offset of the body (after the
 * empty line), or len when the message has no body.
 */
typedef int (*dkim_header_fn)(void *arg, const char *field, size_t len);
int dkim_message_walk(const char *msg, size_t len, dkim_header_fn fn,
    void *arg, size_t *body, dkim_err *err);

/*
 * The same walk with each field split as dkim_msg_header and
 * dkim_vmsg_header take it: the name as written up to the colon (obsolete
 * white space included), the value after it. A field that does not split
 * stops the walk with its error, in err.
 */
typedef int (*dkim_field_fn)(void *arg, const char *name, size_t nlen, const char *value,
    size_t vlen, dkim_err *err);
int dkim_message_fields(const char *msg, size_t len, dkim_field_fn fn, void *arg,
    size_t *body, dkim_err *err);

#endif
