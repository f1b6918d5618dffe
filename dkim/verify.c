/*
 * verify.c - status names, key records, and the verification of a whole
 * message held in memory (a thin loop over the streaming verifier, vmsg.c).
 *
 * Used by the test suite, by dkimgen and by anyone checking postdkim's
 * output; it must agree with independent verifiers on what it accepts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "taglist.h"
#include "verify.h"
#include "vmsg.h"

#define TXT_MAX 8192

/*
 * Each status's name, and its RFC 8601 §2.7.1 word: a signature that does
 * not verify is fail; one that could not be evaluated for good is
 * permerror, for now temperror; expiry is neutral (x= is read before any
 * key is fetched: the signature is not verified), and what local policy
 * refuses is policy: rsa-sha1 (refused right after v=, no key fetched) and
 * keys under or over the sizes taken (refused when the key comes, the
 * signature unchecked), or a signature that verifies but leaves out a From
 * field or, by the caller's rule, too much of the body (l=). A key record
 * the caller does not trust (DNSSEC, OpenDKIM's BogusKey/UnprotectedKey
 * neutral) makes whatever the signature came to neutral. A verification
 * never finished found nothing final: temperror. (OpenDKIM says fail for a
 * missing or revoked key, and pass for rsa-sha1.) Indexed by status, so
 * that no reordering can shift a word onto another status.
 */
static const struct {
	const char *name, *result;
} vstatus[] = {
	[DKIM_V_UNDECIDED] = { "verification not finished", "temperror" },
	[DKIM_V_PASS] = { "pass", "pass" },
	[DKIM_V_BODYHASH] = { "body hash mismatch", "fail" },
	[DKIM_V_BADSIG] = { "bad signature", "fail" },
	[DKIM_V_SIGSYNTAX] = { "signature syntax error", "permerror" },
	[DKIM_V_VERSION] = { "unsupported version", "permerror" },
	[DKIM_V_ALG] = { "unsupported algorithm", "permerror" },
	[DKIM_V_NOFROM] = { "From not signed", "permerror" },
	[DKIM_V_IDENTITY] = { "identity outside signing domain", "permerror" },
	[DKIM_V_EXPIRED] = { "signature expired", "neutral" },
	[DKIM_V_NOKEY] = { "no key", "permerror" },
	[DKIM_V_KEYFAIL] = { "key lookup failed", "temperror" },
	[DKIM_V_KEYSYNTAX] = { "key record syntax error", "permerror" },
	[DKIM_V_REVOKED] = { "key revoked", "permerror" },
	[DKIM_V_KEYALG] = { "key type does not fit algorithm", "permerror" },
	[DKIM_V_KEYHASH] = { "key does not allow sha256", "permerror" },
	[DKIM_V_KEYSERVICE] = { "key not for email", "permerror" },
	[DKIM_V_KEYSTRICT] = { "strict key and subdomain identity", "permerror" },
	[DKIM_V_INTERNAL] = { "internal error", "temperror" },
	[DKIM_V_SHA1] = { "rsa-sha1 not accepted", "policy" },
	[DKIM_V_KEYSIZE] = { "key size not accepted", "policy" },
	[DKIM_V_BODYLEN] = { "l= longer than the body", "permerror" },
	[DKIM_V_FROMEXTRA] = { "unsigned From field", "policy" },
	[DKIM_V_KEYUNTRUSTED] = { "key record not trusted", "neutral" },
	[DKIM_V_PARTIAL] = { "body not all signed", "policy" },
	[DKIM_V_HASHLIMIT] = { "header hashing limit", "permerror" },
};

#define VSTATUS_KNOWN(s) ((size_t)(s) < sizeof(vstatus) / sizeof(vstatus[0]) && \
	vstatus[s].name != NULL)

const char *
dkim_vstatus_name(enum dkim_vstatus s)
{
	return VSTATUS_KNOWN(s) ? vstatus[s].name : "unknown";
}

const char *
dkim_vstatus_result(enum dkim_vstatus s)
{
	return VSTATUS_KNOWN(s) ? vstatus[s].result : "temperror";
}

/* Parse a key record; strict receives t=s. */
int
dkim_keyrecord_check(const char *txt, size_t len, dkim_alg want, dkim_key **key,
    int *testing, int *strict, char *reason, size_t rsize)
{
	const dkim_tag *v, *k, *h, *s, *t, *p;
	dkim_taglist tl;
	dkim_key *pk;
	dkim_alg alg;
	dkim_err err;

	if (dkim_taglist_parse(txt, len, &tl, &err) != DKIM_OK) {
		snprintf(reason, rsize, "%s", err.msg);
		return DKIM_V_KEYSYNTAX;
	}
	v = dkim_taglist_get(&tl, "v");
	if (v != NULL && (!dkim_tag_is(v, "DKIM1") || v != &tl.tags[0])) {
		snprintf(reason, rsize, "v= must be DKIM1 and come first");
		return DKIM_V_KEYSYNTAX;
	}
	/*
	 * p= first: a record without one is no key at all, and an empty one
	 * is a revoked key whatever its k= (not a key of the wrong type).
	 */
	if ((p = dkim_taglist_get(&tl, "p")) == NULL) {
		snprintf(reason, rsize, "key record has no p=");
		return DKIM_V_KEYSYNTAX;
	}
	if (p->vlen == 0) {
		snprintf(reason, rsize, "key revoked (empty p=)");
		return DKIM_V_REVOKED;
	}
	k = dkim_taglist_get(&tl, "k");
	if (k == NULL || dkim_tag_is(k, "rsa"))
		alg = DKIM_ALG_RSA_SHA256;
	else if (dkim_tag_is(k, "ed25519"))
		alg = DKIM_ALG_ED25519_SHA256;
	else {
		snprintf(reason, rsize, "unknown key type k=%.*s", (int)k->vlen, k->value);
		return DKIM_V_KEYALG;
	}
	if (want != DKIM_ALG_ANY && want != alg) {
		snprintf(reason, rsize, "key is k=%s but the signature is %s",
		    dkim_alg_keytype(alg), dkim_alg_name(want));
		return DKIM_V_KEYALG;
	}
	if ((h = dkim_taglist_get(&tl, "h")) != NULL && !dkim_tag_list_has(h->value, h->vlen, "sha256")) {
		snprintf(reason, rsize, "key allows h=%.*s, not sha256", (int)h->vlen, h->value);
		return DKIM_V_KEYHASH;
	}
	if ((s = dkim_taglist_get(&tl, "s")) != NULL && !dkim_tag_list_has(s->value, s->vlen, "*") &&
	    !dkim_tag_list_has(s->value, s->vlen, "email")) {
		snprintf(reason, rsize, "key is for s=%.*s, not email", (int)s->vlen, s->value);
		return DKIM_V_KEYSERVICE;
	}
	t = dkim_taglist_get(&tl, "t");
	if (testing != NULL)
		*testing = t != NULL && dkim_tag_list_has(t->value, t->vlen, "y");
	if (strict != NULL)
		*strict = t != NULL && dkim_tag_list_has(t->value, t->vlen, "s");
	if (dkim_key_from_public(p->value, p->vlen, alg, &pk, &err) != DKIM_OK) {
		snprintf(reason, rsize, "%s", err.msg);
		return DKIM_V_KEYSYNTAX;
	}
	if (key != NULL)
		*key = pk;
	else
		dkim_key_free(pk);
	return DKIM_V_PASS;
}

/* Public form of keyrecord(). */
int
dkim_keyrecord_parse(const char *txt, size_t len, dkim_alg want, dkim_key **key,
    int *testing, char *reason, size_t reasonsize)
{
	dkim_key *k = NULL;
	int rc;

	rc = dkim_keyrecord_check(txt, len, want, &k, testing, NULL, reason, reasonsize);
	if (rc == DKIM_V_PASS && dkim_key_alg(k) == DKIM_ALG_RSA_SHA256 &&
	    dkim_key_bits(k) < DKIM_RSA_MIN_BITS) {
		snprintf(reason, reasonsize, "RSA key of %d bits is too small (at least %d)",
		    dkim_key_bits(k), DKIM_RSA_MIN_BITS);
		dkim_key_free(k);
		return DKIM_V_KEYSIZE;
	}
	if (key != NULL)
		*key = k;
	else
		dkim_key_free(k);
	return rc;
}


/* Walk callback: feed each field to the verifier. */
static int
verify_walk(void *m, const char *name, size_t nlen, const char *value, size_t vlen,
    dkim_err *err)
{
	return dkim_vmsg_header(m, name, nlen, value, vlen, err);
}

/* Verify the message's DKIM-Signature fields, top first. */
int
dkim_verify_message(const char *msg, size_t len, dkim_key_lookup lookup, void *arg,
    time_t now, dkim_vresult *res, size_t maxres)
{
	const char *dom, *sel;
	dkim_vopts o;
	struct {
		dkim_vmsg *m;
		dkim_err err;
	} w;
	char *txt;
	size_t body, i, n;
	int rc, found;

	dkim_vopts_default(&o);
	o.now = now;
	o.max_sigs = maxres;
	if (dkim_vmsg_new(&o, &w.m, &w.err) != DKIM_OK)
		return -1;
	if ((txt = malloc(TXT_MAX)) == NULL ||
	    dkim_message_fields(msg, len, verify_walk, w.m, &body, &w.err) != DKIM_OK ||
	    dkim_vmsg_eoh(w.m, &w.err) != DKIM_OK) {
		free(txt);
		dkim_vmsg_free(w.m);
		return -1;
	}
	n = dkim_vmsg_nverify(w.m);
	for (i = 0; i < n; i++) {
		if (!dkim_vmsg_need(w.m, i, &dom, &sel))
			continue;
		rc = lookup(arg, dom, sel, txt, TXT_MAX);
		txt[TXT_MAX - 1] = '\0';
		if (rc == 0)
			dkim_vmsg_key(w.m, i, txt, strlen(txt));
		else
			dkim_vmsg_key_status(w.m, i, rc > 0 ? DKIM_V_NOKEY : DKIM_V_KEYFAIL, NULL);
	}
	free(txt);
	if (dkim_vmsg_body(w.m, msg + body, len - body, &w.err) != DKIM_OK ||
	    dkim_vmsg_finish(w.m, &w.err) != DKIM_OK) {
		dkim_vmsg_free(w.m);
		return -1;
	}
	for (i = 0; i < n; i++)
		res[i] = *dkim_vmsg_result(w.m, i);
	found = (int)dkim_vmsg_nsigs(w.m);
	dkim_vmsg_free(w.m);
	return found;
}
