/*
 * testkeys.c - key generation and small helpers shared by the core's
 * unit tests. Keys are made fresh with OpenSSL EVP so no test depends on a
 * key produced by the code under test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "../../dkim/base64.h"
#include "testkeys.h"

/* Stop the test program with a reason. */
static void
tk_die(const char *what)
{
	fprintf(stderr, "testkeys: %s failed\n", what);
	abort();
}

/* Copy a memory BIO's contents into a new C string. */
static char *
bio_string(BIO *bio)
{
	char *data, *s;
	long n = BIO_get_mem_data(bio, &data);

	if (n <= 0 || (s = malloc((size_t)n + 1)) == NULL)
		tk_die("BIO_get_mem_data");
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

/* Make a new private key in one of the textual forms the core reads. */
char *
tk_private(enum tk_form form, int bits)
{
	EVP_PKEY *pkey;
	BIO *bio;
	char *s;

	if (form == TK_RSA_PKCS1 || form == TK_RSA_PKCS8)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL)
		tk_die("EVP_PKEY_Q_keygen");
	if (form == TK_ED25519_SEED) {
		unsigned char seed[32];
		size_t len = sizeof(seed);

		if (EVP_PKEY_get_raw_private_key(pkey, seed, &len) != 1 || len != 32)
			tk_die("EVP_PKEY_get_raw_private_key");
		if ((s = malloc(base64_encoded_len(32) + 2)) == NULL)
			tk_die("malloc");
		base64_encode(seed, 32, s);
		strcat(s, "\n");	/* dkimpy's files end with a newline */
		EVP_PKEY_free(pkey);
		return s;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		tk_die("BIO_new");
	if (form == TK_RSA_PKCS1) {
		/* The traditional format is what "openssl genrsa -traditional" writes. */
		if (PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1)
			tk_die("PEM_write_bio_PrivateKey_traditional");
	} else if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1)
		tk_die("PEM_write_bio_PrivateKey");
	s = bio_string(bio);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return s;
}

/* Load a private key with the core or abort. */
dkim_key *
tk_load(const char *text)
{
	dkim_key *k = NULL;
	dkim_err err;

	if (dkim_key_load_mem(text, strlen(text), &k, &err) != DKIM_OK) {
		fprintf(stderr, "testkeys: dkim_key_load_mem: %s\n", err.msg);
		abort();
	}
	return k;
}

/* Build the key record text for a key. */
char *
tk_record(const dkim_key *key)
{
	char *p, *rec;
	size_t n;
	dkim_err err;

	if ((p = dkim_key_public_b64(key, &err)) == NULL) {
		fprintf(stderr, "testkeys: dkim_key_public_b64: %s\n", err.msg);
		abort();
	}
	n = strlen(p) + 64;
	if ((rec = malloc(n)) == NULL)
		tk_die("malloc");
	snprintf(rec, n, "v=DKIM1; k=%s; p=%s", dkim_alg_keytype(dkim_key_alg(key)), p);
	free(p);
	return rec;
}

/* Append canonical bytes to the dbuf in arg. */
void
tk_sink(void *arg, const void *data, size_t len)
{
	dbuf_add(arg, data, len);
}

/* xorshift64*: small, seedable, the same on every platform. */
unsigned long
tk_rand(unsigned long long *state)
{
	unsigned long long x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (unsigned long)((x * 2685821657736338717ULL) >> 33);
}

/* Escape bytes for a failure message (static buffer, truncated). */
const char *
tk_show(const void *data, size_t len)
{
	static char buf[1024];
	const unsigned char *p = data;
	size_t i, o = 0;

	for (i = 0; i < len && o + 8 < sizeof(buf); i++) {
		if (p[i] == '\r')
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\r");
		else if (p[i] == '\n')
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\n");
		else if (p[i] == '\t')
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\t");
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", p[i]);
		else
			buf[o++] = (char)p[i];
	}
	buf[o] = '\0';
	return buf;
}
