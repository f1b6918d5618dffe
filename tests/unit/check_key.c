/*
 * check_key.c - keys: every private key form the core reads (RSA PKCS#1 and
 * PKCS#8 PEM, Ed25519 PKCS#8 PEM and the dkimpy base64 seed), the RSA size
 * floor, key files, the p= export, digest signatures checked independently
 * with OpenSSL, and the key record parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "../../dkim/base64.h"
#include "../../dkim/key.h"
#include "../../dkim/keyload.h"
#include "../../dkim/verify.h"
#include "testkeys.h"
#include "testmain.h"

/* Keys made once by key_suite (Check forks each test, children inherit them). */
static char *rsa1024_pkcs1, *rsa2048_pkcs8, *rsa512_pkcs8, *ed_pkcs8, *ed_seed;

/* Decode PEM with OpenSSL alone, for independent comparisons. */
static EVP_PKEY *
openssl_pem(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pk;

	ck_assert_ptr_nonnull(bio);
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ck_assert_ptr_nonnull(pk);
	return pk;
}

static int
load_rc(const char *text, dkim_err *err)
{
	dkim_key *k = NULL;
	int rc = dkim_key_load_mem(text, strlen(text), &k, err);

	dkim_key_free(k);
	return rc;
}

START_TEST(load_forms)
{
	dkim_key *k;

	ck_assert_ptr_nonnull(strstr(rsa1024_pkcs1, "BEGIN RSA PRIVATE KEY"));
	k = tk_load(rsa1024_pkcs1);
	ck_assert_int_eq(dkim_key_alg(k), DKIM_ALG_RSA_SHA256);
	ck_assert_int_eq(dkim_key_bits(k), 1024);
	ck_assert(dkim_key_is_private(k));
	ck_assert_uint_eq(dkim_key_sig_max(k), 128);
	dkim_key_free(k);

	ck_assert_ptr_nonnull(strstr(rsa2048_pkcs8, "BEGIN PRIVATE KEY"));
	k = tk_load(rsa2048_pkcs8);
	ck_assert_int_eq(dkim_key_alg(k), DKIM_ALG_RSA_SHA256);
	ck_assert_int_eq(dkim_key_bits(k), 2048);
	ck_assert_uint_eq(dkim_key_sig_max(k), 256);
	dkim_key_free(k);

	k = tk_load(ed_pkcs8);
	ck_assert_int_eq(dkim_key_alg(k), DKIM_ALG_ED25519_SHA256);
	ck_assert_int_eq(dkim_key_bits(k), 256);
	ck_assert(dkim_key_is_private(k));
	ck_assert_uint_eq(dkim_key_sig_max(k), 64);
	dkim_key_free(k);

	k = tk_load(ed_seed);
	ck_assert_int_eq(dkim_key_alg(k), DKIM_ALG_ED25519_SHA256);
	ck_assert(dkim_key_is_private(k));
	dkim_key_free(k);
}
END_TEST

/* RSA under 1024 bits is refused (RFC 8301), with the size in the message. */
START_TEST(rsa_floor)
{
	dkim_err err;

	ck_assert_int_eq(load_rc(rsa512_pkcs8, &err), DKIM_ERR_KEY);
	ck_assert_ptr_nonnull(strstr(err.msg, "512"));
}
END_TEST

/* A seed and the PEM of the same Ed25519 key give the same public key. */
START_TEST(ed25519_seed_matches_pem)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	unsigned char seed[32];
	char b64[64], *pem, *data;
	size_t len = sizeof(seed);
	dkim_key *a, *b;
	BIO *bio;
	long n;

	ck_assert_ptr_nonnull(pk);
	ck_assert_int_eq(EVP_PKEY_get_raw_private_key(pk, seed, &len), 1);
	base64_encode(seed, 32, b64);
	bio = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(bio, &data);
	pem = strndup(data, (size_t)n);
	a = tk_load(pem);
	b = tk_load(b64);
	ck_assert(dkim_key_same_public(a, b));
	dkim_key_free(a);
	dkim_key_free(b);
	/* A different key is different. */
	a = tk_load(ed_seed);
	b = tk_load(pem);
	ck_assert(!dkim_key_same_public(a, b));
	dkim_key_free(a);
	dkim_key_free(b);
	free(pem);
	BIO_free(bio);
	EVP_PKEY_free(pk);
}
END_TEST

START_TEST(load_garbage)
{
	static const char enc_hdr[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n";
	EVP_PKEY *pk = openssl_pem(rsa1024_pkcs1);
	dkim_err err;
	char *data;
	BIO *bio;
	long n;

	ck_assert_int_eq(load_rc("", &err), DKIM_ERR_KEY);
	ck_assert_int_eq(load_rc("hello world", &err), DKIM_ERR_KEY);
	ck_assert_int_eq(load_rc("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
	    &err), DKIM_ERR_KEY);
	/* Base64 of 31 bytes is neither a seed nor DER. */
	ck_assert_int_eq(load_rc("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", &err), DKIM_ERR_KEY);
	/* An encrypted key is refused without a passphrase prompt. */
	bio = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_PKCS8PrivateKey(bio, pk, EVP_aes_128_cbc(), NULL, 0,
	    NULL, (void *)"secret"), 1);
	n = BIO_get_mem_data(bio, &data);
	ck_assert(n > (long)sizeof(enc_hdr) && memcmp(data, enc_hdr, sizeof(enc_hdr) - 1) == 0);
	{
		dkim_key *k = NULL;

		ck_assert_int_eq(dkim_key_load_mem(data, (size_t)n, &k, &err), DKIM_ERR_KEY);
		ck_assert_ptr_nonnull(strstr(err.msg, "encrypted"));
	}
	BIO_free(bio);
	EVP_PKEY_free(pk);
	/* A public key is not a private key. */
	ck_assert_int_eq(load_rc("-----BEGIN PUBLIC KEY-----\n"
	    "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
	    "-----END PUBLIC KEY-----\n", &err), DKIM_ERR_KEY);
}
END_TEST

/* Write text to a new temporary file; returns its path (static buffer). */
static const char *
temp_file(const char *text, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/check_key.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

/* Both ways of loading a key file: every check holds for both. */
static dkim_keyloader *loader;
static int use_loader;

static int
load_file(const char *path, dkim_key **k, dkim_err *err)
{
	return use_loader ? dkim_keyloader_load_file(loader, path, k, err) :
	    dkim_key_load_file(path, k, err);
}

START_TEST(load_files)
{
	const char *path;
	dkim_key *k = NULL;
	dkim_err err;
	char *big;

	ck_assert_ptr_nonnull(loader = dkim_keyloader_new());
	for (use_loader = 0; use_loader < 2; use_loader++) {
		path = temp_file(ed_pkcs8, strlen(ed_pkcs8));
		ck_assert_int_eq(load_file(path, &k, &err), DKIM_OK);
		ck_assert_int_eq(dkim_key_alg(k), DKIM_ALG_ED25519_SHA256);
		dkim_key_free(k);
		unlink(path);
		path = temp_file(ed_seed, strlen(ed_seed));
		ck_assert_int_eq(load_file(path, &k, &err), DKIM_OK);
		dkim_key_free(k);
		unlink(path);
		path = temp_file(rsa1024_pkcs1, strlen(rsa1024_pkcs1));
		ck_assert_int_eq(load_file(path, &k, &err), DKIM_OK);
		ck_assert_int_eq(dkim_key_bits(k), 1024);
		dkim_key_free(k);
		unlink(path);
		/* Errors name the file. */
		path = temp_file(rsa512_pkcs8, strlen(rsa512_pkcs8));
		ck_assert_int_eq(load_file(path, &k, &err), DKIM_ERR_KEY);
		ck_assert_ptr_nonnull(strstr(err.msg, path));
		unlink(path);
		ck_assert_int_eq(load_file("/nonexistent/key.pem", &k, &err), DKIM_ERR_IO);
		ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/key.pem"));
		ck_assert_int_eq(load_file("/tmp", &k, &err), DKIM_ERR_IO);
		/* Bigger than DKIM_KEY_FILE_MAX. */
		big = malloc(DKIM_KEY_FILE_MAX + 10);
		ck_assert_ptr_nonnull(big);
		memset(big, 'A', DKIM_KEY_FILE_MAX + 10);
		path = temp_file(big, DKIM_KEY_FILE_MAX + 10);
		ck_assert_int_eq(load_file(path, &k, &err), DKIM_ERR_TOOBIG);
		unlink(path);
		free(big);
	}
	dkim_keyloader_free(loader);
}
END_TEST

/* p= export: RSA is base64 DER SubjectPublicKeyInfo, Ed25519 the raw 32 bytes. */
START_TEST(public_export)
{
	unsigned char der[2048], raw[32];
	const unsigned char *p = der;
	size_t derlen, rawlen = sizeof(raw);
	EVP_PKEY *pk, *pub;
	dkim_key *k, *pk2;
	dkim_err err;
	char *b64;

	/* RSA. */
	k = tk_load(rsa2048_pkcs8);
	b64 = dkim_key_public_b64(k, &err);
	ck_assert_ptr_nonnull(b64);
	ck_assert_int_eq(strncmp(b64, "MIIBIjAN", 8), 0);	/* SPKI, rsaEncryption */
	ck_assert_int_eq(base64_decode(b64, strlen(b64), der, sizeof(der), &derlen), 0);
	pub = d2i_PUBKEY(NULL, &p, (long)derlen);
	ck_assert_ptr_nonnull(pub);
	pk = openssl_pem(rsa2048_pkcs8);
	ck_assert_int_eq(EVP_PKEY_eq(pk, pub), 1);
	ck_assert_int_eq(dkim_key_from_public(b64, strlen(b64), DKIM_ALG_RSA_SHA256, &pk2, &err),
	    DKIM_OK);
	ck_assert(!dkim_key_is_private(pk2));
	ck_assert(dkim_key_same_public(k, pk2));
	ck_assert_int_eq(dkim_key_bits(pk2), 2048);
	dkim_key_free(pk2);
	/* The same key as an Ed25519 p= is refused. */
	ck_assert_int_eq(dkim_key_from_public(b64, strlen(b64), DKIM_ALG_ED25519_SHA256, &pk2,
	    &err), DKIM_ERR_KEY);
	free(b64);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(pk);
	dkim_key_free(k);

	/* Ed25519. */
	k = tk_load(ed_pkcs8);
	b64 = dkim_key_public_b64(k, &err);
	ck_assert_ptr_nonnull(b64);
	ck_assert_uint_eq(strlen(b64), 44);
	ck_assert_int_eq(base64_decode(b64, strlen(b64), der, sizeof(der), &derlen), 0);
	ck_assert_uint_eq(derlen, 32);
	pk = openssl_pem(ed_pkcs8);
	ck_assert_int_eq(EVP_PKEY_get_raw_public_key(pk, raw, &rawlen), 1);
	ck_assert(rawlen == 32 && memcmp(raw, der, 32) == 0);
	ck_assert_int_eq(dkim_key_from_public(b64, strlen(b64), DKIM_ALG_ED25519_SHA256, &pk2,
	    &err), DKIM_OK);
	ck_assert(dkim_key_same_public(k, pk2));
	dkim_key_free(pk2);
	ck_assert_int_eq(dkim_key_from_public(b64, strlen(b64), DKIM_ALG_RSA_SHA256, &pk2, &err),
	    DKIM_ERR_KEY);
	/* 31 bytes is not an Ed25519 key. */
	ck_assert_int_eq(dkim_key_from_public(b64, 40, DKIM_ALG_ED25519_SHA256, &pk2, &err),
	    DKIM_ERR_KEY);
	free(b64);
	EVP_PKEY_free(pk);
	dkim_key_free(k);
}
END_TEST

/* Some records carry a PKCS#1 RSAPublicKey; a 512-bit p= is refused. */
START_TEST(public_forms)
{
	EVP_PKEY *pk = openssl_pem(rsa1024_pkcs1), *small = openssl_pem(rsa512_pkcs8);
	unsigned char *der = NULL;
	char b64[1024];
	dkim_key *k, *pub;
	dkim_err err;
	int n;

	n = i2d_PublicKey(pk, &der);
	ck_assert_int_gt(n, 0);
	base64_encode(der, (size_t)n, b64);
	OPENSSL_free(der);
	ck_assert_int_eq(dkim_key_from_public(b64, strlen(b64), DKIM_ALG_RSA_SHA256, &pub, &err),
	    DKIM_OK);
	k = tk_load(rsa1024_pkcs1);
	ck_assert(dkim_key_same_public(k, pub));
	dkim_key_free(k);
	dkim_key_free(pub);
	der = NULL;
	n = i2d_PUBKEY(small, &der);
	ck_assert_int_gt(n, 0);
	base64_encode(der, (size_t)n, b64);
	OPENSSL_free(der);
	/* A small public key decodes: the verifier judges its size (MinimumKeyBits). */
	ck_assert_int_eq(dkim_key_from_public(b64, strlen(b64), DKIM_ALG_RSA_SHA256, &pub, &err),
	    DKIM_OK);
	ck_assert_int_eq(dkim_key_bits(pub), 512);
	dkim_key_free(pub);
	ck_assert_int_eq(dkim_key_from_public("!!!!", 4, DKIM_ALG_RSA_SHA256, &pub, &err),
	    DKIM_ERR_KEY);
	ck_assert_int_eq(dkim_key_from_public("AAAA", 4, DKIM_ALG_RSA_SHA256, &pub, &err),
	    DKIM_ERR_KEY);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(small);
}
END_TEST

/*
 * An RSA signature is PKCS#1 v1.5 over SHA-256: recovering it with the
 * public key by plain OpenSSL gives the DigestInfo prefix and the digest.
 */
START_TEST(rsa_sign_pkcs1)
{
	static const unsigned char prefix[19] = {
		0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
		0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20
	};
	unsigned char digest[32], sig[256], sig2[256], rec[256];
	size_t siglen, siglen2, reclen = sizeof(rec), i;
	EVP_PKEY *pk = openssl_pem(rsa2048_pkcs8);
	EVP_PKEY_CTX *ctx;
	dkim_key *k = tk_load(rsa2048_pkcs8), *pub;
	dkim_err err;
	char *b64;

	for (i = 0; i < 32; i++)
		digest[i] = (unsigned char)(i * 7 + 1);
	ck_assert_uint_eq(dkim_key_sig_max(k), sizeof(sig));
	ck_assert_int_eq(dkim_key_sign(k, digest, sig, &siglen, &err), DKIM_OK);
	ck_assert_uint_eq(siglen, 256);
	ctx = EVP_PKEY_CTX_new(pk, NULL);
	ck_assert_int_eq(EVP_PKEY_verify_recover_init(ctx), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
	ck_assert_int_eq(EVP_PKEY_verify_recover(ctx, rec, &reclen, sig, siglen), 1);
	ck_assert_uint_eq(reclen, 19 + 32);
	ck_assert(memcmp(rec, prefix, 19) == 0 && memcmp(rec + 19, digest, 32) == 0);
	EVP_PKEY_CTX_free(ctx);
	/* Deterministic. */
	ck_assert_int_eq(dkim_key_sign(k, digest, sig2, &siglen2, &err), DKIM_OK);
	ck_assert(siglen == siglen2 && memcmp(sig, sig2, siglen) == 0);
	/* The core's verifier: good, then bad after one flipped bit. */
	b64 = dkim_key_public_b64(k, &err);
	ck_assert_int_eq(dkim_key_from_public(b64, strlen(b64), DKIM_ALG_RSA_SHA256, &pub, &err),
	    DKIM_OK);
	ck_assert_int_eq(dkim_key_verify(pub, digest, sig, siglen, &err), 1);
	sig[100] ^= 0x10;
	ck_assert_int_eq(dkim_key_verify(pub, digest, sig, siglen, &err), 0);
	sig[100] ^= 0x10;
	digest[0] ^= 1;
	ck_assert_int_eq(dkim_key_verify(pub, digest, sig, siglen, &err), 0);
	/* A truncated signature is a bad signature, not a crash. */
	ck_assert_int_eq(dkim_key_verify(pub, digest, sig, 10, &err), 0);
	/* Signing needs the private part. */
	ck_assert_int_ne(dkim_key_sign(pub, digest, sig2, &siglen2, &err), DKIM_OK);
	free(b64);
	dkim_key_free(pub);
	dkim_key_free(k);
	EVP_PKEY_free(pk);
}
END_TEST

/* Ed25519 signs the 32-byte digest itself (PureEdDSA, RFC 8463 §3). */
START_TEST(ed25519_sign)
{
	unsigned char digest[32], sig[64], sig2[64];
	size_t siglen, siglen2;
	EVP_PKEY *pk = openssl_pem(ed_pkcs8);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	dkim_key *k = tk_load(ed_pkcs8), *pub;
	dkim_err err;
	char *b64;

	memset(digest, 0xa5, sizeof(digest));
	ck_assert_int_eq(dkim_key_sign(k, digest, sig, &siglen, &err), DKIM_OK);
	ck_assert_uint_eq(siglen, 64);
	ck_assert_int_eq(EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk), 1);
	ck_assert_int_eq(EVP_DigestVerify(md, sig, siglen, digest, 32), 1);
	ck_assert_int_eq(dkim_key_sign(k, digest, sig2, &siglen2, &err), DKIM_OK);
	ck_assert(siglen2 == 64 && memcmp(sig, sig2, 64) == 0);
	b64 = dkim_key_public_b64(k, &err);
	ck_assert_int_eq(dkim_key_from_public(b64, strlen(b64), DKIM_ALG_ED25519_SHA256, &pub,
	    &err), DKIM_OK);
	ck_assert_int_eq(dkim_key_verify(pub, digest, sig, siglen, &err), 1);
	sig[5] ^= 1;
	ck_assert_int_eq(dkim_key_verify(pub, digest, sig, siglen, &err), 0);
	ck_assert_int_eq(dkim_key_verify(pub, digest, sig, 63, &err), 0);
	free(b64);
	dkim_key_free(pub);
	dkim_key_free(k);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
}
END_TEST

START_TEST(alg_names)
{
	dkim_alg a;

	ck_assert_str_eq(dkim_alg_name(DKIM_ALG_RSA_SHA256), "rsa-sha256");
	ck_assert_str_eq(dkim_alg_name(DKIM_ALG_ED25519_SHA256), "ed25519-sha256");
	ck_assert_str_eq(dkim_alg_keytype(DKIM_ALG_RSA_SHA256), "rsa");
	ck_assert_str_eq(dkim_alg_keytype(DKIM_ALG_ED25519_SHA256), "ed25519");
	ck_assert_int_eq(dkim_alg_parse("rsa-sha256", 10, &a), 0);
	ck_assert_int_eq(a, DKIM_ALG_RSA_SHA256);
	ck_assert_int_eq(dkim_alg_parse("ed25519-sha256", 14, &a), 0);
	ck_assert_int_eq(a, DKIM_ALG_ED25519_SHA256);
	/* rsa-sha1 is not signed or accepted (RFC 8301). */
	ck_assert_int_eq(dkim_alg_parse("rsa-sha1", 8, &a), -1);
	ck_assert_int_eq(dkim_alg_parse("RSA-SHA256", 10, &a), -1);
}
END_TEST

/* Run the key record parser; returns its status, key freed. */
static int
record(const char *txt, dkim_alg want, int *testing)
{
	char reason[256] = "";
	dkim_key *k = NULL;
	int t = -1, rc;

	rc = dkim_keyrecord_parse(txt, strlen(txt), want, &k, &t, reason, sizeof(reason));
	ck_assert_msg(rc == DKIM_V_PASS ? k != NULL : reason[0] != '\0',
	    "\"%s\": status %d without a key or a reason", txt, rc);
	if (testing != NULL)
		*testing = t;
	dkim_key_free(k);
	return rc;
}

START_TEST(key_records)
{
	dkim_key *rk = tk_load(rsa1024_pkcs1), *ek = tk_load(ed_pkcs8), *got = NULL;
	char *rp = dkim_key_public_b64(rk, NULL), *ep = dkim_key_public_b64(ek, NULL);
	char txt[2048], reason[256];
	int testing;

#define REC(...) (snprintf(txt, sizeof(txt), __VA_ARGS__), txt)
	ck_assert_int_eq(record(REC("v=DKIM1; k=rsa; p=%s", rp), DKIM_ALG_RSA_SHA256, &testing),
	    DKIM_V_PASS);
	ck_assert_int_eq(testing, 0);
	/* k= defaults to rsa; v= is optional; unknown tags are ignored. */
	ck_assert_int_eq(record(REC("p=%s", rp), DKIM_ALG_RSA_SHA256, NULL), DKIM_V_PASS);
	ck_assert_int_eq(record(REC("v=DKIM1; foo=bar; n=notes; p=%s", rp), DKIM_ALG_RSA_SHA256,
	    NULL), DKIM_V_PASS);
	/* p= split by the whitespace that joined TXT strings leave. */
	ck_assert_int_eq(record(REC("v=DKIM1; p=%.40s %s", rp, rp + 40), DKIM_ALG_RSA_SHA256,
	    NULL), DKIM_V_PASS);
	ck_assert_int_eq(record(REC("v=DKIM1; k=ed25519; p=%s", ep), DKIM_ALG_ED25519_SHA256,
	    NULL), DKIM_V_PASS);
	/* DKIM_ALG_ANY takes k=, and the key comes back of that type. */
	REC("v=DKIM1; k=ed25519; p=%s", ep);
	ck_assert_int_eq(dkim_keyrecord_parse(txt, strlen(txt), DKIM_ALG_ANY, &got, NULL, reason,
	    sizeof(reason)), DKIM_V_PASS);
	ck_assert(dkim_key_same_public(got, ek));
	dkim_key_free(got);
	/* t=y (testing), also inside a list. */
	ck_assert_int_eq(record(REC("v=DKIM1; t=y; p=%s", rp), DKIM_ALG_RSA_SHA256, &testing),
	    DKIM_V_PASS);
	ck_assert_int_eq(testing, 1);
	ck_assert_int_eq(record(REC("v=DKIM1; t=s:y; p=%s", rp), DKIM_ALG_RSA_SHA256, &testing),
	    DKIM_V_PASS);
	ck_assert_int_eq(testing, 1);
	/* h=, s= lists. */
	ck_assert_int_eq(record(REC("v=DKIM1; h=sha1:sha256; p=%s", rp), DKIM_ALG_RSA_SHA256,
	    NULL), DKIM_V_PASS);
	ck_assert_int_eq(record(REC("v=DKIM1; h=sha1; p=%s", rp), DKIM_ALG_RSA_SHA256, NULL),
	    DKIM_V_KEYHASH);
	ck_assert_int_eq(record(REC("v=DKIM1; s=email; p=%s", rp), DKIM_ALG_RSA_SHA256, NULL),
	    DKIM_V_PASS);
	ck_assert_int_eq(record(REC("v=DKIM1; s=*; p=%s", rp), DKIM_ALG_RSA_SHA256, NULL),
	    DKIM_V_PASS);
	ck_assert_int_eq(record(REC("v=DKIM1; s=other:email; p=%s", rp), DKIM_ALG_RSA_SHA256,
	    NULL), DKIM_V_PASS);
	ck_assert_int_eq(record(REC("v=DKIM1; s=other; p=%s", rp), DKIM_ALG_RSA_SHA256, NULL),
	    DKIM_V_KEYSERVICE);
	/* Revoked. */
	ck_assert_int_eq(record("v=DKIM1; k=rsa; p=", DKIM_ALG_RSA_SHA256, NULL), DKIM_V_REVOKED);
	ck_assert_int_eq(record("v=DKIM1; p= ;", DKIM_ALG_RSA_SHA256, NULL), DKIM_V_REVOKED);
	/* k= does not fit the signature, or is unknown. */
	ck_assert_int_eq(record(REC("v=DKIM1; k=ed25519; p=%s", ep), DKIM_ALG_RSA_SHA256, NULL),
	    DKIM_V_KEYALG);
	ck_assert_int_eq(record(REC("v=DKIM1; k=rsa; p=%s", rp), DKIM_ALG_ED25519_SHA256, NULL),
	    DKIM_V_KEYALG);
	ck_assert_int_eq(record(REC("v=DKIM1; k=dsa; p=%s", rp), DKIM_ALG_RSA_SHA256, NULL),
	    DKIM_V_KEYALG);
	/* Syntax. */
	ck_assert_int_eq(record(REC("v=DKIM2; p=%s", rp), DKIM_ALG_RSA_SHA256, NULL),
	    DKIM_V_KEYSYNTAX);
	ck_assert_int_eq(record(REC("k=rsa; v=DKIM1; p=%s", rp), DKIM_ALG_RSA_SHA256, NULL),
	    DKIM_V_KEYSYNTAX);
	ck_assert_int_eq(record("v=DKIM1; k=rsa", DKIM_ALG_RSA_SHA256, NULL), DKIM_V_KEYSYNTAX);
	ck_assert_int_eq(record("v=DKIM1; p=!!notbase64", DKIM_ALG_RSA_SHA256, NULL),
	    DKIM_V_KEYSYNTAX);
	ck_assert_int_eq(record(REC("v=DKIM1; p=%s; p=%s", rp, rp), DKIM_ALG_RSA_SHA256, NULL),
	    DKIM_V_KEYSYNTAX);
	ck_assert_int_eq(record("garbage", DKIM_ALG_RSA_SHA256, NULL), DKIM_V_KEYSYNTAX);
	/* An Ed25519 p= under k=rsa is not an RSA key. */
	ck_assert_int_eq(record(REC("v=DKIM1; k=rsa; p=%s", ep), DKIM_ALG_RSA_SHA256, NULL),
	    DKIM_V_KEYSYNTAX);
#undef REC
	free(rp);
	free(ep);
	dkim_key_free(rk);
	dkim_key_free(ek);
}
END_TEST

/* The keys (made here, before Check forks the tests) and every test, in one suite. */
int
main(void)
{
	Suite *s = suite_create("key");
	TCase *tc = tm_case(s, "key", 60);

	rsa1024_pkcs1 = tk_private(TK_RSA_PKCS1, 1024);
	rsa2048_pkcs8 = tk_private(TK_RSA_PKCS8, 2048);
	rsa512_pkcs8 = tk_private(TK_RSA_PKCS8, 512);
	ed_pkcs8 = tk_private(TK_ED25519_PKCS8, 0);
	ed_seed = tk_private(TK_ED25519_SEED, 0);
	tm_add(tc, load_forms, rsa_floor, ed25519_seed_matches_pem, load_garbage, load_files,
	    public_export, public_forms, rsa_sign_pkcs1, ed25519_sign, alg_names, key_records,
	    NULL);
	return tm_run(s, CK_FORK_GETENV);
}
