/*
 * testsign.c - shared pieces of the signing and verifying tests: keys made
 * once, a zone of key records served through the lookup callback, sample
 * messages, and helpers that sign, verify and edit messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../../dkim/dbuf.h"
#include "testkeys.h"
#include "testsign.h"

/* Keys made once by ts_init; Check's forked tests inherit them. */
char *rsa_pem, *rsa1024_pem, *ed_pem, *ed_seed;
dkim_key *rsa_key, *ed_key;

/* The key records the lookup callback serves, by selector, for example.com. */
static struct {
	const char *selector;
	char *txt;
} zone[8];

/* Serve txt for selector from slot i; a NULL txt empties the slot. */
void
zone_set(size_t i, const char *selector, const char *txt)
{
	zone[i].selector = selector;
	free(zone[i].txt);
	zone[i].txt = txt ? strdup(txt) : NULL;
}

/* Key lookup callback: the zone table; "fail" answers a temporary failure. */
int
lookup(void *arg, const char *domain, const char *selector, char *txt, size_t size)
{
	size_t i;

	(void)arg;
	if (strcmp(selector, "fail") == 0)
		return -1;
	if (strcmp(domain, "example.com") != 0)
		return 1;
	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++)
		if (zone[i].selector != NULL && zone[i].txt != NULL &&
		    strcmp(zone[i].selector, selector) == 0) {
			ck_assert_uint_lt(strlen(zone[i].txt), size);
			strcpy(txt, zone[i].txt);
			return 0;
		}
	return 1;
}

/* Forget every record (tests may also run unforked: CK_FORK=no). */
void
zone_clear(void)
{
	size_t i;

	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++)
		zone_set(i, NULL, NULL);
}

/* Serve the real records for the rsa and ed selectors, and nothing else. */
void
zone_default(void)
{
	char *r = tk_record(rsa_key), *e = tk_record(ed_key);

	zone_clear();
	zone_set(0, "rsa", r);
	zone_set(1, "ed", e);
	free(r);
	free(e);
}

const char base_msg[] =
    "Received: from relay.example.net by mx.example.com; Tue, 1 Jan 2030 00:00:00 +0000\r\n"
    "From: Alice Example <alice@example.com>\r\n"
    "To: Bob <bob@example.org>,\r\n"
    "\tCarol <carol@example.org>\r\n"
    "Subject:  Quarterly   report \t\r\n"
    "Date: Tue, 1 Jan 2030 00:00:00 +0000\r\n"
    "Message-ID: <1234@example.com>\r\n"
    "X-Unsigned: not in h=\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hello Bob,  \r\n"
    "\r\n"
    "the numbers \t are in.\r\n"
    "Caf\xc3\xa9 \xe2\x82\xac 42\r\n"
    "\r\n"
    "\r\n";

/* Options for example.com with the given canonicalizations. */
dkim_signer_opts
opts_for(dkim_key *k, dkim_canon hc, dkim_canon bc)
{
	dkim_signer_opts o;

	memset(&o, 0, sizeof(o));
	o.domain = "example.com";
	o.selector = dkim_key_alg(k) == DKIM_ALG_ED25519_SHA256 ? "ed" : "rsa";
	o.hcanon = hc;
	o.bcanon = bc;
	return o;
}

/* Build a signer or fail the test with the core's reason. */
dkim_signer *
signer_new(const dkim_signer_opts *o, dkim_key *k)
{
	dkim_signer *s = NULL;
	dkim_err err;

	err.msg[0] = '\0';
	ck_assert_msg(dkim_signer_new(o, k, &s, &err) == DKIM_OK, "signer: %s", err.msg);
	return s;
}

/* Sign msg; returns "DKIM-Signature: <value>\r\n" + msg, NUL-terminated. */
char *
sign_msg(const dkim_signer_opts *o, dkim_key *k, time_t when, const char *msg, size_t len)
{
	const dkim_signer *sv[1];
	dkim_signer *s = signer_new(o, k);
	dkim_msg *m = NULL;
	dkim_err err;
	dbuf out;
	char *ret;

	sv[0] = s;
	err.msg[0] = '\0';
	ck_assert_msg(dkim_sign_buffer(sv, 1, when, msg, len, &m, &err) == DKIM_OK,
	    "sign: %s", err.msg);
	ck_assert_uint_eq(dkim_msg_nsignatures(m), 1);
	dbuf_init(&out);
	dbuf_adds(&out, "DKIM-Signature: ");
	dbuf_adds(&out, dkim_msg_signature(m, 0));
	dbuf_adds(&out, "\r\n");
	dbuf_add(&out, msg, len);
	ck_assert(!dbuf_failed(&out));
	ret = strdup(out.data);
	dbuf_free(&out);
	dkim_msg_free(m);
	dkim_signer_free(s);
	return ret;
}

/* Verify the top signature of msg at time now; returns its status. */
enum dkim_vstatus
verify_at(const char *msg, time_t now, char *reason, size_t rsize)
{
	dkim_vresult res[4];
	int n;

	memset(res, 0, sizeof(res));
	n = dkim_verify_message(msg, strlen(msg), lookup, NULL, now, res, 4);
	ck_assert_int_ge(n, 1);
	if (reason != NULL)
		snprintf(reason, rsize, "%s", res[0].reason);
	return res[0].status;
}

/* Replace the first occurrence of from by to (same length) in s. */
void
patch(char *s, const char *from, const char *to)
{
	char *p = strstr(s, from);

	ck_assert_msg(p != NULL, "\"%s\" not found", from);
	ck_assert_uint_eq(strlen(from), strlen(to));
	memcpy(p, to, strlen(to));
}

/* A new string: s with text inserted at offset at. */
char *
insert_at(const char *s, size_t at, const char *text)
{
	size_t n = strlen(s), t = strlen(text);
	char *r = malloc(n + t + 1);

	ck_assert_ptr_nonnull(r);
	memcpy(r, s, at);
	memcpy(r + at, text, t);
	memcpy(r + at + t, s + at, n - at + 1);
	return r;
}

/* The four canonicalizations x two algorithms, as a loop index. */
void
combo(int i, dkim_key **k, dkim_canon *hc, dkim_canon *bc)
{
	*k = i & 4 ? ed_key : rsa_key;
	*hc = (dkim_canon)(i & 1);
	*bc = (dkim_canon)((i >> 1) & 1);
}

/*
 * Parse the tags of a signature: a bare value, or the value of the
 * DKIM-Signature field heading a signed message (up to its last line).
 */
void
sig_tags(const char *sig, dkim_taglist *tl)
{
	const char *end = sig;
	dkim_err err;

	if (strncmp(sig, "DKIM-Signature: ", 16) == 0) {
		sig += 16;
		for (end = sig; (end = strstr(end, "\r\n")) != NULL; end += 2)
			if (end[2] != ' ' && end[2] != '\t')
				break;
	} else
		end = NULL;
	ck_assert_msg(dkim_taglist_parse(sig, end ? (size_t)(end - sig) : strlen(sig), tl, &err) ==
	    DKIM_OK, "%s", err.msg);
}

/* Two To fields with Subject between them. */
const char two_to_msg[] =
    "From: alice@example.com\r\n"
    "To: first@example.org\r\n"
    "Subject: two To fields\r\n"
    "To: second@example.org\r\n"
    "\r\n"
    "body\r\n";

/* Make the keys; call from main before the tests run. */
void
ts_init(void)
{
	rsa_pem = tk_private(TK_RSA_PKCS8, 2048);
	rsa1024_pem = tk_private(TK_RSA_PKCS1, 1024);
	ed_pem = tk_private(TK_ED25519_PKCS8, 0);
	ed_seed = tk_private(TK_ED25519_SEED, 0);
	rsa_key = tk_load(rsa_pem);
	ed_key = tk_load(ed_pem);
}
