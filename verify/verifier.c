/*
 * verifier.c - a message's verification between the session and the
 * milter: fields into the core's streaming verifier, the keys it asks for
 * through the shared resolver (all at once, one deadline), and at the end
 * the results turned into an A-R value, an action and a log line.
 *
 * Authentication-Results fields are read as they arrive, whatever else
 * happens to the message (a header too large to verify included), and
 * only a hash of their authserv-ids is kept; which ones are forged is
 * decided at the end, when the caller knows our own authserv-id (the MTA's
 * j macro by default).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dkim/header.h"
#include "authres.h"
#include "resolver.h"
#include "verifier.h"

/* What an arriving A-R field is, as far as known before our id is. */
enum {
	VAR_ID,		/* has an authserv-id: forged when it is ours */
	VAR_REMOVE,	/* its authserv-id is in RemoveARFrom, or unreadable (memory): forged */
	VAR_NOID,	/* starts with no authserv-id: left (unless RemoveARAll) */
};

/* The resolver of a configuration; errors name the keyword that caused them. */
int
verifier_resolver(const struct verify_cfg *vc, struct resolver **out, char *err,
    size_t errsize)
{
	static const char ta[] = "TrustAnchorFile ", rc[] = "ResolverConfiguration ";
	struct resolver_opts o;
	char msg[512];

	memset(&o, 0, sizeof(o));
	o.nameservers = (const char *const *)vc->nameservers;
	o.nnameservers = vc->nnameservers;
	o.trust_anchor_file = vc->trust_anchor_file;
	o.config_file = vc->resolver_config;
	o.timeout_ms = vc->dns_timeout_ms;
	if (resolver_new(&o, out, msg, sizeof(msg)) == 0)
		return 0;
	if (vc->where[VK_TRUSTANCHOR] != NULL && strncmp(msg, ta, sizeof(ta) - 1) == 0)
		snprintf(err, errsize, "%s: %s", vc->where[VK_TRUSTANCHOR], msg + sizeof(ta) - 1);
	else if (vc->where[VK_RESOLVERCONF] != NULL && strncmp(msg, rc, sizeof(rc) - 1) == 0)
		snprintf(err, errsize, "%s: %s", vc->where[VK_RESOLVERCONF], msg + sizeof(rc) - 1);
	else if (vc->where[VK_NAMESERVERS] != NULL)
		snprintf(err, errsize, "%s: %s", vc->where[VK_NAMESERVERS], msg);
	else
		snprintf(err, errsize, "DNS: %s", msg);
	return -1;
}

/* Start a message. */
int
verifier_new(const struct verify_cfg *vc, struct resolver *res, struct verifier **out)
{
	struct verifier *v;
	dkim_vopts o;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return -1;
	v->vc = vc;
	v->res = res;
	dbuf_init(&v->arid);
	dkim_vopts_default(&o);
	o.max_sigs = vc->max_sigs;
	o.drift = vc->clock_drift;
	o.min_key_bits = vc->min_key_bits;
	o.min_body_kind = (enum dkim_minbody)vc->min_body_kind;
	o.min_body = vc->min_body;
	if (dkim_vmsg_new(&o, &v->vm, NULL) != DKIM_OK) {
		free(v);
		return -1;
	}
	*out = v;
	return 0;
}

void
verifier_free(struct verifier *v)
{
	if (v == NULL)
		return;
	dkim_vmsg_free(v->vm);
	dbuf_free(&v->arid);
	free(v->ar);
	free(v);
}

/*
 * Stop verifying: the message gets a result of its own with the reason,
 * permerror for a limit it exceeds, temperror when postdkim ran out of
 * memory (or was called out of order), and On-InternalError.
 */
static void
verifier_fail(struct verifier *v, const dkim_err *err)
{
	if (!v->failed) {
		snprintf(v->why, sizeof(v->why), "%s", err->msg[0] ? err->msg : "error");
		v->fail_status = err->code == DKIM_ERR_NOMEM || err->code == DKIM_ERR_STATE ||
		    err->code == DKIM_ERR_IO ? DKIM_V_INTERNAL : DKIM_V_SIGSYNTAX;
	}
	v->failed = 1;
}

/* Out of memory, as verifier_fail sees it. */
static void
verifier_nomem(struct verifier *v)
{
	dkim_err e = { DKIM_ERR_NOMEM, "out of memory" };

	verifier_fail(v, &e);
}

/*
 * Note an arriving A-R field: whether it has an authserv-id, and if so
 * whether RemoveARFrom lists it and the hash that tells at the end whether
 * it is ours. Once VERIFIER_AR_MAX are kept (or memory runs out), further
 * fields are only counted, and will be removed: removing a field is always
 * safe, keeping one of ours never is.
 */
static void
verifier_ar(struct verifier *v, const char *value, size_t vlen)
{
	const struct verify_cfg *vc = v->vc;
	struct verifier_ar *a, *na;
	size_t cap;

	if (v->nar++ > v->nkept || v->nkept == VERIFIER_AR_MAX)
		return;		/* past what is kept: removed */
	if (v->nkept == v->arcap) {
		cap = v->arcap ? v->arcap * 2 : 8;
		if (cap > VERIFIER_AR_MAX)
			cap = VERIFIER_AR_MAX;
		if ((na = realloc(v->ar, cap * sizeof(*na))) == NULL) {
			verifier_nomem(v);
			return;
		}
		v->ar = na;
		v->arcap = cap;
	}
	a = &v->ar[v->nkept++];
	a->hash = 0;
	dbuf_reset(&v->arid);
	if (authres_parse_id(value, vlen, &v->arid) != 0)
		a->kind = VAR_NOID;
	else if (!dbuf_failed(&v->arid) && !authres_id_listed(v->arid.data,
	    (const char *const *)vc->remove_ar_from, vc->nremove_ar_from)) {
		a->kind = VAR_ID;
		a->hash = authres_id_hash(v->arid.data);
	} else {
		a->kind = VAR_REMOVE;
	}
	if (dbuf_failed(&v->arid)) {
		a->kind = VAR_REMOVE;	/* an id we could not read may be ours */
		verifier_nomem(v);
	}
	/* A long id leaves no big buffer behind for the rest of the message. */
	if (v->arid.cap > 4096) {
		dbuf_free(&v->arid);
		dbuf_init(&v->arid);
	}
}

/* One header field. */
void
verifier_header(struct verifier *v, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
	dkim_err err;

	/* First, and even when nothing more is verified: removal depends on it. */
	if (dkim_header_name_is(name, nlen, "Authentication-Results"))
		verifier_ar(v, value, vlen);
	if (v->failed)
		return;
	if (dkim_vmsg_header(v->vm, name, nlen, value, vlen, &err) != DKIM_OK)
		verifier_fail(v, &err);
}

/*
 * Hand one DNS answer to the core, applying UnprotectedKey and BogusKey:
 * fail refuses the record (permerror); neutral, as in OpenDKIM, lets the
 * signature be verified but makes its result neutral, whatever it comes to.
 */
static void
verifier_key(struct verifier *v, size_t i, const struct resolver_query *q)
{
	int bogus = q->dnssec == DKIM_DNSSEC_BOGUS;
	enum keysec policy = bogus ? v->vc->bogus :
	    q->dnssec == DKIM_DNSSEC_INSECURE ? v->vc->unprotected : KEYSEC_NONE;
	char reason[512];

	dkim_vmsg_key_dnssec(v->vm, i, (enum dkim_dnssec)q->dnssec);
	switch (q->status) {
	case RES_FOUND:
		if (policy == KEYSEC_FAIL) {
			snprintf(reason, sizeof(reason), "key record is DNSSEC %s",
			    bogus ? "bogus" : "unprotected");
			dkim_vmsg_key_status(v->vm, i, DKIM_V_KEYSYNTAX, reason);
			break;
		}
		if (policy == KEYSEC_NEUTRAL)
			dkim_vmsg_key_distrust(v->vm, i, bogus ?
			    "DNSSEC bogus key record not trusted" :
			    "key record without DNSSEC not trusted");
		dkim_vmsg_key(v->vm, i, q->txt, q->len);
		break;
	case RES_NONE:
		snprintf(reason, sizeof(reason), "no key record %s._domainkey.%.180s (%s)",
		    q->selector, q->domain, q->reason);
		dkim_vmsg_key_status(v->vm, i, DKIM_V_NOKEY, reason);
		break;
	case RES_BAD:
		snprintf(reason, sizeof(reason), "unusable key record: %s", q->reason);
		dkim_vmsg_key_status(v->vm, i, DKIM_V_KEYSYNTAX, reason);
		break;
	case RES_TEMPFAIL:
	default:
		snprintf(reason, sizeof(reason), "key lookup failed: %s", q->reason);
		dkim_vmsg_key_status(v->vm, i, DKIM_V_KEYFAIL, reason);
		break;
	}
}

/* End of header: the signatures, then every key they need, in one batch. */
void
verifier_eoh(struct verifier *v)
{
	struct resolver_query q[DKIM_VMSG_SIGS_MAX];
	size_t which[DKIM_VMSG_SIGS_MAX], n = 0, i;
	const char *d, *s;
	dkim_err err;

	if (v->failed)
		return;
	if (dkim_vmsg_eoh(v->vm, &err) != DKIM_OK) {
		verifier_fail(v, &err);
		return;
	}
	for (i = 0; i < dkim_vmsg_nverify(v->vm); i++) {
		if (!dkim_vmsg_need(v->vm, i, &d, &s))
			continue;
		memset(&q[n], 0, sizeof(q[n]));
		q[n].domain = d;
		q[n].selector = s;
		which[n++] = i;
	}
	if (n == 0)
		return;
	resolver_lookup(v->res, q, n);
	for (i = 0; i < n; i++) {
		verifier_key(v, which[i], &q[i]);
		resolver_query_clear(&q[i]);
	}
}

/* Nothing left to do for this message? */
int
verifier_idle(const struct verifier *v)
{
	return !v->failed && v->nar == 0 && dkim_vmsg_nsigs(v->vm) == 0 &&
	    !v->vc->always_add_ar && v->vc->on_nosig == ACTION_ACCEPT;
}

void
verifier_body(struct verifier *v, const void *data, size_t len)
{
	dkim_err err;

	if (!v->failed && dkim_vmsg_body(v->vm, data, len, &err) != DKIM_OK)
		verifier_fail(v, &err);
}

void
verifier_eom(struct verifier *v)
{
	dkim_err err;

	if (!v->failed && dkim_vmsg_finish(v->vm, &err) != DKIM_OK)
		verifier_fail(v, &err);
}

/* The A-R value to add, if any. */
int
verifier_authres(const struct verifier *v, const char *id, const char *fold, dbuf *out)
{
	dkim_vresult *res;
	size_t i, n;
	int rc;

	if (v->failed) {
		/* One result with no signature named: what stopped the verifier. */
		if ((res = calloc(1, sizeof(*res))) == NULL)
			return -1;
		res->status = (enum dkim_vstatus)v->fail_status;
		snprintf(res->reason, sizeof(res->reason), "%s", v->why);
		rc = authres_build(out, id, res, 1, fold) == 0 ? 1 : -1;
		free(res);
		return rc;
	}
	n = dkim_vmsg_nverify(v->vm);
	if (n == 0) {
		if (dkim_vmsg_nsigs(v->vm) > 0 || !v->vc->always_add_ar)
			return 0;
		return authres_build(out, id, NULL, 0, fold) == 0 ? 1 : -1;
	}
	if ((res = calloc(n, sizeof(*res))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		res[i] = *dkim_vmsg_result(v->vm, i);
	rc = authres_build(out, id, res, n, fold) == 0 ? 1 : -1;
	free(res);
	return rc;
}

/* The forged A-R fields, highest index first. */
size_t
verifier_forged(const struct verifier *v, const char *ours, size_t *idx, size_t max,
    size_t *past, size_t *unparsable)
{
	const struct verify_cfg *vc = v->vc;
	size_t i, n = 0, bad = 0;
	/* An empty id names nobody (authres_id_is). */
	int have_ours = ours != NULL && *ours != '\0' && *ours != '/';
	uint64_t h = have_ours ? authres_id_hash(ours) : 0;
	int forged;

	for (i = v->nkept; i-- > 0;) {
		switch (v->ar[i].kind) {
		case VAR_NOID:
			bad++;
			forged = vc->remove_ar_all;
			break;
		case VAR_REMOVE:
			forged = 1;
			break;
		default:
			forged = vc->remove_ar_all || (have_ours && v->ar[i].hash == h);
			break;
		}
		if (forged && !vc->keep_ar && n < max)
			idx[n++] = i + 1;
	}
	if (past != NULL)
		*past = vc->keep_ar ? 0 : v->nar - v->nkept;
	if (unparsable != NULL)
		*unparsable = vc->remove_ar_all || vc->keep_ar ? 0 : bad;
	return n;
}

/*
 * Signatures that count as none for the action: a failing one from a
 * signer in testing mode (RFC 6376 §3.6.1: such mail must be treated as
 * unsigned) and one whose key record is not trusted (neutral): either way
 * the sender could as well have sent it unsigned.
 */
static int
as_unsigned(const dkim_vresult *r)
{
	/* Not finished, or failed inside: our fault, never the sender's. */
	if (r->status == DKIM_V_UNDECIDED || r->status == DKIM_V_INTERNAL)
		return 0;
	return r->testing || r->status == DKIM_V_KEYUNTRUSTED;
}

/* The action for the outcome, OpenDKIM's way: any pass accepts. */
enum config_action
verifier_action(const struct verifier *v, enum config_action internal, const char **what)
{
	const struct verify_cfg *vc = v->vc;
	const dkim_vresult *r, *first = NULL;
	size_t i, n = dkim_vmsg_nverify(v->vm);
	int dns = 0, intern = 0, security = 0, testing = 0;

	if (v->failed) {
		*what = "not verified";
		return internal;
	}
	if (dkim_vmsg_nsigs(v->vm) == 0) {
		*what = "no signature";
		return vc->on_nosig;
	}
	for (i = 0; i < n; i++) {
		r = dkim_vmsg_result(v->vm, i);
		if (r->status == DKIM_V_PASS) {
			*what = "pass";
			return ACTION_ACCEPT;
		}
		if (as_unsigned(r)) {
			testing |= r->testing;
			continue;
		}
		if (first == NULL)
			first = r;
		dns |= r->status == DKIM_V_KEYFAIL;
		/* Not finished is our fault, never the sender's (nor a pass). */
		intern |= r->status == DKIM_V_INTERNAL || r->status == DKIM_V_UNDECIDED;
		security |= r->dnssec == DKIM_DNSSEC_BOGUS;
	}
	if (n == 0) {
		*what = "no signature verified";
		return vc->on_nosig;
	}
	if (first == NULL) {
		*what = testing ? "test-mode key, as unsigned" : "untrusted key, as unsigned";
		return vc->on_nosig;
	}
	if (intern) {
		*what = "internal error";
		return internal;
	}
	if (dns) {
		*what = "DNS error";
		return vc->on_dnserr;
	}
	if (security) {
		*what = "DNSSEC bogus key";
		return vc->on_security;
	}
	if (first->status == DKIM_V_NOKEY || first->status == DKIM_V_REVOKED) {
		*what = "key not found";
		return vc->on_keynotfound;
	}
	*what = "bad signature";
	return vc->on_badsig;
}

/* One line for the log: each verified signature's d=, s=, result and reason. */
void
verifier_describe(const struct verifier *v, dbuf *out)
{
	const dkim_vresult *r;
	const char *sep;
	size_t i, n;

	if (v->failed) {
		dbuf_adds(out, "not verified: ");
		dbuf_add_escaped(out, v->why, strnlen(v->why, 200));
		return;
	}
	n = dkim_vmsg_nverify(v->vm);
	if (dkim_vmsg_nsigs(v->vm) == 0)
		dbuf_adds(out, "no signature");
	for (i = 0; i < n; i++) {
		r = dkim_vmsg_result(v->vm, i);
		if (i > 0)
			dbuf_adds(out, "; ");
		dbuf_adds(out, "d=");
		dbuf_add_escaped(out, r->domain, strnlen(r->domain, 100));
		dbuf_adds(out, " s=");
		dbuf_add_escaped(out, r->selector, strnlen(r->selector, 64));
		dbuf_printf(out, " %s", dkim_vstatus_result(r->status));
		sep = " (";
		if (r->testing) {
			dbuf_printf(out, "%stest mode", sep);
			sep = "; ";
		}
		if (r->body_len > r->signed_len) {
			dbuf_printf(out, "%sbody truncated: l=%llu of %llu", sep, r->signed_len,
			    r->body_len);
			sep = "; ";
		}
		if (r->status != DKIM_V_PASS) {
			dbuf_adds(out, sep);
			if (r->reason[0] != '\0')
				dbuf_add_escaped(out, r->reason, strnlen(r->reason, 200));
			else
				dbuf_adds(out, dkim_vstatus_name(r->status));
			sep = "; ";
		}
		if (sep[0] == ';')
			dbuf_addc(out, ')');
	}
	if (dkim_vmsg_nsigs(v->vm) > n)
		dbuf_printf(out, "%s%zu more not verified (MaximumSignaturesToVerify %zu)",
		    n > 0 ? "; " : "", dkim_vmsg_nsigs(v->vm) - n, v->vc->max_sigs);
}

/* The milter's log line for a verified message. */
void
verifier_logline(const struct verifier *v, size_t removed, size_t n, size_t bad, int ar_rc,
    enum config_action a, const char *what, dbuf *out)
{
	verifier_describe(v, out);
	if (removed > 0 || bad > 0)
		dbuf_printf(out, " [removed %zu forged Authentication-Results of %zu; left %zu "
		    "unparsable]", removed, n, bad);
	if (ar_rc < 0)
		dbuf_adds(out, " [Authentication-Results not added: out of memory or refused]");
	if (a != ACTION_ACCEPT)
		dbuf_printf(out, " (%s: action %s)", what, config_action_name(a));
}
