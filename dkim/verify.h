/*
 * verify.h - DKIM verification (RFC 6376 §6, RFC 8463) of a whole message.
 *
 * Keys come from a callback so tests, dkimgen and (later) DNS can supply the
 * record text. Every failure has a precise status and a reason string.
 */
#ifndef DKIM_VERIFY_H
#define DKIM_VERIFY_H

#include <stddef.h>
#include <time.h>
#include "key.h"

enum dkim_vstatus {
	DKIM_V_PASS = 0,
	DKIM_V_BODYHASH,	/* bh= does not match the body */
	DKIM_V_BADSIG,		/* b= does not verify */
	DKIM_V_SIGSYNTAX,	/* DKIM-Signature malformed or missing a tag */
	DKIM_V_VERSION,		/* v= is not 1 */
	DKIM_V_ALG,		/* unknown a= */
	DKIM_V_NOFROM,		/* h= does not cover From */
	DKIM_V_IDENTITY,	/* i= is not in d= */
	DKIM_V_EXPIRED,		/* x= is in the past */
	DKIM_V_NOKEY,		/* no key record */
	DKIM_V_KEYFAIL,		/* temporary failure fetching the key */
	DKIM_V_KEYSYNTAX,	/* key record malformed */
	DKIM_V_REVOKED,		/* p= empty */
	DKIM_V_KEYALG,		/* k= of the record does not fit a= */
	DKIM_V_KEYHASH,		/* h= of the record excludes sha256 */
	DKIM_V_KEYSERVICE,	/* s= of the record excludes email */
	DKIM_V_KEYSTRICT,	/* t=s and i= domain differs from d= */
	DKIM_V_INTERNAL,	/* allocation or crypto library failure */
};

const char *dkim_vstatus_name(enum dkim_vstatus s);

/*
 * Fetch the TXT record for selector._domainkey.domain into txt (NUL
 * terminated). Returns 0 when found, 1 when there is none, -1 on a
 * temporary failure.
 */
typedef int (*dkim_key_lookup)(void *arg, const char *domain, const char *selector,
    char *txt, size_t txtsize);

typedef struct dkim_vresult {
	enum dkim_vstatus status;
	char reason[256];
	char domain[256];
	char selector[64];
	dkim_alg alg;
	int testing;		/* key record has t=y */
} dkim_vresult;

/*
 * Verify up to maxres DKIM-Signature fields of msg (CRLF form), top first.
 * now is the time x= is checked against. Returns the number of signatures
 * found (possibly more than maxres) or -1 when the message cannot be parsed.
 */
int dkim_verify_message(const char *msg, size_t len, dkim_key_lookup lookup,
    void *arg, time_t now, dkim_vresult *res, size_t maxres);

/*
 * Check a key record (the TXT text) on its own: 0 when usable, else the
 * dkim_vstatus that says why not, with a reason. want is the signature's
 * algorithm, or DKIM_ALG_ANY to take the record's k=. *key receives the
 * public key when usable and key is not NULL; *testing is set for t=y.
 */
int dkim_keyrecord_parse(const char *txt, size_t len, dkim_alg want,
    dkim_key **key, int *testing, char *reason, size_t reasonsize);

#endif
