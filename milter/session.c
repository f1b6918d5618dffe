/*
 * session.c - the per-message signing logic shared by the milter callbacks
 * and the offline mode: keep the header fields signing needs, decide at the
 * end of the header, stream the body, produce the signatures.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dkim/header.h"
#include "../dkim/idna.h"
#include "../config/config_verify.h"
#include "../verify/verifier.h"
#include "session.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* Start a session for a message. */
void session_init(struct session *s, const struct runcfg *rc)
{
	memset(s, 0, sizeof(*s));
	s->rc = rc;
	dbuf_init(&s->store);
}

/* Free the kept header fields. */
static void session_drop_fields(struct session *s)
{
	dbuf_free(&s->store);
	dbuf_init(&s->store);
	free(s->fields);
	s->fields = NULL;
	s->nfields = s->fieldcap = 0;
}

/* Forget the current message. */
void session_reset(struct session *s)
{
	const struct runcfg *rc = s->rc;

	session_drop_fields(s);
	/* The message first: it points at the signers. */
	dkim_msg_free(s->msg);
	verifier_free(s->ver);
	rules_result_free(&s->found);
	session_init(s, rc);
}

/* Record the message's outcome with a reason. */
static void session_set(struct session *s, enum session_verdict v,
    enum config_action a, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void session_set(struct session *s, enum session_verdict v,
    enum config_action a, const char *fmt, ...)
{
	va_list ap;

	s->verdict = v;
	s->action = a;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

/* Record a failure of the core: internal trouble or a signing error. */
static void session_fail(struct session *s, const char *what, const dkim_err *err)
{
	const struct config *cfg = s->rc->cfg;
	enum config_action a;

	/* Memory and state errors are ours; the rest is about this message. */
	if (err->code == DKIM_ERR_NOMEM || err->code == DKIM_ERR_IO || err->code == DKIM_ERR_STATE) {
		a = cfg->on_internal_error;
		s->reason = STATS_NS_INTERNAL;
	} else {
		a = cfg->on_signature_error;
		s->reason = STATS_NS_SIGNATURE_ERROR;
	}
	session_set(s, SESSION_FAIL, a, "%s: %s", what, err->msg[0] ? err->msg : "error");
}

/*
 * Record a header field that cannot be kept. The message may still turn
 * out not to be ours, so the error is acted on only at the end of the header.
 */
static void session_hdr_fail(struct session *s, int code, const char *msg)
{
	s->hdr_failed = 1;
	s->hdr_err.code = code;
	snprintf(s->hdr_err.msg, sizeof(s->hdr_err.msg), "%s", msg);
}

/* Place of name in SenderHeaders, or (size_t)-1. */
static size_t session_sender_rank(const struct session *s, const char *name, size_t nlen)
{
	char *const *sh = s->rc->cfg->sender_headers;
	size_t i;

	for (i = 0; sh != NULL && sh[i] != NULL; i++)
		if (dkim_header_name_is(name, nlen, sh[i]))
			return i;
	return (size_t)-1;
}

/* Remember a header field for the decision and the signature. */
void session_header(struct session *s, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	struct session_field *f;
	size_t rank;
	int is_from, first_from, decides;

	/* From fields are counted even after an error: two From decide "skip". */
	is_from = dkim_header_name_is(name, nlen, "From");
	if (is_from)
		s->nfrom++;
	/* Mode v/sv: whether to verify is known only at the end of the header. */
	if (s->rc->cfg->verify->verify) {
		if (s->ver == NULL && !s->ver_tried) {
			s->ver_tried = 1;	/* out of memory: the message is not verified */
			if (verifier_new(s->rc->cfg->verify, s->rc->resolver, &s->ver) != 0)
				s->ver = NULL;
		}
		if (s->ver != NULL)
			verifier_header(s->ver, name, nlen, value, vlen);
	}
	/* SenderHeaders: the first of the listed fields present names the signer. */
	rank = session_sender_rank(s, name, nlen);
	if (rank != (size_t)-1 && s->sender != 0 && rank >= s->sender_rank)
		rank = (size_t)-1;
	/*
	 * The first From decides what happens to the message, and so does the
	 * field SenderHeaders picks: they are kept even past the limits on the
	 * whole header (each at most DKIM_HEADER_FIELD_MAX; the From once, a
	 * sender field at most once per SenderHeaders entry, each one better
	 * placed in the list), so that mail of ours that cannot be signed is
	 * still told from mail that is not signed by policy.
	 */
	first_from = is_from && s->nfrom == 1;
	decides = first_from || rank != (size_t)-1;
	if ((s->hdr_failed && !decides) ||
	    (rank == (size_t)-1 && !rules_wants(s->rc->cfg->rules, name, nlen)))
		return;
	if (nlen + 1 + vlen > DKIM_HEADER_FIELD_MAX) {
		char msg[128];

		snprintf(msg, sizeof(msg), "header field %.*s is over %u bytes",
		    (int)(nlen > 64 ? 64 : nlen), name, (unsigned)DKIM_HEADER_FIELD_MAX);
		session_hdr_fail(s, DKIM_ERR_TOOBIG, msg);
		return;
	}
	if (!decides &&
	    (s->store.len + nlen + vlen > DKIM_HEADER_TOTAL_MAX || s->nfields >= DKIM_HEADER_COUNT_MAX)) {
		session_hdr_fail(s, DKIM_ERR_TOOBIG, "header section too large");
		return;
	}
	if (s->nfields == s->fieldcap) {
		size_t cap = s->fieldcap ? s->fieldcap * 2 : 32;
		struct session_field *nf = realloc(s->fields, cap * sizeof(*nf));

		if (nf == NULL) {
			session_hdr_fail(s, DKIM_ERR_NOMEM, "out of memory");
			return;
		}
		s->fields = nf;
		s->fieldcap = cap;
	}
	f = &s->fields[s->nfields];
	f->name = s->store.len;
	f->nlen = nlen;
	dbuf_add(&s->store, name, nlen);
	f->value = s->store.len;
	f->vlen = vlen;
	dbuf_add(&s->store, value, vlen);
	if (dbuf_failed(&s->store)) {
		session_hdr_fail(s, DKIM_ERR_NOMEM, "out of memory");
		return;
	}
	if (first_from) {
		s->from = s->nfields;
		s->from_kept = 1;
	}
	if (rank != (size_t)-1) {
		s->sender = s->nfields + 1;
		s->sender_rank = rank;
	}
	s->nfields++;
}

/* Nonzero when two results hold the same signatures (d=, s=, key), in any order. */
static int session_same_set(const struct rules_result *a, const struct rules_result *b)
{
	size_t i, j;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n; j++)
			if (dkim_signer_same_key(a->signer[i], b->signer[j]))
				break;
		if (j == b->n)
			return 0;
	}
	return 1;
}

/*
 * Several authors in one From (RFC 5322 3.6.2): one set of signatures must
 * speak for every one of them, so each mailbox must get the same d=, s= and
 * key as the first (i= is the first's). Otherwise the verdict says why.
 */
static int session_same_signers(struct session *s, const struct from_box *box, size_t nbox)
{
	const struct config *cfg = s->rc->cfg;
	struct rules_result other;
	size_t i;
	int same;

	for (i = 1; i < nbox; i++) {
		rules_lookup(cfg->rules, s->rc->keys, box[i].local, box[i].domain, &other);
		if (other.failed && (other.n == 0 || cfg->on_key_error != ACTION_ACCEPT)) {
			s->reason = other.reason;
			session_set(s, SESSION_FAIL, other.temporary ? ACTION_TEMPFAIL :
			    cfg->on_key_error, "%s", other.why);
			rules_result_free(&other);
			return 0;
		}
		same = session_same_set(&s->found, &other);
		rules_result_free(&other);
		if (!same) {
			s->reason = STATS_NS_BAD_FROM;
			if (strcmp(box[i].domain, box[0].domain) == 0)
				session_set(s, SESSION_SKIP, cfg->on_default,
				    "From has mailboxes with different keys in %s", box[0].domain);
			else
				session_set(s, SESSION_SKIP, cfg->on_default,
				    "From has mailboxes in domains with different keys: %s, %s",
				    box[0].domain, box[i].domain);
			return 0;
		}
	}
	return 1;
}

/*
 * Internationalized mail (RFC 8616): the From domains in A-label form, the
 * form the tables are indexed by and d= and i= are written in. A name that
 * is not a valid U-label cannot be ours.
 */
static int session_alabels(struct session *s, struct from_box *box, size_t nbox)
{
	char a[sizeof(box->domain)], why[128];
	size_t i;

	for (i = 0; i < nbox; i++) {
		if (!dkim_idna_utf8(box[i].domain, strlen(box[i].domain)))
			continue;
		if (dkim_idna_alabel(box[i].domain, strlen(box[i].domain), a, sizeof(a), why,
		    sizeof(why)) < 0) {
			s->reason = STATS_NS_BAD_FROM;
			session_set(s, SESSION_SKIP, s->rc->cfg->on_default,
			    "From domain %s", why);
			return -1;
		}
		memcpy(box[i].domain, a, sizeof(a));
	}
	return 0;
}

/* Every address the From parser takes can be looked up in the signing rules. */
_Static_assert(sizeof(((struct from_box *)0)->local) <= RULES_LOCAL_MAX + 1 &&
    sizeof(((struct from_box *)0)->domain) <= RULES_DOMAIN_MAX + 1,
    "from_box is longer than rules_lookup takes");

/*
 * ExemptDomains (OpenDKIM): mail whose From domain is listed is neither
 * signed nor verified. Returns 1 when the message is settled here (exempt,
 * or the list could not answer: tempfail, as OpenDKIM), else 0.
 */
static int session_exempt(struct session *s)
{
	struct dataset *ex = s->rc->cfg->exempt_domains;
	struct from_box box;
	const struct session_field *f;
	const char *why = NULL, *d;
	char a[sizeof(box.domain)], err[256];
	size_t n = 0;
	int has;

	/* An unusable From, or one not kept, is for the signing path to report. */
	if (s->nfrom != 1 || !s->from_kept)
		return 0;
	f = &s->fields[s->sender ? s->sender - 1 : s->from];
	if (from_addresses(s->store.data + f->value, f->vlen, &box, 1, &n, &why) != 0 || n == 0)
		return 0;
	d = box.domain;
	if (dkim_idna_utf8(d, strlen(d))) {
		if (dkim_idna_alabel(d, strlen(d), a, sizeof(a), err, sizeof(err)) < 0)
			return 0;
		d = a;
	}
	if ((has = dataset_has(ex, d, err, sizeof(err))) == 0)
		return 0;
	if (has < 0) {
		session_set(s, SESSION_SKIP, ACTION_TEMPFAIL, "ExemptDomains %s: %s",
		    dataset_name(ex), err);
	} else {
		session_set(s, SESSION_SKIP, ACTION_ACCEPT, "From domain %s in ExemptDomains", d);
		s->not_ours = 1;
	}
	verifier_free(s->ver);
	s->ver = NULL;
	return 1;
}

/* End of header: decide whether and how to sign, start the signatures. */
enum session_verdict session_eoh(struct session *s, const struct policy_facts *facts,
    time_t when)
{
	const struct config *cfg = s->rc->cfg;
	const struct session_field *f;
	struct from_box *box = NULL;
	const char *why = NULL;
	dkim_err err;
	size_t i, nbox = 0;

	if (s->verdict != SESSION_CONTINUE)
		return s->verdict;
	if (cfg->exempt_domains != NULL && session_exempt(s))
		goto done;
	if (!cfg->verify->sign) {
		session_set(s, SESSION_SKIP, ACTION_ACCEPT, "Mode v: verifying only");
		s->not_ours = 1;
		goto done;
	}
	if (!policy_is_ours(cfg, facts, &why)) {
		/* Mail that is not ours passes untouched, whatever On-Default says. */
		session_set(s, SESSION_SKIP, ACTION_ACCEPT, "%s", why ? why : "not ours");
		s->not_ours = 1;
		goto done;
	}
	/* From here on a message left unsigned is mail of ours, with a reason. */
	s->ours = 1;
	s->reason = STATS_NS_BAD_FROM;
	if (s->nfrom == 0) {
		session_set(s, SESSION_SKIP, cfg->on_default, "no From field");
		goto done;
	}
	if (s->nfrom > 1) {
		session_set(s, SESSION_SKIP, cfg->on_default, "%zu From fields", s->nfrom);
		goto done;
	}
	if (!s->from_kept) {
		/* The From field itself could not be kept. */
		session_fail(s, "header", &s->hdr_err);
		goto done;
	}
	/* SenderHeaders (OpenDKIM): the signer comes from that field; From is still signed. */
	f = &s->fields[s->sender ? s->sender - 1 : s->from];
	if ((box = malloc(FROM_MAILBOXES_MAX * sizeof(*box))) == NULL) {
		dkim_err e = { DKIM_ERR_NOMEM, "out of memory" };

		session_fail(s, "From", &e);
		goto done;
	}
	s->reason = STATS_NS_BAD_FROM;
	if (from_addresses(s->store.data + f->value, f->vlen, box, FROM_MAILBOXES_MAX, &nbox,
	    &why) != 0) {
		session_set(s, SESSION_SKIP, cfg->on_default, "%s",
		    why ? why : "From has no usable address");
		goto done;
	}
	if (session_alabels(s, box, nbox) < 0)
		goto done;
	snprintf(s->from_domain, sizeof(s->from_domain), "%s", box[0].domain);
	rules_lookup(cfg->rules, s->rc->keys, box[0].local, s->from_domain, &s->found);
	/*
	 * A key that cannot be used hurts its own mail only: tempfailed by
	 * default, so it leaves signed once the key is fixed.
	 */
	if (s->found.failed)
		s->reason = s->found.reason;
	if (s->found.failed && (s->found.n == 0 || cfg->on_key_error != ACTION_ACCEPT)) {
		session_set(s, SESSION_FAIL, s->found.temporary ? ACTION_TEMPFAIL :
		    cfg->on_key_error, "%s", s->found.why);
		goto done;
	}
	if (s->found.n == 0) {
		s->reason = STATS_NS_NO_SIGNING_RULE;
		session_set(s, SESSION_SKIP, cfg->on_default, "no signing key for %s",
		    s->from_domain);
		/* A domain not signed here (OpenDKIM: "no signing table match"). */
		s->not_ours = 1;
		goto done;
	}
	if (nbox > 1 && !session_same_signers(s, box, nbox))
		goto done;
	/*
	 * A header too large to keep fails the signature only: checked once
	 * the message is known to be signed, so that mail of ours that is not
	 * signed (no key for its domain) is verified like any other, forged
	 * Authentication-Results removed.
	 */
	if (s->hdr_failed) {
		session_fail(s, "header", &s->hdr_err);
		goto done;
	}
	memset(&err, 0, sizeof(err));
	if (dkim_msg_new((const dkim_signer *const *)s->found.signer, s->found.n, when, &s->msg,
	    &err) != 0) {
		s->msg = NULL;
		session_fail(s, "start", &err);
		goto done;
	}
	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		if (dkim_msg_header(s->msg, s->store.data + f->name, f->nlen,
		    s->store.data + f->value, f->vlen, &err) != 0) {
			session_fail(s, "header", &err);
			goto done;
		}
	}
done:
	free(box);
	/* The core holds what it needs now; the kept copy can go. */
	session_drop_fields(s);
	/*
	 * Mode v/sv: what is not signed is verified (its keys are fetched now),
	 * unless On-Default holds our unsignable mail back.
	 */
	if (s->verdict == SESSION_SKIP && s->action == ACTION_ACCEPT && s->ver != NULL) {
		unsigned long long t0 = stats_now_ns();

		verifier_eoh(s->ver);
		s->verify_ns += stats_now_ns() - t0;
		/* Unsigned mail with no A-R field: let it go now, as before. */
		if (!verifier_idle(s->ver))
			s->verdict = SESSION_VERIFY;
		else
			s->ver_idle = 1;
	}
	if (s->verdict != SESSION_VERIFY) {
		verifier_free(s->ver);
		s->ver = NULL;
	}
	return s->verdict;
}

/* Stream body bytes into the signatures. */
void session_body(struct session *s, const void *data, size_t len)
{
	dkim_err err;

	if (s->verdict == SESSION_VERIFY && len > 0)
		verifier_body(s->ver, data, len);
	if (s->verdict != SESSION_CONTINUE || s->msg == NULL || len == 0)
		return;
	memset(&err, 0, sizeof(err));
	if (dkim_msg_body(s->msg, data, len, &err) != 0)
		session_fail(s, "body", &err);
}

/* End of message: compute the signatures. */
enum session_verdict session_eom(struct session *s)
{
	dkim_err err;

	if (s->verdict == SESSION_VERIFY) {
		unsigned long long t0 = stats_now_ns();

		verifier_eom(s->ver);
		s->verify_ns += stats_now_ns() - t0;
	}
	if (s->verdict != SESSION_CONTINUE)
		return s->verdict;
	if (s->msg == NULL) {
		dkim_err e = { DKIM_ERR_STATE, "end of message before end of header" };

		session_fail(s, "sign", &e);
		return s->verdict;
	}
	memset(&err, 0, sizeof(err));
	if (dkim_msg_finish(s->msg, &err) != 0) {
		session_fail(s, "sign", &err);
		return s->verdict;
	}
	s->verdict = SESSION_SIGNED;
	return s->verdict;
}

/* How many signatures are ready. */
size_t session_nsignatures(const struct session *s)
{
	if (s->verdict != SESSION_SIGNED || s->msg == NULL)
		return 0;
	return dkim_msg_nsignatures(s->msg);
}

/* The i-th signature value, refolded with eol and ready for insertion. */
char *session_signature(const struct session *s, size_t i, const char *eol, int leadspc)
{
	const char *v, *p;
	size_t elen = strlen(eol);
	dbuf out;

	if (i >= session_nsignatures(s) || (v = dkim_msg_signature(s->msg, i)) == NULL)
		return NULL;
	dbuf_init(&out);
	/* With SMFIP_HDR_LEADSPC the MTA adds no space after the colon: we do. */
	if (leadspc)
		dbuf_addc(&out, ' ');
	for (p = v; *p != '\0'; p++) {
		if (p[0] == '\r' && p[1] == '\n') {
			dbuf_add(&out, eol, elen);
			p++;
		} else {
			dbuf_addc(&out, *p);
		}
	}
	if (dbuf_failed(&out)) {
		dbuf_free(&out);
		return NULL;
	}
	return out.data;
}

/* Describe the i-th signer for the log. */
void session_describe(const struct session *s, size_t i, char *buf, size_t size)
{
	const dkim_signer *sg;

	if (i >= s->found.n) {
		snprintf(buf, size, "?");
		return;
	}
	sg = s->found.signer[i];
	snprintf(buf, size, "d=%s s=%s a=%s", dkim_signer_domain(sg), dkim_signer_selector(sg),
	    dkim_alg_name(dkim_signer_alg(sg)));
}

void
session_filter_value(char *v, size_t size, const char *host, const char *qid, int leadspc)
{
	size_t i;

	snprintf(v, size, "%spostdkim v%s %.253s %.64s", leadspc ? " " : "", PACKAGE_VERSION,
	    host, qid);
	for (i = leadspc ? 1 : 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] < ' ' || (unsigned char)v[i] > '~')
			v[i] = '?';
}
