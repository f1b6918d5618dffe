/*
 * keyload.h - loading many private keys quickly.
 *
 * OpenSSL 3 spends most of a key load (about a millisecond for RSA-2048)
 * finding which of its decoders fits the input. A loader keeps decoders
 * for the usual key files (PEM PKCS#8 RSA and Ed25519, PEM PKCS#1 RSA) and
 * reuses them, which makes a load some fifty times cheaper: that is what
 * lets postdkim -n check 100,000 keys in seconds and a cold key cache fill
 * quickly. Anything else goes through dkim_key_load_mem, which knows every
 * form and explains every error.
 *
 * A loader is not thread-safe: use one per thread, or one under a lock.
 */
#ifndef DKIM_KEYLOAD_H
#define DKIM_KEYLOAD_H

#include <stddef.h>
#include "key.h"

typedef struct dkim_keyloader dkim_keyloader;

/* NULL when out of memory. */
dkim_keyloader *dkim_keyloader_new(void);
void dkim_keyloader_free(dkim_keyloader *kl);

/* As dkim_key_load_mem, faster for the usual forms. */
int dkim_keyloader_load(dkim_keyloader *kl, const char *data, size_t len, dkim_key **out,
    dkim_err *err);
/* As dkim_key_load_file, faster for the usual forms. */
int dkim_keyloader_load_file(dkim_keyloader *kl, const char *path, dkim_key **out,
    dkim_err *err);

#endif
