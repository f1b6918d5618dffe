/*
 * keyload.c - private keys decoded through reused OpenSSL decoder contexts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/decoder.h>
#include <openssl/err.h>

#include "key_impl.h"
#include "keyload.h"

/* The forms tried, by the PEM label that announces them. */
enum { KL_P8_RSA, KL_P8_ED25519, KL_PKCS1_RSA, KL_N };

static const struct {
	const char *label;	/* "-----BEGIN <label>-----" */
	const char *structure;	/* OpenSSL's name of the DER structure */
	const char *keytype;
} kl_forms[KL_N] = {
	{ "PRIVATE KEY", "PrivateKeyInfo", "RSA" },
	{ "PRIVATE KEY", "PrivateKeyInfo", "ED25519" },
	{ "RSA PRIVATE KEY", "type-specific", "RSA" },
};

struct dkim_keyloader {
	OSSL_DECODER_CTX *ctx[KL_N];	/* created on first use */
	EVP_PKEY *pkey;			/* where the decoders put their result */
};

/* A new loader. */
dkim_keyloader *
dkim_keyloader_new(void)
{
	return calloc(1, sizeof(struct dkim_keyloader));
}

/* Free a loader's decoders. */
void
dkim_keyloader_free(dkim_keyloader *kl)
{
	size_t i;

	if (kl == NULL)
		return;
	for (i = 0; i < KL_N; i++)
		OSSL_DECODER_CTX_free(kl->ctx[i]);
	free(kl);
}

/* Nonzero when the PEM data starts (after white space) with this label's line. */
static int
kl_label_is(const char *data, size_t len, const char *label)
{
	size_t ll = strlen(label);

	while (len > 0 && (*data == ' ' || *data == '\t' || *data == '\r' || *data == '\n')) {
		data++;
		len--;
	}
	return len >= 11 + ll + 5 && memcmp(data, "-----BEGIN ", 11) == 0 &&
	    memcmp(data + 11, label, ll) == 0 && memcmp(data + 11 + ll, "-----", 5) == 0;
}

/* Decode with form f; the key, or NULL. */
static EVP_PKEY *
kl_try(dkim_keyloader *kl, size_t f, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t left = len;
	EVP_PKEY *pkey;

	if (kl->ctx[f] == NULL) {
		kl->ctx[f] = OSSL_DECODER_CTX_new_for_pkey(&kl->pkey, "PEM", kl_forms[f].structure,
		    kl_forms[f].keytype, EVP_PKEY_KEYPAIR, NULL, NULL);
		if (kl->ctx[f] == NULL)
			return NULL;
		/* Encrypted keys are refused: never ask for a passphrase. */
		(void)OSSL_DECODER_CTX_set_passphrase(kl->ctx[f], (const unsigned char *)"", 0);
	}
	kl->pkey = NULL;
	if (!OSSL_DECODER_from_data(kl->ctx[f], &p, &left)) {
		EVP_PKEY_free(kl->pkey);
		kl->pkey = NULL;
		ERR_clear_error();
		return NULL;
	}
	pkey = kl->pkey;
	kl->pkey = NULL;
	return pkey;
}

/* Load a private key, through a reused decoder when its form is a usual one. */
int
dkim_keyloader_load(dkim_keyloader *kl, const char *data, size_t len, dkim_key **out,
    dkim_err *err)
{
	EVP_PKEY *pkey;
	size_t f;

	if (len <= DKIM_KEY_FILE_MAX)
		for (f = 0; f < KL_N; f++)
			if (kl_label_is(data, len, kl_forms[f].label) &&
			    (pkey = kl_try(kl, f, data, len)) != NULL)
				return key_wrap(pkey, 1, out, err);
	/* Anything unusual, and every error, the thorough way. */
	return dkim_key_load_mem(data, len, out, err);
}

/* dkim_keyloader_load as a key_decode_fn. */
static int
kl_decode(void *arg, const char *data, size_t len, dkim_key **out, dkim_err *err)
{
	return dkim_keyloader_load(arg, data, len, out, err);
}

/* Read and decode a key file: the checks of dkim_key_load_file, the loader's speed. */
int
dkim_keyloader_load_file(dkim_keyloader *kl, const char *path, dkim_key **out, dkim_err *err)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return dkim_err_set(err, DKIM_ERR_IO, "%s: %s", path, strerror(errno));
	rc = key_load_fd_with(fd, path, kl_decode, kl, out, err);
	close(fd);
	return rc;
}
