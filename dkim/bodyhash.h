/*
 * bodyhash.h - one body hash: a streaming canonicalizer feeding SHA-256,
 * optionally cut at a byte count (l=). The signer and the verifier both
 * keep one per distinct (body canonicalization, l=) and feed every body
 * chunk to each, so any number of signatures sharing one cost one pass.
 */
#ifndef DKIM_BODYHASH_H
#define DKIM_BODYHASH_H

#include <stddef.h>

#include <openssl/evp.h>

#include "canon.h"
#include "dkim_err.h"

typedef struct dkim_bodyhash dkim_bodyhash;

/* No l=: hash the whole canonical body. */
#define DKIM_BODYHASH_ALL ((unsigned long long)-1)

/*
 * A new body hash for canonicalization c, hashing at most limit canonical
 * bytes (DKIM_BODYHASH_ALL for no limit). md is SHA-256, fetched once by the
 * caller (NULL: fetched implicitly).
 */
int dkim_bodyhash_new(dkim_canon c, unsigned long long limit, const EVP_MD *md,
    dkim_bodyhash **out, dkim_err *err);
/* Nonzero when this hash is the one for (c, limit). */
int dkim_bodyhash_is(const dkim_bodyhash *b, dkim_canon c, unsigned long long limit);
/* Body bytes in CRLF form, any chunking. */
void dkim_bodyhash_update(dkim_bodyhash *b, const void *data, size_t len);
/*
 * End of body: the digest and the length of the whole canonical body
 * (beyond any limit), so a verifier can tell an l= longer than the body.
 */
int dkim_bodyhash_final(dkim_bodyhash *b, unsigned char digest[32],
    unsigned long long *total, dkim_err *err);
void dkim_bodyhash_free(dkim_bodyhash *b);

#endif
