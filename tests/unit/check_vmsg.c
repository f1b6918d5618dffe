/*
 * check_vmsg.c - the streaming verifier: headers fed the way a milter gets
 * them (bare-LF folds), bodies in random chunks, keys answered in any order
 * and at any time before finish; only max_sigs signatures parsed (a
 * thousand cost nothing more); one body hash per canonicalization and l=;
 * the RFC 8301 rules (rsa-sha1, small keys), t=y, result fields and the
 * RFC 8601 result word of every status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "../../dkim/base64.h"
#include "../../dkim/canon.h"
#include "../../dkim/dbuf.h"
#include "../../dkim/header.h"
#include "../../dkim/vmsg.h"
#include "testkeys.h"
#include "testsign.h"
#include "testmain.h"

/* How the keys are answered. */
enum keymode { KEYS_AT_EOH, KEYS_REVERSED_MID_BODY, KEYS_NONE, KEYS_TEMPFAIL, KEYS_DISTRUST };

struct feed {
	dkim_vmsg *m;
	unsigned long long rnd;
};

/* Walk callback: hand the field over as a milter would, folds as bare LF. */
static int
feed_header(void *arg, const char *field, size_t len)
{
	struct feed *f = arg;
	const char *value;
	size_t nlen, vlen, i, o = 0;
	char *lf = malloc(len + 1);
	dkim_err err;
	int rc;

	ck_assert_ptr_nonnull(lf);
	ck_assert_int_eq(dkim_header_split(field, len, &nlen, &value, &vlen, &err), DKIM_OK);
	for (i = 0; i < vlen; i++)
		if (!(value[i] == '\r' && i + 1 < vlen && value[i + 1] == '\n'))
			lf[o++] = value[i];
	rc = dkim_vmsg_header(f->m, field, (size_t)(value - 1 - field), lf, o, &err);
	ck_assert_msg(rc == DKIM_OK, "header: %s", err.msg);
	free(lf);
	return 0;
}

/* Answer every pending lookup from the test zone, in order or reversed. */
static size_t
answer(dkim_vmsg *m, int reversed, enum keymode mode)
{
	const char *d, *s;
	char txt[8192];
	size_t i, j, n = dkim_vmsg_nverify(m), asked = 0;
	int rc;

	for (j = 0; j < n; j++) {
		i = reversed ? n - 1 - j : j;
		if (!dkim_vmsg_need(m, i, &d, &s))
			continue;
		asked++;
		if (mode == KEYS_NONE)
			continue;
		if (mode == KEYS_TEMPFAIL) {
			dkim_vmsg_key_status(m, i, DKIM_V_KEYFAIL, NULL);
			continue;
		}
		if (mode == KEYS_DISTRUST)
			dkim_vmsg_key_distrust(m, i, "not trusted");
		rc = lookup(NULL, d, s, txt, sizeof(txt));
		if (rc == 0)
			dkim_vmsg_key(m, i, txt, strlen(txt));
		else
			dkim_vmsg_key_status(m, i, rc > 0 ? DKIM_V_NOKEY : DKIM_V_KEYFAIL, NULL);
		/* A second answer for the same signature is ignored. */
		dkim_vmsg_key_status(m, i, DKIM_V_NOKEY, NULL);
	}
	return asked;
}

/* Verify msg through the streaming API; returns the context after finish. */
static dkim_vmsg *
stream(const char *msg, const dkim_vopts *o, enum keymode mode, unsigned long long seed,
    size_t *asked)
{
	struct feed f;
	size_t body, pos, n, len = strlen(msg), a = 0;
	dkim_err err;

	ck_assert_int_eq(dkim_vmsg_new(o, &f.m, &err), DKIM_OK);
	f.rnd = seed;
	ck_assert_int_eq(dkim_message_walk(msg, len, feed_header, &f, &body, &err), DKIM_OK);
	ck_assert_int_eq(dkim_vmsg_eoh(f.m, &err), DKIM_OK);
	if (mode != KEYS_REVERSED_MID_BODY)
		a = answer(f.m, 0, mode);
	for (pos = body; pos < len; pos += n) {
		n = 1 + tk_rand(&f.rnd) % 97;
		if (n > len - pos)
			n = len - pos;
		ck_assert_int_eq(dkim_vmsg_body(f.m, msg + pos, n, &err), DKIM_OK);
		if (mode == KEYS_REVERSED_MID_BODY && a == 0 && pos > body)
			a = answer(f.m, 1, mode);
	}
	if (mode == KEYS_REVERSED_MID_BODY && a == 0)
		a = answer(f.m, 1, mode);
	ck_assert_int_eq(dkim_vmsg_finish(f.m, &err), DKIM_OK);
	if (asked != NULL)
		*asked = a;
	return f.m;
}

static dkim_vopts
opts_at(time_t now)
{
	dkim_vopts o;

	dkim_vopts_default(&o);
	o.now = now;
	return o;
}

#define assert_res(m, i, want) do { \
	const dkim_vresult *r_ = dkim_vmsg_result((m), (i)); \
	ck_assert_ptr_nonnull(r_); \
	ck_assert_msg(r_->status == (want), "sig %d: %s (%s), want %s", (int)(i), \
	    dkim_vstatus_name(r_->status), r_->reason, dkim_vstatus_name(want)); \
} while (0)

/* Every canonicalization x algorithm, keys answered early or late and reversed. */
START_TEST(stream_matrix)
{
	dkim_signer_opts so;
	dkim_vopts o = opts_at(WHEN + 10);
	dkim_canon hc, bc;
	dkim_key *k;
	dkim_vmsg *m;
	char *msg;

	combo(_i % 8, &k, &hc, &bc);
	zone_default();
	so = opts_for(k, hc, bc);
	msg = sign_msg(&so, k, WHEN, base_msg, strlen(base_msg));
	m = stream(msg, &o, _i < 8 ? KEYS_AT_EOH : KEYS_REVERSED_MID_BODY, (unsigned)_i + 1, NULL);
	ck_assert_uint_eq(dkim_vmsg_nsigs(m), 1);
	assert_res(m, 0, DKIM_V_PASS);
	dkim_vmsg_free(m);
	patch(msg, "the numbers", "the numberz");
	m = stream(msg, &o, KEYS_AT_EOH, 7, NULL);
	assert_res(m, 0, DKIM_V_BODYHASH);
	dkim_vmsg_free(m);
	free(msg);
}
END_TEST

/* ClockDrift: x= counts as passed only drift seconds after it (OpenDKIM's rule). */
START_TEST(clock_drift)
{
	dkim_signer_opts so = opts_for(rsa_key, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE);
	dkim_vopts o = opts_at(WHEN + 3601);
	dkim_vmsg *m;
	char *msg;

	zone_default();
	so.ttl = 3600;
	msg = sign_msg(&so, rsa_key, WHEN, base_msg, strlen(base_msg));
	m = stream(msg, &o, KEYS_AT_EOH, 1, NULL);
	assert_res(m, 0, DKIM_V_EXPIRED);
	dkim_vmsg_free(m);
	o.drift = 300;
	m = stream(msg, &o, KEYS_AT_EOH, 1, NULL);
	assert_res(m, 0, DKIM_V_PASS);
	dkim_vmsg_free(m);
	o.now = WHEN + 3600 + 301;
	m = stream(msg, &o, KEYS_AT_EOH, 1, NULL);
	assert_res(m, 0, DKIM_V_EXPIRED);
	dkim_vmsg_free(m);
	free(msg);
}
END_TEST

/* Result fields: d, s, i, a, b= prefix, bits, testing, the result word. */
START_TEST(result_fields)
{
	dkim_signer_opts so = opts_for(rsa_key, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	dkim_vopts o = opts_at(WHEN + 10);
	const dkim_vresult *r;
	dkim_taglist tl;
	const dkim_tag *b;
	dkim_vmsg *m;
	char *msg, *rec, *rec2, bare[1024];
	size_t i, o2;

	zone_default();
	msg = sign_msg(&so, rsa_key, WHEN, base_msg, strlen(base_msg));
	m = stream(msg, &o, KEYS_AT_EOH, 3, NULL);
	r = dkim_vmsg_result(m, 0);
	ck_assert_int_eq(r->status, DKIM_V_PASS);
	ck_assert_str_eq(r->domain, "example.com");
	ck_assert_str_eq(r->selector, "rsa");
	ck_assert_str_eq(r->identity, "@example.com");
	ck_assert_str_eq(r->algname, "rsa-sha256");
	ck_assert_int_eq(r->bits, 2048);
	ck_assert_int_eq(r->testing, 0);
	ck_assert_str_eq(dkim_vstatus_result(r->status), "pass");
	sig_tags(msg, &tl);
	b = dkim_taglist_get(&tl, "b");
	ck_assert_uint_eq(strlen(r->bprefix), DKIM_BPREFIX_MAX);
	for (i = o2 = 0; i < b->vlen && o2 < sizeof(bare) - 1; i++)
		if (!strchr(" \t\r\n", b->value[i]))
			bare[o2++] = b->value[i];
	bare[o2] = '\0';
	ck_assert_int_eq(strncmp(r->bprefix, bare, DKIM_BPREFIX_MAX), 0);
	ck_assert_ptr_null(dkim_vmsg_result(m, 1));
	dkim_vmsg_free(m);
	/* t=y: still a pass, flagged. */
	rec = tk_record(rsa_key);
	ck_assert_int_gt(asprintf(&rec2, "%s; t=y", rec), 0);
	zone_set(0, "rsa", rec2);
	m = stream(msg, &o, KEYS_AT_EOH, 3, NULL);
	assert_res(m, 0, DKIM_V_PASS);
	ck_assert_int_eq(dkim_vmsg_result(m, 0)->testing, 1);
	dkim_vmsg_free(m);
	free(rec);
	free(rec2);
	free(msg);
}
END_TEST

/*
 * All signatures together hash at most the header once and 64 KiB: three
 * signatures each naming every one of 30 fields of 59 KB (1.8 MB) would
 * otherwise hash it three times (64 times with MaximumSignaturesToVerify
 * 64). The first is hashed; the others are permerror, their key not asked.
 */
START_TEST(header_limit)
{
	static const char bh[] = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
	dkim_vopts o = opts_at(WHEN + 10);
	size_t i, k, asked;
	char line[77];
	dkim_vmsg *m;
	dbuf d;

	memset(line, 'y', 76);
	line[76] = '\0';
	dbuf_init(&d);
	for (k = 0; k < 64; k++) {
		dbuf_printf(&d, "DKIM-Signature: v=1; a=rsa-sha256; d=nx.example; s=s%zu; "
		    "c=relaxed/relaxed; bh=%s; b=AAAA; h=from", k, bh);
		for (i = 0; i < 30; i++)
			dbuf_printf(&d, ":x-big-%zu", i);
		dbuf_adds(&d, "\r\n");
	}
	dbuf_adds(&d, "From: a@example.com\r\n");
	for (i = 0; i < 30; i++) {
		dbuf_printf(&d, "X-Big-%zu:", i);
		for (k = 0; k < 750; k++)
			dbuf_printf(&d, "%s%s", k ? "\r\n\t" : " ", line);
		dbuf_adds(&d, "\r\n");
	}
	dbuf_adds(&d, "\r\nbody\r\n");
	ck_assert(!dbuf_failed(&d));
	zone_clear();
	for (k = 0; k < 2; k++) {
		o.max_sigs = k ? 64 : 3;
		m = stream(d.data, &o, KEYS_AT_EOH, 23, &asked);
		ck_assert_uint_eq(asked, 1);
		assert_res(m, 0, DKIM_V_NOKEY);
		for (i = 1; i < o.max_sigs; i++)
			assert_res(m, i, DKIM_V_HASHLIMIT);
		ck_assert_ptr_nonnull(strstr(dkim_vmsg_result(m, 1)->reason, "h= takes the "
		    "signatures past "));
		ck_assert_str_eq(dkim_vstatus_result(DKIM_V_HASHLIMIT), "permerror");
		dkim_vmsg_free(m);
	}
	dbuf_free(&d);
}
END_TEST

/* A key record for a new RSA key of any size (the core loads none under 1024 bits). */
static char *
rsa_record(int bits)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	unsigned char *der = NULL;
	char *rec;
	int n;

	ck_assert_ptr_nonnull(k);
	ck_assert_int_gt(n = i2d_PUBKEY(k, &der), 0);
	rec = malloc(sizeof("v=DKIM1; p=") + base64_encoded_len((size_t)n));
	ck_assert_ptr_nonnull(rec);
	strcpy(rec, "v=DKIM1; p=");
	base64_encode(der, (size_t)n, rec + strlen(rec));
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	return rec;
}

/*
 * A key record for an RSA public key with a random odd modulus of nbits
 * and a public exponent of ebits (65537 when 17): no private key needed,
 * and none of that size made (an 8192-bit key takes seconds to generate).
 */
static char *
rsa_record_ne(int nbits, int ebits)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *n = BN_new(), *e = BN_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *k = NULL;
	OSSL_PARAM *params;
	unsigned char *der = NULL;
	char *rec;
	int len;

	ck_assert(bld && n && e && ctx);
	ck_assert_int_eq(BN_rand(n, nbits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD), 1);
	if (ebits == 17)
		ck_assert_int_eq(BN_set_word(e, 65537), 1);
	else
		ck_assert_int_eq(BN_rand(e, ebits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD), 1);
	ck_assert_int_eq(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n), 1);
	ck_assert_int_eq(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e), 1);
	ck_assert_ptr_nonnull(params = OSSL_PARAM_BLD_to_param(bld));
	ck_assert_int_eq(EVP_PKEY_fromdata_init(ctx), 1);
	ck_assert_int_eq(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params), 1);
	ck_assert_int_gt(len = i2d_PUBKEY(k, &der), 0);
	rec = malloc(sizeof("v=DKIM1; p=") + base64_encoded_len((size_t)len));
	ck_assert_ptr_nonnull(rec);
	strcpy(rec, "v=DKIM1; p=");
	base64_encode(der, (size_t)len, rec + strlen(rec));
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return rec;
}

/* RFC 8301: rsa-sha1 and keys under the minimum are not a pass (policy). */
START_TEST(rfc8301)
{
	dkim_signer_opts so = opts_for(rsa_key, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE);
	dkim_vopts o = opts_at(WHEN + 10);
	dkim_key *small = tk_load(rsa1024_pem);
	dkim_vmsg *m;
	size_t asked;
	char *msg, *rec;

	zone_default();
	msg = sign_msg(&so, rsa_key, WHEN, base_msg, strlen(base_msg));
	patch(msg, "a=rsa-sha256;", "a=rsa-sha1;  ");
	m = stream(msg, &o, KEYS_AT_EOH, 5, &asked);
	assert_res(m, 0, DKIM_V_SHA1);
	ck_assert_uint_eq(asked, 0);		/* decided without DNS */
	ck_assert_str_eq(dkim_vstatus_result(DKIM_V_SHA1), "policy");
	dkim_vmsg_free(m);
	free(msg);
	/* A 1024-bit key passes by default, not under a 2048-bit minimum. */
	rec = tk_record(small);
	zone_set(2, "small", rec);
	so.selector = "small";
	msg = sign_msg(&so, small, WHEN, base_msg, strlen(base_msg));
	m = stream(msg, &o, KEYS_AT_EOH, 5, NULL);
	assert_res(m, 0, DKIM_V_PASS);
	ck_assert_int_eq(dkim_vmsg_result(m, 0)->bits, 1024);
	dkim_vmsg_free(m);
	o.min_key_bits = 2048;
	m = stream(msg, &o, KEYS_AT_EOH, 5, NULL);
	assert_res(m, 0, DKIM_V_KEYSIZE);
	ck_assert_str_eq(dkim_vstatus_result(DKIM_V_KEYSIZE), "policy");
	dkim_vmsg_free(m);
	free(rec);
	free(msg);
	dkim_key_free(small);
	/*
	 * Whatever minimum it is given, the core refuses an RSA key under 1024
	 * bits, before the signature is checked (RFC 8301).
	 */
	rec = rsa_record(768);
	zone_set(2, "small", rec);
	msg = sign_msg(&so, rsa_key, WHEN, base_msg, strlen(base_msg));
	o.min_key_bits = 512;
	m = stream(msg, &o, KEYS_AT_EOH, 5, NULL);
	assert_res(m, 0, DKIM_V_KEYSIZE);
	ck_assert_int_eq(dkim_vmsg_result(m, 0)->bits, 768);
	ck_assert_str_eq(dkim_vmsg_result(m, 0)->reason, "768-bit key, under the 1024-bit minimum");
	dkim_vmsg_free(m);
	free(rec);
	/*
	 * Keys that cost a verifier more than the message: over 4096 bits (RFC
	 * 8301 asks verifiers for 1024 to 4096), or a public exponent over 32
	 * bits (a 3070-bit one costs 4 ms, 200 RSA-2048 verifications).
	 * Refused before the signature is checked.
	 */
	{
		static const struct {
			int nbits, ebits;
			enum dkim_vstatus want;
			const char *reason;
		} keys[] = {
			{ 4096, 17, DKIM_V_BADSIG, "signature does not verify" },
			{ 4097, 17, DKIM_V_KEYSIZE, "4097-bit key, over the 4096-bit maximum" },
			{ 8192, 17, DKIM_V_KEYSIZE, "8192-bit key, over the 4096-bit maximum" },
			{ 2048, 32, DKIM_V_BADSIG, "signature does not verify" },
			{ 2048, 33, DKIM_V_KEYSIZE, "RSA public exponent of 33 bits, over 32" },
			{ 3072, 3070, DKIM_V_KEYSIZE, "RSA public exponent of 3070 bits, over 32" },
		};
		size_t i;

		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			rec = rsa_record_ne(keys[i].nbits, keys[i].ebits);
			zone_set(2, "small", rec);
			m = stream(msg, &o, KEYS_AT_EOH, 5, NULL);
			assert_res(m, 0, keys[i].want);
			ck_assert_str_eq(dkim_vmsg_result(m, 0)->reason, keys[i].reason);
			dkim_vmsg_free(m);
			free(rec);
		}
	}
	free(msg);
}
END_TEST

/* No answer, a temporary failure, no record: temperror / permerror. */
START_TEST(key_answers)
{
	dkim_signer_opts so = opts_for(ed_key, DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED);
	dkim_vopts o = opts_at(WHEN + 10);
	dkim_vmsg *m;
	char *msg;

	zone_default();
	msg = sign_msg(&so, ed_key, WHEN, base_msg, strlen(base_msg));
	m = stream(msg, &o, KEYS_NONE, 9, NULL);
	assert_res(m, 0, DKIM_V_KEYFAIL);
	ck_assert_str_eq(dkim_vstatus_result(dkim_vmsg_result(m, 0)->status), "temperror");
	dkim_vmsg_free(m);
	m = stream(msg, &o, KEYS_TEMPFAIL, 9, NULL);
	assert_res(m, 0, DKIM_V_KEYFAIL);
	dkim_vmsg_free(m);
	zone_clear();
	m = stream(msg, &o, KEYS_AT_EOH, 9, NULL);
	assert_res(m, 0, DKIM_V_NOKEY);
	ck_assert_str_eq(dkim_vstatus_result(DKIM_V_NOKEY), "permerror");
	ck_assert_str_eq(dkim_vstatus_result(DKIM_V_BADSIG), "fail");
	ck_assert_str_eq(dkim_vstatus_result(DKIM_V_EXPIRED), "neutral");
	ck_assert_str_eq(dkim_vstatus_result((enum dkim_vstatus)999), "temperror");
	dkim_vmsg_free(m);
	/* A key record the caller does not trust: neutral, saying what it came to. */
	zone_default();
	m = stream(msg, &o, KEYS_DISTRUST, 9, NULL);
	assert_res(m, 0, DKIM_V_KEYUNTRUSTED);
	ck_assert_str_eq(dkim_vmsg_result(m, 0)->reason, "not trusted; signature verifies");
	ck_assert_str_eq(dkim_vstatus_result(DKIM_V_KEYUNTRUSTED), "neutral");
	dkim_vmsg_free(m);
	patch(msg, "the numbers", "the numberz");
	m = stream(msg, &o, KEYS_DISTRUST, 9, NULL);
	assert_res(m, 0, DKIM_V_KEYUNTRUSTED);
	ck_assert_str_eq(dkim_vmsg_result(m, 0)->reason, "not trusted; body hash mismatch");
	dkim_vmsg_free(m);
	free(msg);
}
END_TEST

/*
 * Many signatures: only the first max_sigs are parsed and asked for; the
 * rest are counted. Four signatures in two body canonicalizations share
 * two body hashes.
 */
START_TEST(many_signatures)
{
	dkim_signer_opts so;
	dkim_vopts o = opts_at(WHEN + 10);
	dbuf big;
	dkim_vmsg *m;
	char *msg, *m2, *m3, *m4;
	size_t asked, i;

	zone_default();
	so = opts_for(rsa_key, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	msg = sign_msg(&so, rsa_key, WHEN, base_msg, strlen(base_msg));
	so = opts_for(ed_key, DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED);
	m2 = sign_msg(&so, ed_key, WHEN, msg, strlen(msg));
	so = opts_for(rsa_key, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE);
	m3 = sign_msg(&so, rsa_key, WHEN, m2, strlen(m2));
	so = opts_for(ed_key, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE);
	m4 = sign_msg(&so, ed_key, WHEN, m3, strlen(m3));
	o.max_sigs = 4;
	m = stream(m4, &o, KEYS_REVERSED_MID_BODY, 11, &asked);
	ck_assert_uint_eq(asked, 4);
	ck_assert_uint_eq(dkim_vmsg_nbodyhash(m), 2);
	for (i = 0; i < 4; i++)
		assert_res(m, i, DKIM_V_PASS);
	ck_assert_int_eq(dkim_vmsg_result(m, 0)->alg, DKIM_ALG_ED25519_SHA256);
	dkim_vmsg_free(m);
	/* A thousand broken signature fields above: three parsed, none asked for. */
	dbuf_init(&big);
	for (i = 0; i < 1000; i++)
		dbuf_printf(&big, "DKIM-Signature: v=1; a=rsa-sha256; d=example.%zu; s=x; "
		    "h=from; bh=; b=\r\n", i);
	dbuf_adds(&big, m4);
	o = opts_at(WHEN + 10);
	m = stream(big.data, &o, KEYS_AT_EOH, 13, &asked);
	ck_assert_uint_eq(dkim_vmsg_nsigs(m), 1004);
	ck_assert_uint_eq(dkim_vmsg_nverify(m), 3);
	ck_assert_uint_eq(asked, 0);
	ck_assert_uint_eq(dkim_vmsg_nbodyhash(m), 0);
	assert_res(m, 2, DKIM_V_SIGSYNTAX);
	ck_assert_str_eq(dkim_vmsg_result(m, 2)->domain, "example.2");
	dkim_vmsg_free(m);
	/* max_sigs 0: counted, nothing verified. */
	o.max_sigs = 0;
	m = stream(m4, &o, KEYS_AT_EOH, 13, &asked);
	ck_assert_uint_eq(dkim_vmsg_nsigs(m), 4);
	ck_assert_uint_eq(dkim_vmsg_nverify(m), 0);
	dkim_vmsg_free(m);
	dbuf_free(&big);
	free(msg);
	free(m2);
	free(m3);
	free(m4);
}
END_TEST

/*
 * A header built to make h= cost: 9,990 one-letter fields (a to z) and
 * three well-formed signatures whose key is never found, each naming "a"
 * 24,000 times (HOSTILE_LETTERS); or 9,990 distinct fields, named top to
 * bottom in h= (HOSTILE_DISTINCT); or the same size with ordinary h=.
 */
enum hostile { HOSTILE_ORDINARY, HOSTILE_LETTERS, HOSTILE_DISTINCT };

static char *
hostile_msg(enum hostile kind)
{
	static const char bh[] = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
	dbuf d;
	size_t i, k;

	dbuf_init(&d);
	for (k = 0; k < 3; k++) {
		dbuf_printf(&d, "DKIM-Signature: v=1; a=rsa-sha256; d=nx.example; s=s%zu; "
		    "c=relaxed/relaxed; bh=%s; b=AAAA; h=from:to:subject", k, bh);
		if (kind == HOSTILE_ORDINARY) {	/* the same size in an unsigned field */
			dbuf_adds(&d, "\r\nX-Pad: ");
			for (i = 0; i < 24000; i++)
				dbuf_adds(&d, "a ");
		} else if (kind == HOSTILE_DISTINCT) {
			for (i = 0; i < 9990; i++)
				dbuf_printf(&d, ":f%zu", i);
		} else {
			for (i = 0; i < 24000; i++)
				dbuf_adds(&d, ":a");
		}
		dbuf_adds(&d, "\r\n");
	}
	dbuf_adds(&d, "From: a@example.com\r\nTo: b@example.com\r\nSubject: s\r\n");
	for (i = 0; i < 9990; i++)
		if (kind == HOSTILE_DISTINCT)
			dbuf_printf(&d, "f%zu: x\r\n", i);
		else
			dbuf_printf(&d, "%c: x\r\n", (int)('a' + i % 26));
	dbuf_adds(&d, "\r\nbody\r\n");
	ck_assert(!dbuf_failed(&d));
	return d.data;
}

/* CPU seconds this thread spends verifying msg, the best of three runs. */
static double
verify_cpu(const char *msg)
{
	struct timespec a, b;
	double best = 1e9, t;
	dkim_vopts o = opts_at(WHEN + 10);
	dkim_vmsg *m;
	int run;

	zone_clear();
	for (run = 0; run < 3; run++) {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
		m = stream(msg, &o, KEYS_AT_EOH, 17, NULL);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
		assert_res(m, 0, DKIM_V_NOKEY);
		ck_assert_uint_eq(dkim_vmsg_nverify(m), 3);
		dkim_vmsg_free(m);
		t = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		if (t < best)
			best = t;
	}
	return best;
}

/*
 * h= costs what it reads: the hostile header costs at most 5 times what
 * the same size with ordinary signatures costs (it was |h=| x fields x
 * signatures: 2.4 s of CPU against 0.04 s).
 */
START_TEST(h_cost)
{
	char *ordinary = hostile_msg(HOSTILE_ORDINARY), *letters = hostile_msg(HOSTILE_LETTERS);
	char *distinct = hostile_msg(HOSTILE_DISTINCT);
	double base, t1, t2;

	base = verify_cpu(ordinary);
	t1 = verify_cpu(letters);
	t2 = verify_cpu(distinct);
	ck_assert_msg(t1 < 5 * base && t2 < 5 * base, "ordinary %.4f s, \"a\" 24,000 times "
	    "%.4f s, 9,990 names %.4f s", base, t1, t2);
	free(ordinary);
	free(letters);
	free(distinct);
}
END_TEST

/* No l= tag: sign_l signs the whole body. */
#define NO_L ((size_t)-1)

/*
 * body signed with l= over its first l bytes (the core's signer never
 * writes l=): relaxed header over From, To, Subject, simple body.
 */
static char *
sign_l(const char *body, size_t l)
{
	static const char *const f[][2] = { { "From", " a@example.com" },
	    { "To", " b@example.org" }, { "Subject", " l=" } };
	unsigned char bh[32], digest[32], sig[1024];
	char bh64[64], b64[2048];
	size_t siglen, i;
	dbuf h, sv, msg;
	dkim_err err;

	ck_assert_int_eq(EVP_Digest(body, l == NO_L ? strlen(body) : l, bh, NULL, EVP_sha256(),
	    NULL), 1);
	base64_encode(bh, 32, bh64);
	dbuf_init(&sv);
	dbuf_adds(&sv, " v=1; a=rsa-sha256; c=relaxed/simple; d=example.com; s=rsa; "
	    "h=from:to:subject;");
	if (l != NO_L)
		dbuf_printf(&sv, " l=%zu;", l);
	dbuf_printf(&sv, " bh=%s; b=", bh64);
	dbuf_init(&h);
	for (i = 0; i < 3; i++)
		canon_header(DKIM_CANON_RELAXED, &h, f[i][0], strlen(f[i][0]), f[i][1],
		    strlen(f[i][1]), 1);
	canon_header(DKIM_CANON_RELAXED, &h, "DKIM-Signature", 14, sv.data, sv.len, 0);
	ck_assert_int_eq(EVP_Digest(h.data, h.len, digest, NULL, EVP_sha256(), NULL), 1);
	ck_assert_int_eq(dkim_key_sign(rsa_key, digest, sig, &siglen, &err), DKIM_OK);
	base64_encode(sig, siglen, b64);
	dbuf_init(&msg);
	dbuf_printf(&msg, "DKIM-Signature:%s%s\r\n", sv.data, b64);
	for (i = 0; i < 3; i++)
		dbuf_printf(&msg, "%s:%s\r\n", f[i][0], f[i][1]);
	dbuf_printf(&msg, "\r\n%s", body);
	dbuf_free(&h);
	dbuf_free(&sv);
	ck_assert(!dbuf_failed(&msg));
	return msg.data;
}

/*
 * l=: content after the signed length passes (RFC 6376) and the result
 * says how much was signed; under a minimum (OpenDKIM's Minimum) it is
 * policy. 100 bytes signed of 160.
 */
START_TEST(body_length)
{
	static const struct {
		enum dkim_minbody kind;
		unsigned long long n;
		enum dkim_vstatus want;
	} mins[] = {
		{ DKIM_MINBODY_NONE, 0, DKIM_V_PASS },
		{ DKIM_MINBODY_BYTES, 100, DKIM_V_PASS }, { DKIM_MINBODY_BYTES, 101, DKIM_V_PARTIAL },
		{ DKIM_MINBODY_BYTES, 999, DKIM_V_PARTIAL },	/* min(999, 160) = all */
		{ DKIM_MINBODY_PERCENT, 62, DKIM_V_PASS },	/* 62.5% */
		{ DKIM_MINBODY_PERCENT, 63, DKIM_V_PARTIAL },
		{ DKIM_MINBODY_APPENDED, 60, DKIM_V_PASS },
		{ DKIM_MINBODY_APPENDED, 59, DKIM_V_PARTIAL },
		{ DKIM_MINBODY_APPENDED, 0, DKIM_V_PARTIAL },
	};
	dkim_vopts o = opts_at(WHEN + 10);
	const dkim_vresult *r;
	char body[161], *msg;
	dkim_vmsg *m;
	size_t i;

	zone_default();
	for (i = 0; i < 160; i += 20)
		memcpy(body + i, "eighteen bytes....\r\n", 20);
	body[160] = '\0';
	msg = sign_l(body, 100);
	for (i = 0; i < sizeof(mins) / sizeof(mins[0]); i++) {
		o.min_body_kind = mins[i].kind;
		o.min_body = mins[i].n;
		m = stream(msg, &o, KEYS_AT_EOH, 21, NULL);
		r = dkim_vmsg_result(m, 0);
		ck_assert_msg(r->status == mins[i].want, "minimum %d %llu: %s (%s)",
		    (int)mins[i].kind, mins[i].n, dkim_vstatus_name(r->status), r->reason);
		ck_assert_uint_eq(r->signed_len, 100);
		ck_assert_uint_eq(r->body_len, 160);
		dkim_vmsg_free(m);
	}
	ck_assert_str_eq(dkim_vstatus_result(DKIM_V_PARTIAL), "policy");
	free(msg);
	/* The whole body signed with l=: nothing said, any minimum met. */
	msg = sign_l(body, 160);
	m = stream(msg, &o, KEYS_AT_EOH, 21, NULL);
	assert_res(m, 0, DKIM_V_PASS);
	ck_assert_uint_eq(dkim_vmsg_result(m, 0)->body_len, 0);
	dkim_vmsg_free(m);
	free(msg);
}
END_TEST

/*
 * A signature whose verification was not finished (no body, no finish:
 * the caller forgot a step) has a status of its own, never pass, whatever
 * was decided before: its key in hand, or the body fed too.
 */
START_TEST(unfinished)
{
	dkim_signer_opts so = opts_for(rsa_key, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	dkim_vopts o = opts_at(WHEN + 10);
	const dkim_vresult *r;
	struct feed f;
	size_t body, step;
	dkim_err err;
	char *msg;

	zone_default();
	msg = sign_msg(&so, rsa_key, WHEN, base_msg, strlen(base_msg));
	patch(msg, "the numbers", "the numberz");
	for (step = 0; step < 3; step++) {
		ck_assert_int_eq(dkim_vmsg_new(&o, &f.m, &err), DKIM_OK);
		ck_assert_int_eq(dkim_message_walk(msg, strlen(msg), feed_header, &f, &body,
		    &err), DKIM_OK);
		ck_assert_int_eq(dkim_vmsg_eoh(f.m, &err), DKIM_OK);
		if (step >= 1)
			ck_assert_uint_eq(answer(f.m, 0, KEYS_AT_EOH), 1);
		if (step >= 2)
			ck_assert_int_eq(dkim_vmsg_body(f.m, msg + body, strlen(msg) - body, &err),
			    DKIM_OK);
		r = dkim_vmsg_result(f.m, 0);
		ck_assert_ptr_nonnull(r);
		ck_assert_msg(r->status == DKIM_V_UNDECIDED, "step %d: %s", (int)step,
		    dkim_vstatus_name(r->status));
		ck_assert_str_ne(dkim_vstatus_result(r->status), "pass");
		ck_assert_str_eq(dkim_vstatus_result(r->status), "temperror");
		dkim_vmsg_free(f.m);
	}
	/* A zeroed result (never filled in) reads the same. */
	ck_assert_int_eq(DKIM_V_UNDECIDED, 0);
	ck_assert_int_ne(DKIM_V_PASS, 0);
	free(msg);
}
END_TEST

/*
 * Signatures with l= of any length share one pass over the body per body
 * canonicalization: four signatures, l=0, 100, 160 (the whole body) and
 * none (top to bottom), all pass, with one body hash.
 */
START_TEST(body_length_shared)
{
	static const size_t ls[] = { 0, 100, 160, NO_L };
	dkim_vopts o = opts_at(WHEN + 10);
	char body[161], *one;
	const char *nl;
	dkim_vmsg *m;
	size_t i;
	dbuf d;

	zone_default();
	for (i = 0; i < 160; i += 20)
		memcpy(body + i, "eighteen bytes....\r\n", 20);
	body[160] = '\0';
	dbuf_init(&d);
	for (i = 0; i < 4; i++) {
		one = sign_l(body, ls[i]);
		nl = strstr(one, "\r\n");
		if (i < 3)
			dbuf_add(&d, one, (size_t)(nl + 2 - one));	/* the signature field */
		else
			dbuf_adds(&d, one);			/* and the whole message */
		free(one);
	}
	ck_assert(!dbuf_failed(&d));
	o.max_sigs = 4;
	m = stream(d.data, &o, KEYS_REVERSED_MID_BODY, 25, NULL);
	for (i = 0; i < 4; i++)
		assert_res(m, i, DKIM_V_PASS);
	ck_assert_uint_eq(dkim_vmsg_result(m, 1)->signed_len, 100);
	ck_assert_uint_eq(dkim_vmsg_result(m, 1)->body_len, 160);
	ck_assert_uint_eq(dkim_vmsg_nbodyhash(m), 1);
	dkim_vmsg_free(m);
	/* The body changed after 100 bytes: l=0 and l=100 still pass. */
	patch(d.data + (strstr(d.data, "\r\n\r\n") - d.data) + 4 + 120, "eighteen", "eighteem");
	m = stream(d.data, &o, KEYS_AT_EOH, 25, NULL);
	assert_res(m, 0, DKIM_V_PASS);		/* l=0 */
	assert_res(m, 1, DKIM_V_PASS);		/* l=100 */
	assert_res(m, 2, DKIM_V_BODYHASH);	/* l=160 */
	assert_res(m, 3, DKIM_V_BODYHASH);	/* none */
	dkim_vmsg_free(m);
	dbuf_free(&d);
}
END_TEST

/* Calls out of order are refused, not crashes. */
START_TEST(call_order)
{
	dkim_vopts o = opts_at(WHEN);
	const char *d, *s;
	dkim_vmsg *m;
	dkim_err err;

	ck_assert_int_eq(dkim_vmsg_new(&o, &m, &err), DKIM_OK);
	ck_assert_int_eq(dkim_vmsg_body(m, "x", 1, &err), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_vmsg_finish(m, &err), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_vmsg_header(m, "Bad Name", 8, " x", 2, &err), DKIM_ERR_SYNTAX);
	ck_assert_int_eq(dkim_vmsg_eoh(m, &err), DKIM_OK);
	ck_assert_int_eq(dkim_vmsg_eoh(m, &err), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_vmsg_header(m, "From", 4, " x", 2, &err), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_vmsg_need(m, 0, &d, &s), 0);
	dkim_vmsg_key(m, 5, "p=", 2);
	dkim_vmsg_key_status(m, 5, DKIM_V_NOKEY, NULL);
	dkim_vmsg_key_dnssec(m, 5, DKIM_DNSSEC_SECURE);
	ck_assert_int_eq(dkim_vmsg_finish(m, &err), DKIM_OK);
	ck_assert_int_eq(dkim_vmsg_finish(m, &err), DKIM_ERR_STATE);
	ck_assert_ptr_null(dkim_vmsg_result(m, 0));
	dkim_vmsg_free(m);
}
END_TEST

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("vmsg");
	TCase *tc;

	ts_init();
	tc = tm_case(s, "stream", 60);
	tcase_add_loop_test(tc, stream_matrix, 0, 16);
	tm_add(tc, clock_drift, NULL);
	tm_add(tc, result_fields, rfc8301, key_answers, many_signatures, body_length,
	    body_length_shared, unfinished, call_order, NULL);
	tc = tm_case(s, "cost", 120);
	tm_add(tc, h_cost, header_limit, NULL);
	return tm_run(s, CK_FORK_GETENV);
}
