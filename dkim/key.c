/*
 * key.c - DKIM keys through OpenSSL 3 EVP: decoded once, shared read-only.
 *
 * A dkim_key is reference counted so that a configuration reload can build
 * new signers while messages in flight still hold the old key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base64.h"
#include "key.h"
#include "key_impl.h"

struct dkim_key {
	EVP_PKEY *pkey;
	dkim_alg alg;
	int bits;
	int ebits;		/* RSA public exponent */
	int priv;
	atomic_int refs;
};

/* Wrap a decoded EVP_PKEY after checking its type and size. */
int
key_wrap(EVP_PKEY *pkey, int priv, dkim_key **out, dkim_err *err)
{
	BIGNUM *e = NULL;
	dkim_key *k;
	dkim_alg alg;
	int bits = EVP_PKEY_get_bits(pkey), ebits = 0;

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
			EVP_PKEY_free(pkey);
			return dkim_err_ssl(err, DKIM_ERR_KEY, "RSA key without a public exponent");
		}
		ebits = BN_num_bits(e);
		BN_free(e);
		/* Public keys of any size decode: the verifier's policy judges them. */
		if (priv && bits < DKIM_RSA_MIN_BITS) {
			EVP_PKEY_free(pkey);
			return dkim_err_set(err, DKIM_ERR_KEY,
			    "RSA key of %d bits is too small (at least %d, 2048 recommended)",
			    bits, DKIM_RSA_MIN_BITS);
		}
		alg = DKIM_ALG_RSA_SHA256;
		break;
	case EVP_PKEY_ED25519:
		alg = DKIM_ALG_ED25519_SHA256;
		break;
	default:
		EVP_PKEY_free(pkey);
		return dkim_err_set(err, DKIM_ERR_KEY,
		    "unsupported key type (DKIM keys are RSA or Ed25519)");
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		EVP_PKEY_free(pkey);
		return dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
	}
	k->pkey = pkey;
	k->alg = alg;
	k->bits = bits;
	k->ebits = ebits;
	k->priv = priv;
	atomic_init(&k->refs, 1);
	*out = k;
	return DKIM_OK;
}

/* Refuse to prompt for a passphrase: keys must not be encrypted. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/* Decode a private key held in memory. */
int
dkim_key_load_mem(const char *data, size_t len, dkim_key **out, dkim_err *err)
{
	unsigned char raw[DKIM_KEY_FILE_MAX];
	const unsigned char *p;
	EVP_PKEY *pkey = NULL;
	size_t rawlen;
	BIO *bio;
	int rc;

	if (len > DKIM_KEY_FILE_MAX)
		return dkim_err_set(err, DKIM_ERR_TOOBIG, "key data larger than %d bytes",
		    DKIM_KEY_FILE_MAX);
	if (memmem(data, len, "-----BEGIN", 10) != NULL) {
		if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
			return dkim_err_ssl(err, DKIM_ERR_NOMEM, "BIO_new_mem_buf");
		pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
		BIO_free(bio);
		if (pkey == NULL)
			return dkim_err_ssl(err, DKIM_ERR_KEY,
			    "cannot decode PEM private key (encrypted keys are not supported)");
		return key_wrap(pkey, 1, out, err);
	}
	/* Not PEM: base64 of a 32-byte Ed25519 seed (dkimpy) or of DER. */
	if (base64_decode(data, len, raw, sizeof(raw), &rawlen) != 0 || rawlen == 0)
		return dkim_err_set(err, DKIM_ERR_KEY,
		    "not a PEM key, nor base64 key data");
	if (rawlen == 32)
		pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, rawlen);
	else {
		p = raw;
		pkey = d2i_AutoPrivateKey(NULL, &p, (long)rawlen);
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	if (pkey == NULL)
		return dkim_err_ssl(err, DKIM_ERR_KEY, "cannot decode base64 key data");
	rc = key_wrap(pkey, 1, out, err);
	return rc;
}

/* dkim_key_load_mem as a key_decode_fn. */
static int
decode_mem(void *arg, const char *data, size_t len, dkim_key **out, dkim_err *err)
{
	(void)arg;
	return dkim_key_load_mem(data, len, out, err);
}

/* Read and decode a private key from an open file (name for messages). */
int
dkim_key_load_fd(int fd, const char *name, dkim_key **out, dkim_err *err)
{
	return key_load_fd_with(fd, name, decode_mem, NULL, out, err);
}

int
key_load_fd_with(int fd, const char *name, key_decode_fn decode, void *arg, dkim_key **out,
    dkim_err *err)
{
	char buf[DKIM_KEY_FILE_MAX + 1];
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int rc;

	if (fstat(fd, &st) != 0)
		return dkim_err_set(err, DKIM_ERR_IO, "%s: %s", name, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return dkim_err_set(err, DKIM_ERR_IO, "%s: not a regular file", name);
	/* One byte more than allowed: tells a full-size key from a larger file. */
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = dkim_err_set(err, DKIM_ERR_IO, "%s: %s", name, strerror(errno));
			OPENSSL_cleanse(buf, len);
			return rc;
		}
		len += (size_t)n;
	}
	if (len > DKIM_KEY_FILE_MAX) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return dkim_err_set(err, DKIM_ERR_TOOBIG, "%s: larger than %d bytes",
		    name, DKIM_KEY_FILE_MAX);
	}
	rc = decode(arg, buf, len, out, err);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc != DKIM_OK && err != NULL) {
		char msg[sizeof(err->msg) + 4096];

		snprintf(msg, sizeof(msg), "%s: %s", name, err->msg);
		memcpy(err->msg, msg, sizeof(err->msg) - 1);
		err->msg[sizeof(err->msg) - 1] = '\0';
	}
	return rc;
}

/*
 * Read and decode a private key file. Never blocks on a FIFO: the type is
 * checked on the open file before any read.
 */
int
dkim_key_load_file(const char *path, dkim_key **out, dkim_err *err)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return dkim_err_set(err, DKIM_ERR_IO, "%s: %s", path, strerror(errno));
	rc = dkim_key_load_fd(fd, path, out, err);
	close(fd);
	return rc;
}

/* Decode the public key of a key record's p= value. */
int
dkim_key_from_public(const char *pstr, size_t plen, dkim_alg alg, dkim_key **out, dkim_err *err)
{
	unsigned char raw[2048];
	const unsigned char *p = raw;
	EVP_PKEY *pkey;
	size_t rawlen;

	if (base64_decode(pstr, plen, raw, sizeof(raw), &rawlen) != 0)
		return dkim_err_set(err, DKIM_ERR_KEY, "p= is not valid base64");
	if (alg == DKIM_ALG_ED25519_SHA256) {
		if (rawlen != 32)
			return dkim_err_set(err, DKIM_ERR_KEY,
			    "Ed25519 p= must be 32 bytes, not %zu (RFC 8463)", rawlen);
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, rawlen);
	} else {
		/* The fast path; anything else goes the thorough way. */
		if ((pkey = key_rsa_spki_decode(raw, rawlen)) == NULL)
			pkey = d2i_PUBKEY(NULL, &p, (long)rawlen);
		if (pkey == NULL) {
			/* Some records carry a bare PKCS#1 RSAPublicKey. */
			p = raw;
			pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)rawlen);
		}
		if (pkey != NULL && EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
			EVP_PKEY_free(pkey);
			return dkim_err_set(err, DKIM_ERR_KEY, "p= is not an RSA key");
		}
	}
	if (pkey == NULL)
		return dkim_err_ssl(err, DKIM_ERR_KEY, "cannot decode p= public key");
	return key_wrap(pkey, 0, out, err);
}

/* Take a reference. */
dkim_key *
dkim_key_ref(dkim_key *k)
{
	atomic_fetch_add(&k->refs, 1);
	return k;
}

/* Drop a reference; the last one frees the key. */
void
dkim_key_free(dkim_key *k)
{
	if (k != NULL && atomic_fetch_sub(&k->refs, 1) == 1) {
		EVP_PKEY_free(k->pkey);
		free(k);
	}
}

dkim_alg
dkim_key_alg(const dkim_key *k)
{
	return k->alg;
}

int
dkim_key_bits(const dkim_key *k)
{
	return k->bits;
}

int
dkim_key_exp_bits(const dkim_key *k)
{
	return k->ebits;
}

int
dkim_key_is_private(const dkim_key *k)
{
	return k->priv;
}

/* The p= value for this key. */
char *
dkim_key_public_b64(const dkim_key *k, dkim_err *err)
{
	unsigned char *der = NULL, raw[32];
	size_t rawlen = sizeof(raw);
	char *out;
	int len;

	if (k->alg == DKIM_ALG_ED25519_SHA256) {
		if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &rawlen) != 1) {
			dkim_err_ssl(err, DKIM_ERR_CRYPTO, "EVP_PKEY_get_raw_public_key");
			return NULL;
		}
		if ((out = malloc(base64_encoded_len(rawlen) + 1)) == NULL) {
			dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
			return NULL;
		}
		base64_encode(raw, rawlen, out);
		return out;
	}
	if ((len = i2d_PUBKEY(k->pkey, &der)) <= 0) {
		dkim_err_ssl(err, DKIM_ERR_CRYPTO, "i2d_PUBKEY");
		return NULL;
	}
	if ((out = malloc(base64_encoded_len((size_t)len) + 1)) == NULL)
		dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
	else
		base64_encode(der, (size_t)len, out);
	OPENSSL_free(der);
	return out;
}

/* Compare public parts. */
int
dkim_key_same_public(const dkim_key *a, const dkim_key *b)
{
	return EVP_PKEY_eq(a->pkey, b->pkey) == 1;
}

const char *
dkim_alg_name(dkim_alg a)
{
	return a == DKIM_ALG_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256";
}

const char *
dkim_alg_keytype(dkim_alg a)
{
	return a == DKIM_ALG_ED25519_SHA256 ? "ed25519" : "rsa";
}

/* Parse an a= value. */
int
dkim_alg_parse(const char *s, size_t len, dkim_alg *out)
{
	if (len == 10 && memcmp(s, "rsa-sha256", 10) == 0)
		*out = DKIM_ALG_RSA_SHA256;
	else if (len == 14 && memcmp(s, "ed25519-sha256", 14) == 0)
		*out = DKIM_ALG_ED25519_SHA256;
	else
		return -1;
	return 0;
}

size_t
dkim_key_sig_max(const dkim_key *k)
{
	return (size_t)EVP_PKEY_get_size(k->pkey);
}

/* Set up an RSA PKCS#1 v1.5 SHA-256 context for signing or verifying. */
static EVP_PKEY_CTX *
rsa_ctx(const dkim_key *k, int sign)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k->pkey, NULL);

	if (ctx == NULL)
		return NULL;
	if ((sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* Sign the SHA-256 digest of the canonical header data. */
int
dkim_key_sign(const dkim_key *k, const unsigned char digest[32],
    unsigned char *sig, size_t *siglen, dkim_err *err)
{
	EVP_PKEY_CTX *ctx;
	EVP_MD_CTX *md;
	size_t len = dkim_key_sig_max(k);
	int ok;

	if (!k->priv)
		return dkim_err_set(err, DKIM_ERR_KEY, "not a private key");
	if (k->alg == DKIM_ALG_RSA_SHA256) {
		if ((ctx = rsa_ctx(k, 1)) == NULL)
			return dkim_err_ssl(err, DKIM_ERR_CRYPTO, "RSA sign setup");
		ok = EVP_PKEY_sign(ctx, sig, &len, digest, 32) == 1;
		EVP_PKEY_CTX_free(ctx);
	} else {
		/* RFC 8463: PureEdDSA over the SHA-256 digest. */
		if ((md = EVP_MD_CTX_new()) == NULL)
			return dkim_err_ssl(err, DKIM_ERR_NOMEM, "EVP_MD_CTX_new");
		ok = EVP_DigestSignInit(md, NULL, NULL, NULL, k->pkey) == 1 &&
		    EVP_DigestSign(md, sig, &len, digest, 32) == 1;
		EVP_MD_CTX_free(md);
	}
	if (!ok)
		return dkim_err_ssl(err, DKIM_ERR_CRYPTO, "signing failed");
	*siglen = len;
	return DKIM_OK;
}

/* Verify a signature over the digest: 1 good, 0 bad, -1 error. */
int
dkim_key_verify(const dkim_key *k, const unsigned char digest[32],
    const unsigned char *sig, size_t siglen, dkim_err *err)
{
	EVP_PKEY_CTX *ctx;
	EVP_MD_CTX *md;
	int rc;

	if (k->alg == DKIM_ALG_RSA_SHA256) {
		if ((ctx = rsa_ctx(k, 0)) == NULL) {
			dkim_err_ssl(err, DKIM_ERR_CRYPTO, "RSA verify setup");
			return -1;
		}
		rc = EVP_PKEY_verify(ctx, sig, siglen, digest, 32);
		EVP_PKEY_CTX_free(ctx);
	} else {
		if ((md = EVP_MD_CTX_new()) == NULL) {
			dkim_err_ssl(err, DKIM_ERR_NOMEM, "EVP_MD_CTX_new");
			return -1;
		}
		rc = EVP_DigestVerifyInit(md, NULL, NULL, NULL, k->pkey) == 1 ?
		    EVP_DigestVerify(md, sig, siglen, digest, 32) : -1;
		EVP_MD_CTX_free(md);
	}
	/* A bad or malformed signature is a verdict, not an error. */
	ERR_clear_error();
	return rc == 1;
}
