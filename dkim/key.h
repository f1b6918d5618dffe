/*
 * key.h - signing and verifying keys, decoded once and shared read-only.
 *
 * Private keys: PEM PKCS#1 or PKCS#8 (RSA, Ed25519), or the base64 32-byte
 * Ed25519 seed dkimpy writes. RSA keys under 1024 bits are refused.
 * Public keys come from a key record's p= (RSA SubjectPublicKeyInfo or
 * PKCS#1 RSAPublicKey; Ed25519 the raw 32 bytes, RFC 8463).
 */
#ifndef DKIM_KEY_H
#define DKIM_KEY_H

#include <stddef.h>
#include "dkim_err.h"

/* DKIM_ALG_ANY: "whatever the key record's k= says" (dkim_keyrecord_parse). */
typedef enum dkim_alg {
	DKIM_ALG_ANY = -1, DKIM_ALG_RSA_SHA256 = 0, DKIM_ALG_ED25519_SHA256 = 1
} dkim_alg;

#define DKIM_RSA_MIN_BITS 1024
/*
 * The most a verifier takes: RSA keys of 4096 bits (RFC 8301 asks
 * verifiers for 1024 to 4096) and public exponents of 32 bits. A key the
 * sender publishes must not cost more to use than the message: an 8192-bit
 * key costs 8 RSA-2048 verifications, a 3070-bit exponent 200.
 */
#define DKIM_RSA_MAX_BITS 4096
#define DKIM_RSA_MAX_EXP_BITS 32
#define DKIM_KEY_FILE_MAX (64 * 1024)

typedef struct dkim_key dkim_key;

/* Load a private key from a file (at most DKIM_KEY_FILE_MAX bytes). */
int dkim_key_load_file(const char *path, dkim_key **out, dkim_err *err);
/*
 * Load a private key from an open file (a regular file, at most
 * DKIM_KEY_FILE_MAX bytes); name is for messages. The caller closes fd.
 */
int dkim_key_load_fd(int fd, const char *name, dkim_key **out, dkim_err *err);
/* Load a private key from memory (PEM or base64 Ed25519 seed). */
int dkim_key_load_mem(const char *data, size_t len, dkim_key **out, dkim_err *err);
/* Decode a public key from a key record's p= value for the given k=. */
int dkim_key_from_public(const char *p, size_t plen, dkim_alg alg, dkim_key **out, dkim_err *err);

/* Take another reference; dkim_key_free drops one. */
dkim_key *dkim_key_ref(dkim_key *k);
void dkim_key_free(dkim_key *k);

dkim_alg dkim_key_alg(const dkim_key *k);
/* Key size in bits (256 for Ed25519). */
int dkim_key_bits(const dkim_key *k);
/* Bits of an RSA key's public exponent (17 for 65537); 0 for Ed25519. */
int dkim_key_exp_bits(const dkim_key *k);
/* Nonzero when the key holds a private part. */
int dkim_key_is_private(const dkim_key *k);

/*
 * The p= value for this key's record: base64 of the DER SubjectPublicKeyInfo
 * (RSA) or of the raw 32-byte public key (Ed25519). Caller frees.
 */
char *dkim_key_public_b64(const dkim_key *k, dkim_err *err);
/* Nonzero when two keys have the same public part. */
int dkim_key_same_public(const dkim_key *a, const dkim_key *b);

/* "rsa-sha256" / "ed25519-sha256", and the key record k= word. */
const char *dkim_alg_name(dkim_alg a);
const char *dkim_alg_keytype(dkim_alg a);
int dkim_alg_parse(const char *s, size_t len, dkim_alg *out);

/*
 * Sign / verify a SHA-256 digest of canonical header data: PKCS#1 v1.5 for
 * RSA, PureEdDSA over the 32-byte digest for Ed25519 (RFC 8463 §3).
 * sig must hold dkim_key_sig_max(k) bytes.
 */
size_t dkim_key_sig_max(const dkim_key *k);
int dkim_key_sign(const dkim_key *k, const unsigned char digest[32],
    unsigned char *sig, size_t *siglen, dkim_err *err);
/* Returns 1 good, 0 bad signature, -1 error. */
int dkim_key_verify(const dkim_key *k, const unsigned char digest[32],
    const unsigned char *sig, size_t siglen, dkim_err *err);

#endif
