/*
 * vmsg.h - DKIM verification of one message, streaming.
 *
 * Header fields are fed one at a time as they arrive; at the end of the
 * header the DKIM-Signature fields are taken top-down: the first max_sigs
 * are parsed and prepared, any further ones are only counted (a message
 * with a thousand signature fields costs little more than one with three).
 * The verifier does no I/O: it says which key records it needs
 * (dkim_vmsg_need), the caller fetches them however it likes, in parallel,
 * and hands each back (dkim_vmsg_key, or dkim_vmsg_key_status when there is
 * none). Body chunks of any size follow; the signatures sharing a body
 * canonicalization share one pass over the body, whatever their l= (each
 * a cut in it), so neither memory nor CPU grows with their number.
 * dkim_vmsg_finish decides every signature.
 */
#ifndef DKIM_VMSG_H
#define DKIM_VMSG_H

#include <stddef.h>
#include <time.h>

#include "dkim_err.h"
#include "verify.h"

/* Hard ceiling on signatures verified per message, whatever is configured. */
#define DKIM_VMSG_SIGS_MAX 64

/*
 * How much of the body a signature with l= must sign to pass (OpenDKIM's
 * Minimum); a signature that signs less is DKIM_V_PARTIAL (policy).
 */
enum dkim_minbody {
	DKIM_MINBODY_NONE,	/* any l= passes (RFC 6376) */
	DKIM_MINBODY_BYTES,	/* at least min_body bytes, or the whole body if shorter */
	DKIM_MINBODY_PERCENT,	/* at least min_body percent of the body */
	DKIM_MINBODY_APPENDED,	/* at most min_body bytes left unsigned */
};

typedef struct dkim_vopts {
	size_t max_sigs;	/* signatures verified, top-down (default 3) */
	int min_key_bits;	/* smaller RSA keys are not a pass (default and least 1024) */
	time_t now;		/* x= is checked against this (default: time(NULL)) */
	unsigned long drift;	/* x= counts as passed this many seconds late (default 0) */
	enum dkim_minbody min_body_kind;	/* default DKIM_MINBODY_NONE */
	unsigned long long min_body;
} dkim_vopts;

/* Fill in the defaults. */
void dkim_vopts_default(dkim_vopts *o);

typedef struct dkim_vmsg dkim_vmsg;

int dkim_vmsg_new(const dkim_vopts *o, dkim_vmsg **out, dkim_err *err);

/*
 * One header field, in arrival order; value is every byte after the colon,
 * folded lines joined by CRLF or a bare LF (stored as CRLF). Every field is
 * kept (any may be named in h=), within the bounds of header.h.
 */
int dkim_vmsg_header(dkim_vmsg *m, const char *name, size_t nlen,
    const char *value, size_t vlen, dkim_err *err);

/* End of header: parse the first max_sigs signatures, count the rest. */
int dkim_vmsg_eoh(dkim_vmsg *m, dkim_err *err);

/* Every DKIM-Signature field seen; those being verified (at most max_sigs). */
size_t dkim_vmsg_nsigs(const dkim_vmsg *m);
size_t dkim_vmsg_nverify(const dkim_vmsg *m);
/* Passes over the body in use: one per body canonicalization, whatever the l=. */
size_t dkim_vmsg_nbodyhash(const dkim_vmsg *m);

/*
 * After eoh: nonzero when signature i still waits for its key record, whose
 * name is selector._domainkey.domain (NUL-terminated, valid until free).
 */
int dkim_vmsg_need(const dkim_vmsg *m, size_t i, const char **domain,
    const char **selector);
/* The key record's text (TXT strings already concatenated). */
void dkim_vmsg_key(dkim_vmsg *m, size_t i, const char *txt, size_t len);
/*
 * No usable record: DKIM_V_NOKEY (none published), DKIM_V_KEYFAIL
 * (temporary failure) or DKIM_V_KEYSYNTAX (an unusable answer); reason may
 * be NULL for the default wording.
 */
void dkim_vmsg_key_status(dkim_vmsg *m, size_t i, enum dkim_vstatus st,
    const char *reason);
/* What DNSSEC said about signature i's record (shown in results). */
void dkim_vmsg_key_dnssec(dkim_vmsg *m, size_t i, enum dkim_dnssec d);
/*
 * Before its key: the caller will not trust signature i's key record (why
 * says why). Whatever the signature comes to, but for a temporary error,
 * its result is DKIM_V_KEYUNTRUSTED (neutral), the reason why and then
 * what it came to.
 */
void dkim_vmsg_key_distrust(dkim_vmsg *m, size_t i, const char *why);

/* Body bytes in CRLF form, any chunking. */
int dkim_vmsg_body(dkim_vmsg *m, const void *data, size_t len, dkim_err *err);
/* Decide every signature being verified. */
int dkim_vmsg_finish(dkim_vmsg *m, dkim_err *err);
/*
 * After finish: signature i's result (i < nverify). Before finish, one not
 * yet decided reads DKIM_V_UNDECIDED, never DKIM_V_PASS.
 */
const dkim_vresult *dkim_vmsg_result(const dkim_vmsg *m, size_t i);

void dkim_vmsg_free(dkim_vmsg *m);

#endif
