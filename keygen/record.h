/*
 * record.h - the DKIM key record (RFC 6376 §3.6.1, RFC 8463) dkimgen
 * publishes: its bare TXT text and the BIND zone-file form, with every
 * quoted string at most 255 bytes (RFC 1035 §3.3.14).
 */
#ifndef DKIMGEN_RECORD_H
#define DKIMGEN_RECORD_H

#include <stddef.h>
#include "../dkim/dbuf.h"
#include "../dkim/key.h"

#define RECORD_STRING_MAX 255	/* bytes in one <character-string> */
#define RECORD_NOTE_MAX 255	/* bytes of -n text before encoding */

struct record_opts {
	dkim_alg alg;
	const char *pub_b64;	/* p= value */
	int restrict_email;	/* -r: s=email */
	int testing;		/* -t: t=y */
	int strict;		/* -S: t=s */
	const char *note;	/* -n: n=, or NULL */
};

/* Append the bare record text ("v=DKIM1; ...; p=...") to out. */
int record_text(const struct record_opts *ro, dbuf *out);
/* Append the zone-file form for selector and domain, ending in a newline. */
int record_zone(const struct record_opts *ro, const char *selector,
    const char *domain, dbuf *out);
/* Append note encoded as DKIM quoted-printable, safe in a tag value. */
void record_qp(dbuf *out, const char *note);

#endif
