/*
 * fuzz_authres.c - libFuzzer target: the authserv-id reader of arriving
 * Authentication-Results fields (authres_parse_id) and the comparisons made
 * with what it reads (authres_id_is, authres_id_hash, authres_id_listed).
 *
 * Two checks per input. The input itself is read as a field value: any id
 * read is no longer than the value, holds no line break (folds inside a
 * quoted id are dropped), names itself, and hashes as its upper-case form
 * does. Then a value is built from the input whose id is known: comments
 * nested as deep as the first byte says (1 to 16,128) around any bytes
 * (escaped), white space and folds, the id as a token or as a quoted string
 * holding any bytes, then anything: the reader must give back exactly that
 * id, whatever the nesting, the id's length or what follows.
 *
 * Input: one byte (depth, and token or quoted), the comment's bytes, "\0",
 * the id's bytes, "\0", what follows the id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../dkim/dbuf.h"
#include "../../verify/authres.h"

#define MUST(x) do { if (!(x)) abort(); } while (0)

/* One part of the input, up to the next NUL (or the end). */
static const char *
part(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *nul = memchr(s, '\0', (size_t)(end - s));

	*len = nul ? (size_t)(nul - s) : (size_t)(end - s);
	*p = nul ? nul + 1 : end;
	return s;
}

/* A byte a token id may hold, as the reader takes it. */
static int
token_char(unsigned char c)
{
	return (c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"[]?=", c) == NULL) || c >= 0x80;
}

/* Checks that hold for whatever id the reader returns. */
static void
check_id(const dbuf *id, size_t vlen)
{
	dbuf up;
	size_t i;

	MUST(!dbuf_failed(id));
	MUST(id->len <= vlen);
	MUST(memchr(id->data, '\r', id->len) == NULL && memchr(id->data, '\n', id->len) == NULL);
	dbuf_init(&up);
	for (i = 0; i < id->len; i++)
		dbuf_addc(&up, id->data[i] >= 'a' && id->data[i] <= 'z' ? id->data[i] - 32 :
		    id->data[i]);
	MUST(!dbuf_failed(&up));
	MUST(authres_id_hash(id->data) == authres_id_hash(up.data));
	/* An id names itself, unless empty before its '/' (names nobody). */
	MUST(authres_id_is(id->data, up.data) == (id->data[0] != '\0' && id->data[0] != '/'));
	dbuf_free(&up);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "relay.example.net", ".example.org" };
	const char *in = (const char *)data, *end = in + size, *p, *cm, *ib, *tail;
	size_t clen, ilen, tlen, depth, i;
	int quoted;
	dbuf v, id, want;

	/* The input as a field value. */
	dbuf_init(&id);
	if (authres_parse_id(in, size, &id) == 0) {
		check_id(&id, size);
		(void)authres_id_listed(id.data, names, 2);
	} else {
		MUST(id.len == 0);
	}
	if (size < 1)
		goto out;

	/* A value with a known id. */
	depth = 1 + (data[0] >> 1);	/* at least one comment: around the bytes */
	if (depth > 64)
		depth = (depth - 64) * 256;	/* 256 to 16,128 */
	quoted = data[0] & 1;
	p = in + 1;
	cm = part(&p, end, &clen);
	ib = part(&p, end, &ilen);
	tail = part(&p, end, &tlen);
	tlen = (size_t)(end - tail);	/* what follows may hold NULs */
	dbuf_init(&v);
	dbuf_init(&want);
	dbuf_adds(&v, "\r\n\t ");
	for (i = 0; i < depth; i++)
		dbuf_addc(&v, '(');
	for (i = 0; i < clen; i++) {
		if (cm[i] == '(' || cm[i] == ')' || cm[i] == '\\')
			dbuf_addc(&v, '\\');
		dbuf_addc(&v, cm[i]);
	}
	for (i = 0; i < depth; i++)
		dbuf_addc(&v, ')');
	dbuf_adds(&v, " \r\n ");
	if (quoted) {
		dbuf_addc(&v, '"');
		for (i = 0; i < ilen; i++) {
			if (ib[i] == '"' || ib[i] == '\\')
				dbuf_addc(&v, '\\');
			dbuf_addc(&v, ib[i]);
			if (ib[i] != '\r' && ib[i] != '\n')
				dbuf_addc(&want, ib[i]);
		}
		dbuf_addc(&v, '"');
	} else {
		for (i = 0; i < ilen; i++)
			if (token_char((unsigned char)ib[i]) || ib[i] == '/')
				dbuf_addc(&want, ib[i]);
		if (want.len == 0)
			dbuf_addc(&want, 'x');
		dbuf_add(&v, want.data, want.len);
		/* What follows a token must end it. */
		dbuf_addc(&v, tlen > 0 && (tail[0] & 1) ? ';' : ' ');
	}
	dbuf_add(&v, tail, tlen);
	MUST(!dbuf_failed(&v) && !dbuf_failed(&want));
	dbuf_reset(&id);
	MUST(authres_parse_id(v.data, v.len, &id) == 0);
	MUST(id.len == want.len && memcmp(id.data, want.data, id.len) == 0);
	check_id(&id, v.len);
	dbuf_free(&v);
	dbuf_free(&want);
out:
	dbuf_free(&id);
	return 0;
}
