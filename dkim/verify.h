/*
 * verify.h - DKIM verification (RFC 6376 §6, RFC 8463) of a whole message,
 * the statuses and results every verification reports, and key records.
 *
 * The streaming verifier is vmsg.h; dkim_verify_message() wraps it for a
 * message held in memory, with keys from a callback. Every failure has a
 * precise status and a reason string.
 */
#ifndef DKIM_VERIFY_H
#define DKIM_VERIFY_H

#include <stddef.h>
#include <time.h>
#include "key.h"

/*
 * Zero is "not decided": a result that was never filled in, or whose
 * verification was never finished (no body, no dkim_vmsg_finish), can
 * never be read as a pass.
 */
enum dkim_vstatus {
	DKIM_V_UNDECIDED = 0,	/* verification not finished */
	DKIM_V_PASS,
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
	DKIM_V_SHA1,		/* rsa-sha1: never a pass (RFC 8301) */
	DKIM_V_KEYSIZE,		/* RSA key under the minimum size, or costlier than allowed */
	DKIM_V_BODYLEN,		/* l= longer than the canonical body */
	DKIM_V_FROMEXTRA,	/* verifies, but a From field is outside h= */
	DKIM_V_KEYUNTRUSTED,	/* the caller does not trust the key record (DNSSEC) */
	DKIM_V_PARTIAL,		/* verifies, but l= leaves more unsigned than allowed */
	DKIM_V_HASHLIMIT,	/* h= would take the message past its header hashing limit */
};

const char *dkim_vstatus_name(enum dkim_vstatus s);
/*
 * The RFC 8601 result word for a status: pass, fail, neutral, policy,
 * temperror or permerror (temperror for DKIM_V_UNDECIDED: nothing final
 * was found).
 */
const char *dkim_vstatus_result(enum dkim_vstatus s);

/* What DNSSEC said about the key record (set by the caller that looked it up). */
enum dkim_dnssec {
	DKIM_DNSSEC_UNKNOWN = 0,	/* not validated (no trust anchor) */
	DKIM_DNSSEC_SECURE,
	DKIM_DNSSEC_INSECURE,
	DKIM_DNSSEC_BOGUS,
};

/* Characters of b= kept in a result: enough for any unique prefix. */
#define DKIM_BPREFIX_MAX 128

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
	char identity[320];	/* i=, or "@" d= when absent */
	char bprefix[DKIM_BPREFIX_MAX + 1];	/* b= without FWS, truncated */
	char algname[32];	/* a= as written (rsa-sha1 included) */
	dkim_alg alg;
	int bits;		/* key size, 0 when no key was decoded */
	int testing;		/* key record has t=y */
	int dnssec;		/* enum dkim_dnssec */
	/* When l= left part of the body unsigned: l= and the canonical body length. */
	unsigned long long signed_len, body_len;
} dkim_vresult;

/*
 * Verify up to maxres DKIM-Signature fields of msg (CRLF form), top first.
 * now is the time x= is checked against. Returns the number of signatures
 * found (possibly more than maxres) or -1 when the message cannot be parsed.
 */
int dkim_verify_message(const char *msg, size_t len, dkim_key_lookup lookup,
    void *arg, time_t now, dkim_vresult *res, size_t maxres);

/*
 * Check a key record (the TXT text) on its own: DKIM_V_PASS when usable,
 * else the dkim_vstatus that says why not, with a reason. want is the signature's
 * algorithm, or DKIM_ALG_ANY to take the record's k=. *key receives the
 * public key when usable and key is not NULL; *testing is set for t=y.
 */
int dkim_keyrecord_parse(const char *txt, size_t len, dkim_alg want,
    dkim_key **key, int *testing, char *reason, size_t reasonsize);
/* The same, also reporting t=s in *strict (when not NULL). */
int dkim_keyrecord_check(const char *txt, size_t len, dkim_alg want,
    dkim_key **key, int *testing, int *strict, char *reason, size_t reasonsize);

#endif
