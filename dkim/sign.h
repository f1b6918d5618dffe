/*
 * sign.h - DKIM signing (RFC 6376, RFC 8463), streaming.
 *
 * The room dkim/ is the DKIM core: header fields, canonicalization, body
 * hashes, tag lists, keys, signing and verifying. It sits below every other
 * room and uses none of them: no libmilter, no configuration, no globals,
 * no I/O but loading a key; only OpenSSL (EVP) and libidn2.
 *
 * A dkim_signer is built once from a key and its settings and is then read
 * only: any number of threads may sign with it at once. A dkim_msg is one
 * message being signed by one or more signers; headers are fed as they
 * arrive, the body in chunks of any size, and dkim_msg_finish produces one
 * folded DKIM-Signature value per signer. Signers that share a body
 * canonicalization share one body hash (RSA + Ed25519 = one pass).
 */
#ifndef DKIM_SIGN_H
#define DKIM_SIGN_H

#include <stddef.h>
#include <time.h>
#include "canon.h"
#include "dkim_err.h"
#include "key.h"

/* The header fields signed when none are configured (RFC 6376 §5.4.1). */
extern const char *const dkim_default_sign_headers[];
/* The header fields over-signed when none are configured. */
extern const char *const dkim_default_oversign_headers[];

typedef struct dkim_signer_opts {
	const char *domain;		/* d= */
	const char *selector;		/* s= */
	const char *identity;		/* i=, or NULL */
	dkim_canon hcanon;
	dkim_canon bcanon;
	/* NULL-terminated lists of field names; NULL selects the defaults. */
	const char *const *sign_headers;
	const char *const *oversign_headers;
	/* Names never signed even when listed (OmitHeaders); may be NULL. */
	const char *const *omit_headers;
	unsigned long ttl;		/* x= = t= + ttl; 0 = no x= */
} dkim_signer_opts;

typedef struct dkim_signer dkim_signer;

/* Build a signer; takes its own reference to key. */
int dkim_signer_new(const dkim_signer_opts *opts, dkim_key *key,
    dkim_signer **out, dkim_err *err);
void dkim_signer_free(dkim_signer *s);
const char *dkim_signer_domain(const dkim_signer *s);
const char *dkim_signer_selector(const dkim_signer *s);
dkim_alg dkim_signer_alg(const dkim_signer *s);
/* Nonzero when two signers make the same d=, s= and a= with the same key (i= aside). */
int dkim_signer_same_key(const dkim_signer *a, const dkim_signer *b);
/* Nonzero when a field of that name may be needed by this signer. */
int dkim_signer_wants(const dkim_signer *s, const char *name, size_t nlen);

typedef struct dkim_msg dkim_msg;

/*
 * Start a message for n signers (at most DKIM_MSG_SIGNERS_MAX), all of which
 * must outlive it. when is the signing time (t=); pass a fixed time in
 * tests.
 */
#define DKIM_MSG_SIGNERS_MAX 8
int dkim_msg_new(const dkim_signer *const *signers, size_t n, time_t when,
    dkim_msg **out, dkim_err *err);

/*
 * One header field, in arrival order. value is every byte after the colon;
 * folded lines may be joined by CRLF or by a bare LF (as milters receive
 * them), a bare LF being stored as CRLF. Only fields some signer wants are
 * kept. Fails on fields beyond the bounds in header.h.
 */
int dkim_msg_header(dkim_msg *m, const char *name, size_t nlen,
    const char *value, size_t vlen, dkim_err *err);
/* Body bytes in CRLF form, any chunking. */
int dkim_msg_body(dkim_msg *m, const void *data, size_t len, dkim_err *err);
/* Compute the signatures. */
int dkim_msg_finish(dkim_msg *m, dkim_err *err);
/*
 * After finish: the i-th signature's field value, without the leading space,
 * folded with CRLF + TAB into lines of at most 78 columns counting the
 * "DKIM-Signature: " prefix.
 */
const char *dkim_msg_signature(const dkim_msg *m, size_t i);
size_t dkim_msg_nsignatures(const dkim_msg *m);
/* After finish: how long the i-th signature took to compute, in nanoseconds. */
unsigned long long dkim_msg_sign_ns(const dkim_msg *m, size_t i);
void dkim_msg_free(dkim_msg *m);

/* Sign a whole message (CRLF form) held in memory; convenience for -t and tests. */
int dkim_sign_buffer(const dkim_signer *const *signers, size_t n, time_t when,
    const char *msg, size_t len, dkim_msg **out, dkim_err *err);

#endif
