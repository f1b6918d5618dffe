/*
 * pubkey.c - RSA public keys (DER SubjectPublicKeyInfo, as in p=) decoded
 * through a reused OpenSSL decoder context, one per thread.
 *
 * d2i_PUBKEY() builds a new decoder context for every call: about 95 us
 * for an RSA-2048 key, five times the RSA verification it serves and most
 * of a verified message's CPU. A context kept by the thread decodes the
 * same key in about 7 us. Contexts are not thread-safe, hence one per
 * thread, freed when the thread ends.
 */
#include <pthread.h>
#include <stdlib.h>

#include <openssl/decoder.h>
#include <openssl/err.h>

#include "key_impl.h"

struct spki_decoder {
	OSSL_DECODER_CTX *ctx;
	EVP_PKEY *pkey;		/* where the context puts its result */
};

static pthread_key_t spki_key;
static pthread_once_t spki_once = PTHREAD_ONCE_INIT;
static int spki_key_ok;

static void
spki_free(void *p)
{
	struct spki_decoder *d = p;

	OSSL_DECODER_CTX_free(d->ctx);
	free(d);
}

static void
spki_init(void)
{
	spki_key_ok = pthread_key_create(&spki_key, spki_free) == 0;
}

/* This thread's decoder, made on first use; NULL when it cannot be. */
static struct spki_decoder *
spki_decoder(void)
{
	struct spki_decoder *d;

	(void)pthread_once(&spki_once, spki_init);
	if (!spki_key_ok)
		return NULL;
	if ((d = pthread_getspecific(spki_key)) != NULL)
		return d;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->ctx = OSSL_DECODER_CTX_new_for_pkey(&d->pkey, "DER", "SubjectPublicKeyInfo", "RSA",
	    EVP_PKEY_PUBLIC_KEY, NULL, NULL);
	if (d->ctx == NULL || pthread_setspecific(spki_key, d) != 0) {
		spki_free(d);
		return NULL;
	}
	return d;
}

EVP_PKEY *
key_rsa_spki_decode(const unsigned char *der, size_t len)
{
	struct spki_decoder *d = spki_decoder();
	EVP_PKEY *pkey;

	if (d == NULL)
		return NULL;
	d->pkey = NULL;
	if (!OSSL_DECODER_from_data(d->ctx, &der, &len)) {
		ERR_clear_error();
		EVP_PKEY_free(d->pkey);
		d->pkey = NULL;
		return NULL;
	}
	pkey = d->pkey;
	d->pkey = NULL;
	return pkey;
}
