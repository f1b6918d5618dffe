/*
 * key_impl.h - what key.c shares with keyload.c and pubkey.c. Not for use
 * outside dkim/.
 */
#ifndef DKIM_KEY_IMPL_H
#define DKIM_KEY_IMPL_H

#include <openssl/evp.h>
#include "key.h"

/*
 * Wrap a decoded key after checking its type and size; takes ownership of
 * pkey (freed on failure).
 */
int key_wrap(EVP_PKEY *pkey, int priv, dkim_key **out, dkim_err *err);

/*
 * An RSA public key from DER SubjectPublicKeyInfo through this thread's
 * reused decoder (pubkey.c); NULL when it is not one.
 */
EVP_PKEY *key_rsa_spki_decode(const unsigned char *der, size_t len);

/* A decoder of key file contents: dkim_key_load_mem, or a loader's (keyload.c). */
typedef int (*key_decode_fn)(void *arg, const char *data, size_t len, dkim_key **out,
    dkim_err *err);

/* dkim_key_load_fd with decode doing the decoding. */
int key_load_fd_with(int fd, const char *name, key_decode_fn decode, void *arg,
    dkim_key **out, dkim_err *err);

#endif
