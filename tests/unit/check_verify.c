/*
 * check_verify.c - whole messages signed by the core and judged by its
 * verifier: every canonicalization with both algorithms, then the verdict
 * for each kind of tampering (body, signed header, reordered repeated
 * fields, added From), each kind of key record trouble, expiry, an h=
 * without From, what each canonicalization tolerates, and broken
 * DKIM-Signature fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../../dkim/base64.h"
#include "../../dkim/dbuf.h"
#include "testkeys.h"
#include "testsign.h"
#include "testmain.h"

#define S(lit) lit, sizeof(lit) - 1

/* Options of the i-th canonicalization x algorithm, its key record in the zone. */
static dkim_signer_opts
combo_opts(int i, dkim_key **k)
{
	dkim_canon hc, bc;

	combo(i, k, &hc, &bc);
	zone_default();
	return opts_for(*k, hc, bc);
}

START_TEST(sign_verify_matrix)
{
	dkim_key *k;
	dkim_signer_opts o;
	dkim_taglist tl;
	char *signed_msg, want[32];
	const dkim_tag *t;
	unsigned char bh[64];
	size_t bhlen;

	o = combo_opts(_i, &k);
	signed_msg = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	assert_status(signed_msg, DKIM_V_PASS);
	/* The tags say what was done. */
	sig_tags(signed_msg, &tl);
	ck_assert(dkim_tag_is(dkim_taglist_get(&tl, "v"), "1"));
	ck_assert(dkim_tag_is(dkim_taglist_get(&tl, "a"), dkim_alg_name(dkim_key_alg(k))));
	snprintf(want, sizeof(want), "%s/%s", dkim_canon_name(o.hcanon), dkim_canon_name(o.bcanon));
	ck_assert(dkim_tag_is(dkim_taglist_get(&tl, "c"), want));
	ck_assert(dkim_tag_is(dkim_taglist_get(&tl, "d"), "example.com"));
	ck_assert(dkim_tag_is(dkim_taglist_get(&tl, "t"), "1700000000"));
	ck_assert_ptr_null(dkim_taglist_get(&tl, "x"));
	ck_assert_ptr_null(dkim_taglist_get(&tl, "l"));	/* never l= */
	t = dkim_taglist_get(&tl, "bh");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(base64_decode(t->value, t->vlen, bh, sizeof(bh), &bhlen), 0);
	ck_assert_uint_eq(bhlen, 32);
	/* The unsigned field and Received are not in h=. */
	t = dkim_taglist_get(&tl, "h");
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_null(memmem(t->value, t->vlen, "x-unsigned", 10));
	ck_assert_ptr_null(memmem(t->value, t->vlen, "received", 8));
	free(signed_msg);
}
END_TEST

/* One changed body byte: the body hash no longer matches. */
START_TEST(tamper_body)
{
	dkim_key *k;
	dkim_signer_opts o;
	char *m;

	o = combo_opts(_i, &k);
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	patch(m, "the numbers", "the numberz");
	assert_status(m, DKIM_V_BODYHASH);
	free(m);
	/* An added line of content, too. */
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	{
		char *m2 = insert_at(m, strlen(m) - 2, ".\r\n");

		assert_status(m2, DKIM_V_BODYHASH);
		free(m2);
	}
	free(m);
}
END_TEST

/* One changed signed header byte: the signature no longer verifies. */
START_TEST(tamper_header)
{
	dkim_key *k;
	dkim_signer_opts o;
	char *m;

	o = combo_opts(_i, &k);
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	patch(m, "Quarterly", "Quarterlx");
	assert_status(m, DKIM_V_BADSIG);
	free(m);
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	patch(m, "alice@example.com", "mallo@example.com");
	assert_status(m, DKIM_V_BADSIG);
	free(m);
	/* The signature's own tags are signed: change t=. */
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	patch(m, "t=1700000000", "t=1700000001");
	assert_status(m, DKIM_V_BADSIG);
	free(m);
	/* An unsigned field may change. */
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	patch(m, "not in h=", "NOT IN H=");
	assert_status(m, DKIM_V_PASS);
	free(m);
}
END_TEST

/* What each canonicalization tolerates: whitespace and case. */
START_TEST(canon_tolerance)
{
	dkim_signer_opts o;
	dkim_key *k = _i ? ed_key : rsa_key;
	char *m;

	zone_default();
	/* Header whitespace and name case: relaxed passes, simple fails. */
	o = opts_for(k, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE);
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	patch(m, "Subject:  Quarterly   report \t", "SUBJECT: Quarterly report     ");
	assert_status(m, DKIM_V_PASS);
	free(m);
	o = opts_for(k, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE);
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	patch(m, "Subject:  Quarterly   report \t", "SUBJECT: Quarterly report     ");
	assert_status(m, DKIM_V_BADSIG);
	free(m);
	/* Body whitespace and trailing blank lines: relaxed passes, simple fails. */
	o = opts_for(k, DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED);
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	patch(m, "the numbers \t are in.", "the\tnumbers are in.  ");
	assert_status(m, DKIM_V_PASS);
	free(m);
	o = opts_for(k, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE);
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	patch(m, "the numbers \t are in.", "the\tnumbers are in.  ");
	assert_status(m, DKIM_V_BODYHASH);
	free(m);
	/* Trailing blank lines added: both body canonicalizations ignore them. */
	o = opts_for(k, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE);
	{
		char *m2;

		m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
		m2 = insert_at(m, strlen(m), "\r\n\r\n");
		assert_status(m2, DKIM_V_PASS);
		free(m2);
		free(m);
	}
}
END_TEST

/* Swapping two instances of a repeated signed field breaks the signature. */
START_TEST(reordered_repeated)
{
	dkim_key *k;
	dkim_signer_opts o;
	char *m;

	o = combo_opts(_i, &k);
	m = sign_msg(&o, k, WHEN, two_to_msg, strlen(two_to_msg));
	assert_status(m, DKIM_V_PASS);
	{
		char *a = strstr(m, "To: first@example.org\r\n");
		char *b = strstr(m, "To: second@example.org\r\n");
		char *swapped;
		dbuf d;

		ck_assert(a != NULL && b != NULL && a < b);
		dbuf_init(&d);
		dbuf_add(&d, m, (size_t)(a - m));
		dbuf_adds(&d, "To: second@example.org\r\n");
		dbuf_add(&d, a + 23, (size_t)(b - (a + 23)));
		dbuf_adds(&d, "To: first@example.org\r\n");
		dbuf_adds(&d, b + 24);
		ck_assert_uint_eq(d.len, strlen(m));
		swapped = strdup(d.data);
		dbuf_free(&d);
		assert_status(swapped, DKIM_V_BADSIG);
		free(swapped);
	}
	free(m);
}
END_TEST

/* Key record trouble: revoked, wrong k=, sha1-only h=, not for email, none, lookup failure. */
START_TEST(key_record_verdicts)
{
	dkim_key *k = _i ? ed_key : rsa_key;
	const char *kt = dkim_alg_keytype(dkim_key_alg(k)), *sel;
	dkim_signer_opts o = opts_for(k, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	char *m, *p = dkim_key_public_b64(k, NULL), txt[1024];

	sel = o.selector;
	zone_clear();
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	snprintf(txt, sizeof(txt), "v=DKIM1; k=%s; p=", kt);
	zone_set(0, sel, txt);
	assert_status(m, DKIM_V_REVOKED);
	snprintf(txt, sizeof(txt), "v=DKIM1; k=%s; p=%s", _i ? "rsa" : "ed25519", p);
	zone_set(0, sel, txt);
	assert_status(m, DKIM_V_KEYALG);
	snprintf(txt, sizeof(txt), "v=DKIM1; k=%s; h=sha1; p=%s", kt, p);
	zone_set(0, sel, txt);
	assert_status(m, DKIM_V_KEYHASH);
	snprintf(txt, sizeof(txt), "v=DKIM1; k=%s; s=web; p=%s", kt, p);
	zone_set(0, sel, txt);
	assert_status(m, DKIM_V_KEYSERVICE);
	snprintf(txt, sizeof(txt), "v=DKIM1; k=%s; p=%s; t=y", kt, p);
	zone_set(0, sel, txt);
	assert_status(m, DKIM_V_PASS);
	zone_set(0, sel, NULL);
	assert_status(m, DKIM_V_NOKEY);
	/* The wrong key: a good record, but for another key pair. */
	{
		dkim_key *other = tk_load(_i ? ed_seed : rsa1024_pem);
		char *rec = tk_record(other);

		zone_set(0, sel, rec);
		assert_status(m, DKIM_V_BADSIG);
		free(rec);
		dkim_key_free(other);
	}
	free(m);
	/* A temporary lookup failure is not a missing key. */
	o.selector = "fail";
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	assert_status(m, DKIM_V_KEYFAIL);
	free(m);
	free(p);
}
END_TEST

/* x= in the past: expired; before it: pass. */
START_TEST(expiry)
{
	dkim_key *k = _i ? ed_key : rsa_key;
	dkim_signer_opts o = opts_for(k, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE);
	dkim_taglist tl;
	char *m, reason[256];

	zone_default();
	o.ttl = 3600;
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	sig_tags(m, &tl);
	ck_assert(dkim_tag_is(dkim_taglist_get(&tl, "x"), "1700003600"));
	ck_assert_int_eq(verify_at(m, WHEN + 3599, reason, sizeof(reason)), DKIM_V_PASS);
	ck_assert_int_eq(verify_at(m, WHEN + 3600, reason, sizeof(reason)), DKIM_V_PASS);
	ck_assert_int_eq(verify_at(m, WHEN + 3601, reason, sizeof(reason)), DKIM_V_EXPIRED);
	ck_assert_int_eq(verify_at(m, WHEN + 999999, reason, sizeof(reason)), DKIM_V_EXPIRED);
	free(m);
}
END_TEST

/* An h= that leaves out From is refused before any key is fetched. */
START_TEST(h_without_from)
{
	dkim_key *k = _i ? ed_key : rsa_key;
	dkim_signer_opts o = opts_for(k, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	const dkim_tag *t;
	dkim_taglist tl;
	char *m, *h;
	size_t i;

	zone_default();
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	sig_tags(m, &tl);
	t = dkim_taglist_get(&tl, "h");
	ck_assert_ptr_nonnull(t);
	/* Inside the message, so writable. */
	h = m + (t->value - m);
	ck_assert_int_eq(strncmp(h, "from", 4), 0);
	/* Every listing of from becomes x-fr (same length, still a field name). */
	for (i = 0; i + 4 <= t->vlen; i++)
		if (strncmp(h + i, "from", 4) == 0)
			memcpy(h + i, "x-fr", 4);
	assert_status(m, DKIM_V_NOFROM);
	free(m);
}
END_TEST

/* Over-signing: a From (or another over-signed field) added after signing breaks it. */
START_TEST(oversign)
{
	static const char *const over[] = { "from", "reply-to", NULL };
	dkim_key *k = _i ? ed_key : rsa_key;
	dkim_signer_opts o = opts_for(k, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	dkim_taglist tl;
	const dkim_tag *h;
	char *m, *m2, *body;

	zone_default();
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	/* By default From is listed once more than it occurs. */
	sig_tags(m, &tl);
	h = dkim_taglist_get(&tl, "h");
	ck_assert(h->vlen >= 10 && memcmp(h->value, "from:from:", 10) == 0);
	ck_assert_ptr_null(memmem(h->value + 10, h->vlen - 10, "from", 4));
	/* A second From at the top, below the signature, or at the bottom. */
	m2 = insert_at(m, strstr(m, "Received:") - m, "From: mallory@example.net\r\n");
	assert_status(m2, DKIM_V_BADSIG);
	free(m2);
	m2 = insert_at(m, strstr(m, "To:") - m, "From: mallory@example.net\r\n");
	assert_status(m2, DKIM_V_BADSIG);
	free(m2);
	body = strstr(m, "\r\n\r\n");
	m2 = insert_at(m, (size_t)(body - m) + 2, "From: mallory@example.net\r\n");
	assert_status(m2, DKIM_V_BADSIG);
	free(m2);
	/* An unsigned field added anywhere does no harm. */
	m2 = insert_at(m, (size_t)(body - m) + 2, "X-Added: later\r\n");
	assert_status(m2, DKIM_V_PASS);
	free(m2);
	free(m);
	/* A configured over-signed field absent from the message: adding it breaks. */
	o.oversign_headers = over;
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	assert_status(m, DKIM_V_PASS);
	sig_tags(m, &tl);
	h = dkim_taglist_get(&tl, "h");
	ck_assert_ptr_nonnull(memmem(h->value, h->vlen, "reply-to", 8));
	body = strstr(m, "\r\n\r\n");
	m2 = insert_at(m, (size_t)(body - m) + 2, "Reply-To: mallory@example.net\r\n");
	assert_status(m2, DKIM_V_BADSIG);
	free(m2);
	free(m);
}
END_TEST

/*
 * RFC 6376 §8.15: From signed once (not over-signed) and a second From
 * added above it, at the top or below the signature: the signature still
 * verifies (h= takes the bottom From), but the added From is not signed,
 * which is policy, not pass. Added below, it is the one signed: a bad
 * signature. Two From fields both signed pass.
 */
START_TEST(unsigned_from)
{
	static const char *const none[] = { NULL };
	dkim_key *k = _i ? ed_key : rsa_key;
	dkim_signer_opts o = opts_for(k, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE);
	static const char two_from[] = "From: alice@example.com\r\nFrom: carol@example.com\r\n"
	    "To: bob@example.org\r\nSubject: two\r\n\r\nbody\r\n";
	char reason[256], *m, *m2;
	size_t w, at;

	zone_default();
	o.oversign_headers = none;
	m = sign_msg(&o, k, WHEN, base_msg, strlen(base_msg));
	assert_status(m, DKIM_V_PASS);
	for (w = 0; w < 2; w++) {
		at = w == 0 ? 0 : (size_t)(strstr(m, "Received:") - m);
		m2 = insert_at(m, at, "From: mallory@example.net\r\n");
		ck_assert_int_eq(verify_at(m2, WHEN + 10, reason, sizeof(reason)),
		    DKIM_V_FROMEXTRA);
		ck_assert_str_eq(reason, "verifies, but signs only 1 of 2 From fields");
		free(m2);
	}
	ck_assert_str_eq(dkim_vstatus_result(DKIM_V_FROMEXTRA), "policy");
	m2 = insert_at(m, (size_t)(strstr(m, "To:") - m), "From: mallory@example.net\r\n");
	assert_status(m2, DKIM_V_BADSIG);
	free(m2);
	free(m);
	/* Both From fields named in h=: the signer vouched for both. */
	m = sign_msg(&o, k, WHEN, two_from, sizeof(two_from) - 1);
	assert_status(m, DKIM_V_PASS);
	free(m);
}
END_TEST

/*
 * Obsolete syntax: WSP between a field name and its colon (RFC 5322
 * §4.5.8). Simple header canonicalization keeps it, relaxed drops it; a
 * signature made over such a field must verify under all four forms.
 */
START_TEST(obsolete_colon_wsp)
{
	static const char msg[] =
	    "From : alice@example.com\r\nSubject\t: obsolete\r\nTo: bob@example.org\r\n"
	    "\r\nbody\r\n";
	dkim_key *k;
	dkim_signer_opts o;
	char *m;

	o = combo_opts(_i, &k);
	m = sign_msg(&o, k, WHEN, msg, sizeof(msg) - 1);
	assert_status(m, DKIM_V_PASS);
	/* Still a signed field: changing it breaks the signature. */
	patch(m, "obsolete", "obsoletx");
	assert_status(m, DKIM_V_BADSIG);
	free(m);
}
END_TEST

/*
 * Each reason says what is wrong: an empty record has no p= (whatever
 * the signature's algorithm), a missing tag is named, a d= or s= that is
 * no DNS name is the signature's fault, not the key record's.
 */
START_TEST(reasons)
{
	dkim_signer_opts o = opts_for(ed_key, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	static const struct {
		const char *from, *to, *reason;
		enum dkim_vstatus status;
	} broken[] = {
		{ "bh=", "xh=", "missing bh=", DKIM_V_SIGSYNTAX },
		{ " s=ed;", " z=ed;", "missing s=", DKIM_V_SIGSYNTAX },
		{ "d=example.com", "d=exampl..com", "d= has an empty label (two dots, or a dot "
		    "at the start or end)", DKIM_V_SIGSYNTAX },
		{ " s=ed;", " s=e!;", "s= contains '!': only letters, digits, '-', '_' and '.' "
		    "are allowed", DKIM_V_SIGSYNTAX },
	};
	char *m, *m2, reason[256], *longd, label[50];
	dbuf d;
	size_t i;

	zone_default();
	m = sign_msg(&o, ed_key, WHEN, base_msg, strlen(base_msg));
	zone_set(1, "ed", "");
	ck_assert_int_eq(verify_at(m, WHEN + 10, reason, sizeof(reason)), DKIM_V_KEYSYNTAX);
	ck_assert_str_eq(reason, "key record has no p=");
	zone_set(1, "ed", "v=DKIM1; k=rsa; p=");
	ck_assert_int_eq(verify_at(m, WHEN + 10, reason, sizeof(reason)), DKIM_V_REVOKED);
	ck_assert_str_eq(reason, "key revoked (empty p=)");
	zone_default();
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		m2 = strdup(m);
		patch(m2, broken[i].from, broken[i].to);
		ck_assert_int_eq(verify_at(m2, WHEN + 10, reason, sizeof(reason)),
		    broken[i].status);
		ck_assert_str_eq(reason, broken[i].reason);
		free(m2);
	}
	/* Both missing: both named. */
	m2 = strdup(m);
	patch(m2, "bh=", "xh=");
	patch(m2, " s=ed;", " z=ed;");
	ck_assert_int_eq(verify_at(m2, WHEN + 10, reason, sizeof(reason)), DKIM_V_SIGSYNTAX);
	ck_assert_str_eq(reason, "missing bh= s=");
	free(m2);
	/* A name too long for DNS: ed._domainkey. and a d= of five 49-byte labels. */
	dbuf_init(&d);
	for (i = 0; i < 5; i++) {
		memset(label, (int)('a' + i), 49);
		label[49] = '\0';
		dbuf_printf(&d, "%s%s", i ? "." : "d=", label);
	}
	longd = strdup(d.data);
	dbuf_free(&d);
	m2 = strdup(m);
	{
		char *p = strstr(m2, "d=example.com"), *n;

		ck_assert_ptr_nonnull(p);
		*p = '\0';
		ck_assert_int_gt(asprintf(&n, "%s%s%s", m2, longd, p + strlen("d=example.com")), 0);
		free(m2);
		m2 = n;
	}
	ck_assert_int_eq(verify_at(m2, WHEN + 10, reason, sizeof(reason)), DKIM_V_SIGSYNTAX);
	ck_assert_str_eq(reason, "ed._domainkey.d= is longer than 253 bytes");
	free(m2);
	free(longd);
	free(m);
}
END_TEST

/* Verifier details: several signatures, broken signature fields, bad messages. */
START_TEST(verify_details)
{
	dkim_signer_opts o = opts_for(ed_key, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	static const struct {
		const char *from, *to;
		enum dkim_vstatus status;
	} broken[] = {
		{ "v=1", "v=2", DKIM_V_VERSION },
		{ "a=ed25519-sha256", "a=ed25519-sha512", DKIM_V_ALG },
		{ "d=example.com", "x=example.com", DKIM_V_SIGSYNTAX },
		{ "c=relaxed/relaxed", "c=relaxed/relaxes", DKIM_V_SIGSYNTAX },
		/* RFC 6376 3.5: unknown query methods are ignored; none is left. */
		{ "c=relaxed/relaxed", "q=http; c=relaxed", DKIM_V_SIGSYNTAX },
		{ " s=ed;", ";s=ed;", DKIM_V_SIGSYNTAX },
		{ "d=example.com", "d=example.org", DKIM_V_NOKEY },
	};
	dkim_vresult res[2];
	char *m, *m2;
	size_t i;

	zone_default();
	m = sign_msg(&o, ed_key, WHEN, base_msg, strlen(base_msg));
	/* Two signatures, both reported, top first; maxres limits the results. */
	o = opts_for(rsa_key, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE);
	m2 = sign_msg(&o, rsa_key, WHEN, m, strlen(m));
	ck_assert_int_eq(dkim_verify_message(m2, strlen(m2), lookup, NULL, WHEN, res, 2), 2);
	ck_assert_int_eq(res[0].status, DKIM_V_PASS);
	ck_assert_int_eq(res[0].alg, DKIM_ALG_RSA_SHA256);
	ck_assert_str_eq(res[0].selector, "rsa");
	ck_assert_str_eq(res[0].domain, "example.com");
	ck_assert_int_eq(res[1].status, DKIM_V_PASS);
	ck_assert_int_eq(res[1].alg, DKIM_ALG_ED25519_SHA256);
	ck_assert_int_eq(dkim_verify_message(m2, strlen(m2), lookup, NULL, WHEN, res, 1), 2);
	free(m2);
	/* No signature at all. */
	ck_assert_int_eq(dkim_verify_message(base_msg, strlen(base_msg), lookup, NULL, WHEN,
	    res, 2), 0);
	/* Broken tags, each a one-place change of the signature. */
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		m2 = strdup(m);
		patch(m2, broken[i].from, broken[i].to);
		assert_status(m2, broken[i].status);
		free(m2);
	}
	/* A message that cannot be parsed. */
	ck_assert_int_eq(dkim_verify_message(S(" continuation first\r\n\r\n"), lookup, NULL, WHEN,
	    res, 2), -1);
	free(m);
	ck_assert_str_eq(dkim_vstatus_name(DKIM_V_PASS), "pass");
	ck_assert_ptr_nonnull(dkim_vstatus_name((enum dkim_vstatus)999));
}
END_TEST

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("verify");
	TCase *tc;

	ts_init();
	tc = tm_case(s, "matrix", 60);
	tcase_add_loop_test(tc, sign_verify_matrix, 0, 8);
	tcase_add_loop_test(tc, tamper_body, 0, 8);
	tcase_add_loop_test(tc, tamper_header, 0, 8);
	tcase_add_loop_test(tc, reordered_repeated, 0, 8);
	tcase_add_loop_test(tc, obsolete_colon_wsp, 0, 8);
	tc = tm_case(s, "verdicts", 60);
	tcase_add_loop_test(tc, canon_tolerance, 0, 2);
	tcase_add_loop_test(tc, key_record_verdicts, 0, 2);
	tcase_add_loop_test(tc, expiry, 0, 2);
	tcase_add_loop_test(tc, h_without_from, 0, 2);
	tcase_add_loop_test(tc, oversign, 0, 2);
	tcase_add_loop_test(tc, unsigned_from, 0, 2);
	tcase_add_test(tc, verify_details);
	tcase_add_test(tc, reasons);
	return tm_run(s, CK_FORK_GETENV);
}
