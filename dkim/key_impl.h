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

#endif
