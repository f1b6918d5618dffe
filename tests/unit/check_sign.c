/*
 * check_sign.c - what the signer produces: repeated fields signed
 * bottom-most first (checked against a signing input built here and
 * verified with plain OpenSSL), deterministic output, folding within 78
 * columns, every key form, streaming through dkim_msg in any chunking with
 * RSA and Ed25519 at once, settings checks and bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "../../dkim/base64.h"
#include "../../dkim/dbuf.h"
#include "../../dkim/header.h"
#include "testkeys.h"
#include "testsign.h"
#include "testmain.h"

#define S(lit) lit, sizeof(lit) - 1

/* Relaxed header canonicalization written here, apart from the core's. */
static void
my_relaxed(dbuf *out, const char *name, size_t nlen, const char *v, size_t vlen, int crlf)
{
	size_t i, start;
	int sp = 0;

	for (i = 0; i < nlen; i++)
		dbuf_addc(out, name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	dbuf_addc(out, ':');
	start = out->len;
	for (i = 0; i < vlen; i++) {
		if (v[i] == '\r' || v[i] == '\n')
			continue;
		if (v[i] == ' ' || v[i] == '\t') {
			sp = 1;
			continue;
		}
		if (sp && out->len > start)
			dbuf_addc(out, ' ');
		sp = 0;
		dbuf_addc(out, v[i]);
	}
	if (crlf)
		dbuf_adds(out, "\r\n");
}

/* Check sig (base64) over data with plain OpenSSL: SHA-256, then RSA or Ed25519. */
static int
openssl_verify(const char *pem, const dbuf *data, const char *b64, size_t b64len)
{
	unsigned char digest[32], sig[1024];
	size_t siglen;
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	EVP_MD_CTX *md;
	EVP_PKEY_CTX *ctx;
	int ok;

	ck_assert_ptr_nonnull(pk);
	ck_assert_int_eq(EVP_Digest(data->data, data->len, digest, NULL, EVP_sha256(), NULL), 1);
	ck_assert_int_eq(base64_decode(b64, b64len, sig, sizeof(sig), &siglen), 0);
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
		md = EVP_MD_CTX_new();
		ok = EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1 &&
		    EVP_DigestVerify(md, sig, siglen, digest, 32) == 1;
		EVP_MD_CTX_free(md);
	} else {
		ctx = EVP_PKEY_CTX_new(pk, NULL);
		ok = EVP_PKEY_verify_init(ctx) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
		    EVP_PKEY_verify(ctx, sig, siglen, digest, 32) == 1;
		EVP_PKEY_CTX_free(ctx);
	}
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return ok;
}

/*
 * Repeated fields are signed bottom-most first (RFC 6376 §5.4.2): rebuild
 * the signing input here in that order and check b= against it with plain
 * OpenSSL; the top-first order must not verify.
 */
/*
 * Repeated fields are signed bottom-most first (RFC 6376 §5.4.2): rebuild
 * the signing input here in that order and check b= against it with plain
 * OpenSSL; the top-first order must not verify.
 */
START_TEST(bottom_most_first)
{
	static const char *const sign_to[] = { "to", NULL };
	static const char *const none[] = { NULL };
	const char *pem = _i ? ed_pem : rsa_pem;
	dkim_key *k = tk_load(pem);
	dkim_signer_opts o = opts_for(k, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE);
	const dkim_signer *sv[1];
	dkim_signer *s;
	dkim_msg *m = NULL;
	dkim_taglist tl;
	const dkim_tag *h, *b;
	const char *sig, *bpos;
	dbuf data, unfolded;
	dkim_err err;
	size_t i;

	o.sign_headers = sign_to;
	o.oversign_headers = none;
	s = signer_new(&o, k);
	sv[0] = s;
	ck_assert_int_eq(dkim_sign_buffer(sv, 1, WHEN, two_to_msg, strlen(two_to_msg), &m,
	    &err), DKIM_OK);
	sig = dkim_msg_signature(m, 0);
	sig_tags(sig, &tl);
	h = dkim_taglist_get(&tl, "h");
	dbuf_init(&unfolded);
	for (i = 0; i < h->vlen; i++)
		if (!strchr(" \t\r\n", h->value[i]))
			dbuf_addc(&unfolded, h->value[i]);
	ck_assert_str_eq(unfolded.data, "from:to:to");
	b = dkim_taglist_get(&tl, "b");
	/* b= is the last tag: the signed form ends right after "b=". */
	bpos = b->value;
	while (bpos[-1] != '=')
		bpos--;
	dbuf_init(&data);
	dbuf_adds(&data, "from:alice@example.com\r\n");
	dbuf_adds(&data, "to:second@example.org\r\n");
	dbuf_adds(&data, "to:first@example.org\r\n");
	my_relaxed(&data, "DKIM-Signature", 14, sig, (size_t)(bpos - sig), 0);
	ck_assert_msg(openssl_verify(pem, &data, b->value, b->vlen),
	    "signature is not over the bottom-most-first signing input");
	dbuf_reset(&data);
	dbuf_adds(&data, "from:alice@example.com\r\n");
	dbuf_adds(&data, "to:first@example.org\r\n");
	dbuf_adds(&data, "to:second@example.org\r\n");
	my_relaxed(&data, "DKIM-Signature", 14, sig, (size_t)(bpos - sig), 0);
	ck_assert(!openssl_verify(pem, &data, b->value, b->vlen));
	dbuf_free(&data);
	dbuf_free(&unfolded);
	dkim_msg_free(m);
	dkim_signer_free(s);
	dkim_key_free(k);
}
END_TEST

/* A fixed signing time gives byte-identical output (both algorithms are deterministic). */
START_TEST(deterministic)
{
	dkim_canon hc, bc;
	dkim_key *k;
	dkim_signer_opts o;
	char *a, *b, *c;

	combo(_i, &k, &hc, &bc);
	o = opts_for(k, hc, bc);
	a = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	b = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	ck_assert_str_eq(a, b);
	c = sign_msg(&o, k, WHEN + 1, base_msg, strlen(base_msg));
	ck_assert_str_ne(a, c);
	free(a);
	free(b);
	free(c);
}
END_TEST

/* Every line of the field fits 78 columns with "DKIM-Signature: " counted. */
static void
assert_folded(const char *field)
{
	const char *line = field, *eol;
	size_t cols, n = 0;

	for (;;) {
		eol = strstr(line, "\r\n");
		cols = eol ? (size_t)(eol - line) : strlen(line);
		/* A continuation TAB counts as 8 columns, the widest it can show. */
		if (n > 0)
			cols += 7;
		ck_assert_msg(cols <= 78, "line %zu is %zu columns: %.*s", n, cols,
		    (int)(eol ? eol - line : (long)strlen(line)), line);
		ck_assert_msg(cols > 0 && line[cols - (n > 0 ? 8 : 0)] != ' ',
		    "line %zu ends in a space", n);
		if (eol == NULL)
			break;
		ck_assert_msg(eol[2] == '\t', "line %zu is not folded with CRLF TAB", n + 1);
		ck_assert_msg(eol[3] != ' ' && eol[3] != '\t' && eol[3] != '\r',
		    "line %zu is blank", n + 1);
		line = eol + 2;
		n++;
	}
}

START_TEST(folding)
{
	static const char *const many[] = {
		"from", "to", "cc", "subject", "date", "message-id", "in-reply-to", "references",
		"x-very-long-header-name-that-is-rather-long-0123456789",
		"x-another-quite-long-header-name-abcdefghijklmnopqrstu", "mime-version",
		"content-type", "content-transfer-encoding", "list-unsubscribe",
		"list-unsubscribe-post", "reply-to", "sender", NULL
	};
	dkim_key *keys[3];
	dkim_signer_opts o;
	char *m, *end, *rec;
	size_t i;
	int round;

	zone_default();
	keys[0] = rsa_key;
	keys[1] = ed_key;
	keys[2] = tk_load(rsa1024_pem);
	rec = tk_record(keys[2]);
	zone_set(3, "k1024", rec);
	free(rec);
	for (i = 0; i < 3; i++)
		for (round = 0; round < 4; round++) {
			o = opts_for(keys[i], (dkim_canon)(round & 1), DKIM_CANON_RELAXED);
			if (i == 2)
				o.selector = "k1024";
			if (round >= 2) {
				o.sign_headers = many;
				o.oversign_headers = many;
				o.domain = "a-rather-long-subdomain.of-a-long-domain-name.example.com";
				o.identity = "someone@a-rather-long-subdomain."
				    "of-a-long-domain-name.example.com";
				o.ttl = 86400 * 365;
			}
			if (round == 3)
				o.selector = "selector-2024-with-a-long-name";
			m = sign_msg(&o, keys[i], WHEN, base_msg, strlen(base_msg));
			end = strstr(m, "\r\nReceived:");
			ck_assert_ptr_nonnull(end);
			*end = '\0';
			assert_folded(m);
			*end = '\r';
			if (round < 2)
				assert_status(m, DKIM_V_PASS);
			free(m);
		}
	dkim_key_free(keys[2]);
}
END_TEST

/* RSA 1024 is accepted for signing and verifying; every key form signs. */
START_TEST(key_forms_sign)
{
	const char *forms[] = { rsa1024_pem, rsa_pem, ed_pem, ed_seed };
	dkim_key *k = tk_load(forms[_i]);
	dkim_signer_opts o = opts_for(k, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	char *rec = tk_record(k), *m;

	o.selector = "form";
	zone_set(2, "form", rec);
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	assert_status(m, DKIM_V_PASS);
	free(m);
	free(rec);
	dkim_key_free(k);
}
END_TEST

/* Cut a body into chunks and feed it with dkim_msg_body. */
static char *
stream_sign(const dkim_signer *const *sv, size_t n, const char *msg, size_t len,
    const size_t *cuts, size_t ncuts, int lf_folds)
{
	dkim_msg *m = NULL;
	dkim_err err;
	const char *p = msg, *eol, *end = msg + len, *colon;
	size_t from, i;
	dbuf out, val;
	char *ret;

	ck_assert_int_eq(dkim_msg_new(sv, n, WHEN, &m, &err), DKIM_OK);
	dbuf_init(&val);
	/* Headers one by one, as a milter gets them: name, value after the colon. */
	while (p < end && !(p[0] == '\r' && p[1] == '\n')) {
		eol = p;
		do {
			eol = strstr(eol, "\r\n");
			ck_assert_ptr_nonnull(eol);
			eol += 2;
		} while (*eol == ' ' || *eol == '\t');
		colon = memchr(p, ':', (size_t)(eol - p));
		ck_assert_ptr_nonnull(colon);
		dbuf_reset(&val);
		for (i = (size_t)(colon + 1 - p); i < (size_t)(eol - 2 - p); i++) {
			if (lf_folds && p[i] == '\r' && p[i + 1] == '\n')
				continue;	/* folds arrive as a bare LF */
			dbuf_addc(&val, p[i]);
		}
		ck_assert_int_eq(dkim_msg_header(m, p, (size_t)(colon - p), val.data, val.len,
		    &err), DKIM_OK);
		p = eol;
	}
	p += 2;
	from = (size_t)(p - msg);
	for (i = 0; i < ncuts; i++) {
		ck_assert_int_eq(dkim_msg_body(m, msg + from, cuts[i] - from, &err), DKIM_OK);
		from = cuts[i];
	}
	ck_assert_int_eq(dkim_msg_body(m, msg + from, len - from, &err), DKIM_OK);
	ck_assert_int_eq(dkim_msg_finish(m, &err), DKIM_OK);
	dbuf_init(&out);
	for (i = 0; i < n; i++) {
		dbuf_adds(&out, dkim_msg_signature(m, i));
		dbuf_addc(&out, '\001');
	}
	ret = strdup(out.data);
	dbuf_free(&out);
	dbuf_free(&val);
	dkim_msg_free(m);
	return ret;
}

static const char *const stream_bodies[] = {
	"",
	"\r\n",
	"\r\n\r\n\r\n",
	"no final newline",
	"a \t b  \r\n\r\n \t\r\n\r\nc\r\n\r\n\r\n\r\n",
	"bare\rCR and bare\nLF\r\r\n\r\n",
	" leading\r\n\ttab\r\n\r\n\r\n \r\n",
};

/*
 * The same message signed through dkim_msg with the body in every 2-way
 * split, 1-byte chunks and random chunks (and folds as bare LF) gives the
 * same signatures, RSA and Ed25519 at once, as dkim_sign_buffer.
 */
START_TEST(stream_equivalence)
{
	const dkim_signer *sv[4];
	dkim_signer *s[4];
	dkim_signer_opts o;
	unsigned long long seed = 42;
	const char *ref_sigs;
	char *got, *ref;
	dbuf msg, refbuf;
	size_t i, j, hlen, n, *cuts;
	dkim_msg *m = NULL;
	dkim_err err;

	for (i = 0; i < 4; i++) {
		o = opts_for(i & 1 ? ed_key : rsa_key, DKIM_CANON_RELAXED,
		    (dkim_canon)(i >> 1));
		s[i] = signer_new(&o, i & 1 ? ed_key : rsa_key);
		sv[i] = s[i];
	}
	dbuf_init(&msg);
	dbuf_init(&refbuf);
	dbuf_add(&msg, base_msg, strstr(base_msg, "\r\n\r\n") + 4 - base_msg);
	hlen = msg.len;
	dbuf_adds(&msg, stream_bodies[_i]);
	/* Reference: the whole message at once. */
	ck_assert_int_eq(dkim_sign_buffer(sv, 4, WHEN, msg.data, msg.len, &m, &err), DKIM_OK);
	for (i = 0; i < 4; i++) {
		dbuf_adds(&refbuf, dkim_msg_signature(m, i));
		dbuf_addc(&refbuf, '\001');
	}
	dkim_msg_free(m);
	ref = strdup(refbuf.data);
	ref_sigs = ref;
	cuts = malloc((msg.len + 2) * sizeof(*cuts));
	ck_assert_ptr_nonnull(cuts);
	for (i = hlen; i <= msg.len; i++) {
		cuts[0] = i;
		got = stream_sign(sv, 4, msg.data, msg.len, cuts, 1, (int)(i & 1));
		ck_assert_msg(strcmp(got, ref_sigs) == 0, "split at %zu differs", i - hlen);
		free(got);
	}
	for (i = hlen, n = 0; i < msg.len; i++)
		cuts[n++] = i + 1;
	got = stream_sign(sv, 4, msg.data, msg.len, cuts, n, 1);
	ck_assert_msg(strcmp(got, ref_sigs) == 0, "1-byte chunks differ");
	free(got);
	for (j = 0; j < 20; j++) {
		size_t at = hlen;

		n = 0;
		while (at < msg.len) {
			at += tk_rand(&seed) % 4;
			cuts[n++] = at < msg.len ? at : msg.len;
		}
		got = stream_sign(sv, 4, msg.data, msg.len, cuts, n, (int)(j & 1));
		ck_assert_msg(strcmp(got, ref_sigs) == 0, "random chunking %zu differs", j);
		free(got);
	}
	/* And each signature verifies. */
	zone_default();
	{
		dkim_vresult res[4];
		char *line, *save = NULL, *copy = strdup(ref);
		dbuf full;
		int k;

		dbuf_init(&full);
		for (line = strtok_r(copy, "\001", &save); line;
		    line = strtok_r(NULL, "\001", &save)) {
			dbuf_adds(&full, "DKIM-Signature: ");
			dbuf_adds(&full, line);
			dbuf_adds(&full, "\r\n");
		}
		dbuf_add(&full, msg.data, msg.len);
		ck_assert_int_eq(dkim_verify_message(full.data, full.len, lookup, NULL, WHEN, res, 4),
		    4);
		for (k = 0; k < 4; k++)
			ck_assert_msg(res[k].status == DKIM_V_PASS, "signature %d: %s", k,
			    res[k].reason);
		dbuf_free(&full);
		free(copy);
	}
	free(cuts);
	free(ref);
	dbuf_free(&msg);
	dbuf_free(&refbuf);
	for (i = 0; i < 4; i++)
		dkim_signer_free(s[i]);
}
END_TEST

/* RSA + Ed25519 in one pass give the same signatures as each alone. */
START_TEST(dual_equals_single)
{
	dkim_signer_opts o1 = opts_for(rsa_key, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE);
	dkim_signer_opts o2 = opts_for(ed_key, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE);
	const dkim_signer *sv[2];
	dkim_signer *s1 = signer_new(&o1, rsa_key), *s2 = signer_new(&o2, ed_key);
	dkim_msg *m = NULL;
	dkim_err err;
	char *a, *b;

	sv[0] = s1;
	sv[1] = s2;
	ck_assert_int_eq(dkim_sign_buffer(sv, 2, WHEN, base_msg, strlen(base_msg), &m, &err),
	    DKIM_OK);
	ck_assert_uint_eq(dkim_msg_nsignatures(m), 2);
	a = sign_msg(&o1, rsa_key, WHEN, base_msg, strlen(base_msg));
	b = sign_msg(&o2, ed_key, WHEN, base_msg, strlen(base_msg));
	ck_assert_int_eq(strncmp(a + 16, dkim_msg_signature(m, 0), strlen(dkim_msg_signature(m, 0))), 0);
	ck_assert_int_eq(strncmp(b + 16, dkim_msg_signature(m, 1), strlen(dkim_msg_signature(m, 1))), 0);
	ck_assert_ptr_null(dkim_msg_signature(m, 2));
	free(a);
	free(b);
	dkim_msg_free(m);
	dkim_signer_free(s1);
	dkim_signer_free(s2);
}
END_TEST

/* Signer settings are checked when the signer is built. */
START_TEST(signer_checks)
{
	static const char *const omit_from[] = { "From", NULL };
	static const char *const bad_name[] = { "subject", "bad name", NULL };
	dkim_signer_opts o = opts_for(rsa_key, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	dkim_signer *s = NULL;
	dkim_key *pub;
	dkim_err err;
	char *p, *m;
	dkim_taglist tl;

	o.domain = "exa mple.com";
	ck_assert_int_eq(dkim_signer_new(&o, rsa_key, &s, &err), DKIM_ERR_SYNTAX);
	o.domain = "";
	ck_assert_int_eq(dkim_signer_new(&o, rsa_key, &s, &err), DKIM_ERR_SYNTAX);
	o.domain = "example.com;x=1";
	ck_assert_int_eq(dkim_signer_new(&o, rsa_key, &s, &err), DKIM_ERR_SYNTAX);
	o.domain = "example.com";
	o.selector = "sel;ector";
	ck_assert_int_eq(dkim_signer_new(&o, rsa_key, &s, &err), DKIM_ERR_SYNTAX);
	o.selector = "rsa";
	o.identity = "user@example.org";
	ck_assert_int_eq(dkim_signer_new(&o, rsa_key, &s, &err), DKIM_ERR_SYNTAX);
	o.identity = "user@notexample.com";
	ck_assert_int_eq(dkim_signer_new(&o, rsa_key, &s, &err), DKIM_ERR_SYNTAX);
	o.identity = "no-at-sign";
	ck_assert_int_eq(dkim_signer_new(&o, rsa_key, &s, &err), DKIM_ERR_SYNTAX);
	o.identity = NULL;
	o.omit_headers = omit_from;
	ck_assert_int_eq(dkim_signer_new(&o, rsa_key, &s, &err), DKIM_ERR_SYNTAX);
	o.omit_headers = NULL;
	o.sign_headers = bad_name;
	ck_assert_int_eq(dkim_signer_new(&o, rsa_key, &s, &err), DKIM_ERR_SYNTAX);
	o.sign_headers = NULL;
	/* A public key cannot sign. */
	p = dkim_key_public_b64(rsa_key, NULL);
	ck_assert_int_eq(dkim_key_from_public(p, strlen(p), DKIM_ALG_RSA_SHA256, &pub, &err),
	    DKIM_OK);
	ck_assert_int_eq(dkim_signer_new(&o, pub, &s, &err), DKIM_ERR_KEY);
	dkim_key_free(pub);
	free(p);
	/* An identity in a subdomain is fine and shows as i=, and verifies. */
	zone_default();
	o.identity = "bounces@lists.example.com";
	m = sign_msg(&o, rsa_key, WHEN, base_msg, strlen(base_msg));
	sig_tags(m, &tl);
	ck_assert(dkim_tag_is(dkim_taglist_get(&tl, "i"), "bounces@lists.example.com"));
	assert_status(m, DKIM_V_PASS);
	free(m);
	/*
	 * A quoted local part may hold '@' (RFC 6376 i= is [Local-part] "@"
	 * domain-name, and a domain name never has one): signer and verifier
	 * both take the domain after the last '@'.
	 */
	o.identity = "\"a@b\"@lists.example.com";
	m = sign_msg(&o, rsa_key, WHEN, base_msg, strlen(base_msg));
	assert_status(m, DKIM_V_PASS);
	free(m);
	o.identity = "a@example.org@example.com";
	m = sign_msg(&o, rsa_key, WHEN, base_msg, strlen(base_msg));
	assert_status(m, DKIM_V_PASS);
	free(m);
	o.identity = "a@example.com@example.org";
	ck_assert_int_eq(dkim_signer_new(&o, rsa_key, &s, &err), DKIM_ERR_SYNTAX);
	/* Omitted fields are not signed even if listed. */
	{
		static const char *const omit[] = { "Subject", NULL };
		const dkim_tag *h;

		o.identity = NULL;
		o.omit_headers = omit;
		m = sign_msg(&o, rsa_key, WHEN, base_msg, strlen(base_msg));
		sig_tags(m, &tl);
		h = dkim_taglist_get(&tl, "h");
		ck_assert_ptr_null(memmem(h->value, h->vlen, "subject", 7));
		patch(m, "Quarterly", "Quarterlx");
		assert_status(m, DKIM_V_PASS);
		free(m);
	}
}
END_TEST

/* No From: signing fails with DKIM_ERR_NOFROM; no message is signed without one. */
START_TEST(no_from)
{
	static const char msg[] = "To: bob@example.org\r\nSubject: x\r\n\r\nbody\r\n";
	dkim_signer_opts o = opts_for(ed_key, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	dkim_signer *s = signer_new(&o, ed_key);
	const dkim_signer *sv[1] = { s };
	dkim_msg *m = NULL;
	dkim_err err;

	ck_assert_int_eq(dkim_sign_buffer(sv, 1, WHEN, msg, sizeof(msg) - 1, &m, &err),
	    DKIM_ERR_NOFROM);
	ck_assert_ptr_null(m);
	dkim_signer_free(s);
}
END_TEST

/* Bounds: a too-large field and too many signed bytes are refused; calls out of order too. */
START_TEST(msg_bounds)
{
	dkim_signer_opts o = opts_for(ed_key, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	dkim_signer *s = signer_new(&o, ed_key);
	const dkim_signer *sv[1] = { s };
	dkim_msg *m = NULL;
	dkim_err err;
	char *big = malloc(DKIM_HEADER_FIELD_MAX + 1);
	size_t i;
	int rc = DKIM_OK;

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', DKIM_HEADER_FIELD_MAX + 1);
	ck_assert_int_eq(dkim_msg_new(sv, 1, WHEN, &m, &err), DKIM_OK);
	ck_assert_int_eq(dkim_msg_header(m, S("Subject"), big, DKIM_HEADER_FIELD_MAX + 1, &err),
	    DKIM_ERR_TOOBIG);
	/* Many signed fields below the per-field bound add up past the total. */
	for (i = 0; i < 10 && rc == DKIM_OK; i++)
		rc = dkim_msg_header(m, S("Subject"), big, DKIM_HEADER_FIELD_MAX / 2, &err);
	ck_assert_int_eq(rc, DKIM_ERR_TOOBIG);
	ck_assert_uint_le(i, DKIM_HEADER_TOTAL_MAX / (DKIM_HEADER_FIELD_MAX / 2) + 1);
	/* Fields nobody signs are not kept, so they never hit the total. */
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(dkim_msg_header(m, S("X-Other"), big, DKIM_HEADER_FIELD_MAX / 2,
		    &err), DKIM_OK);
	ck_assert_int_eq(dkim_msg_header(m, S("Bad Name"), S(" x"), &err), DKIM_ERR_SYNTAX);
	dkim_msg_free(m);
	/* Too many fields. */
	ck_assert_int_eq(dkim_msg_new(sv, 1, WHEN, &m, &err), DKIM_OK);
	for (i = 0, rc = DKIM_OK; i <= DKIM_HEADER_COUNT_MAX && rc == DKIM_OK; i++)
		rc = dkim_msg_header(m, S("X-N"), S(" 1"), &err);
	ck_assert_int_eq(rc, DKIM_ERR_TOOBIG);
	ck_assert_uint_eq(i, DKIM_HEADER_COUNT_MAX + 1);
	dkim_msg_free(m);
	/* Out of order. */
	ck_assert_int_eq(dkim_msg_new(sv, 1, WHEN, &m, &err), DKIM_OK);
	ck_assert_int_eq(dkim_msg_header(m, S("From"), S(" a@example.com"), &err), DKIM_OK);
	ck_assert_int_eq(dkim_msg_finish(m, &err), DKIM_OK);
	ck_assert_int_eq(dkim_msg_finish(m, &err), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_msg_body(m, S("x"), &err), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_msg_header(m, S("To"), S(" b"), &err), DKIM_ERR_STATE);
	dkim_msg_free(m);
	ck_assert_int_eq(dkim_msg_new(sv, 0, WHEN, &m, &err), DKIM_ERR_STATE);
	free(big);
	dkim_signer_free(s);
}
END_TEST

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("sign");
	TCase *tc;

	ts_init();
	tc = tm_case(s, "order", 60);
	tcase_add_loop_test(tc, bottom_most_first, 0, 2);
	tcase_add_loop_test(tc, deterministic, 0, 8);
	tc = tm_case(s, "output", 120);
	tcase_add_test(tc, folding);
	tcase_add_loop_test(tc, key_forms_sign, 0, 4);
	tcase_add_loop_test(tc, stream_equivalence, 0,
	    (int)(sizeof(stream_bodies) / sizeof(stream_bodies[0])));
	tm_add(tc, dual_equals_single, signer_checks, no_from, msg_bounds, NULL);
	return tm_run(s, CK_FORK_GETENV);
}
