/*
 * bodyhash.h - one body hash: a streaming canonicalizer feeding SHA-256,
 * optionally cut at a byte count (l=), with the digests of any number of
 * shorter prefixes made in the same pass (cuts). The signer and the
 * verifier keep one per body canonicalization and feed every body chunk
 * to each: any number of signatures, whatever their l=, cost one pass per
 * body canonicalization.
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
/*
 * Before the body: also the digest of the first at canonical bytes
 * (DKIM_BODYHASH_ALL: of the whole body). Returns its index for
 * dkim_bodyhash_cut_digest (the limit given to _new is cut 0), the same
 * index for the same at, or -1 (out of memory, too many cuts, or after
 * body bytes).
 */
int dkim_bodyhash_cut(dkim_bodyhash *b, unsigned long long at);
/* Body bytes in CRLF form, any chunking. */
void dkim_bodyhash_update(dkim_bodyhash *b, const void *data, size_t len);
/*
 * End of body: the digest and the length of the whole canonical body
 * (beyond any limit), so a verifier can tell an l= longer than the body.
 */
int dkim_bodyhash_final(dkim_bodyhash *b, unsigned char digest[32],
    unsigned long long *total, dkim_err *err);
/* After final: cut i's digest, 0; -1 when the body was shorter than the cut. */
int dkim_bodyhash_cut_digest(const dkim_bodyhash *b, int i, unsigned char digest[32]);
void dkim_bodyhash_free(dkim_bodyhash *b);

#endif
