/*
 * vmsg.c - the streaming verifier: one message, its signatures, their keys.
 *
 * Every header field is kept (bounded by header.h) because any of them may
 * be named in some h=. At the end of the header only the first max_sigs
 * DKIM-Signature fields are parsed: the rest were counted while arriving,
 * by name, and cost nothing more. Everything that can be decided without
 * the body (tags and header hash, in vsig.c; the key) is decided then or
 * when the key comes in; the body goes through one dkim_bodyhash per (canonicalization, l=)
 * still needed, and finish compares body hashes and checks signatures.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "vmsg_impl.h"

/* The defaults: three signatures, 1024-bit keys, the current time. */
void
dkim_vopts_default(dkim_vopts *o)
{
	o->max_sigs = 3;
	o->min_key_bits = DKIM_RSA_MIN_BITS;
	o->now = time(NULL);
	o->drift = 0;
	o->min_body_kind = DKIM_MINBODY_NONE;
	o->min_body = 0;
}

/* Start a message. */
int
dkim_vmsg_new(const dkim_vopts *o, dkim_vmsg **out, dkim_err *err)
{
	dkim_vmsg *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
	m->o = *o;
	if (m->o.max_sigs > DKIM_VMSG_SIGS_MAX)
		m->o.max_sigs = DKIM_VMSG_SIGS_MAX;
	/* RFC 8301: smaller RSA keys never pass, whatever the caller asks. */
	if (m->o.min_key_bits < DKIM_RSA_MIN_BITS)
		m->o.min_key_bits = DKIM_RSA_MIN_BITS;
	dbuf_init(&m->store);
	*out = m;
	return DKIM_OK;
}

/* Keep one header field; note where the first signatures are. */
int
dkim_vmsg_header(dkim_vmsg *m, const char *name, size_t nlen, const char *value,
    size_t vlen, dkim_err *err)
{
	struct dkim_hfield *h;
	size_t grow, rawlen = nlen;

	if (m->eoh)
		return dkim_err_set(err, DKIM_ERR_STATE, "header after end of header");
	while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
		nlen--;
	if (!dkim_header_name_ok(name, nlen))
		return dkim_err_set(err, DKIM_ERR_SYNTAX, "malformed header field name");
	if (nlen + vlen > DKIM_HEADER_FIELD_MAX)
		return dkim_err_set(err, DKIM_ERR_TOOBIG, "header field exceeds %d bytes",
		    DKIM_HEADER_FIELD_MAX);
	if (m->nhdrs >= DKIM_HEADER_COUNT_MAX)
		return dkim_err_set(err, DKIM_ERR_TOOBIG, "more than %d header fields",
		    DKIM_HEADER_COUNT_MAX);
	if (m->store.len + rawlen + vlen * 2 > DKIM_HEADER_TOTAL_MAX)
		return dkim_err_set(err, DKIM_ERR_TOOBIG, "header section exceeds %d bytes",
		    DKIM_HEADER_TOTAL_MAX);
	if (m->nhdrs == m->caphdrs) {
		grow = m->caphdrs ? m->caphdrs * 2 : 32;
		if ((h = realloc(m->hdrs, grow * sizeof(*h))) == NULL)
			return dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
		m->hdrs = h;
		m->caphdrs = grow;
	}
	m->nfrom += dkim_header_name_is(name, nlen, "From");
	if (dkim_header_name_is(name, nlen, "DKIM-Signature") && m->nsigs++ < m->o.max_sigs)
		m->sigfield[m->nsigs - 1] = m->nhdrs;
	h = &m->hdrs[m->nhdrs];
	if (dkim_hfield_keep(&m->store, h, name, nlen, rawlen, value, vlen) < 0)
		return dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
	m->nhdrs++;
	return DKIM_OK;
}

/* Decide a signature now, with a formatted reason. */
int
vsig_done(struct vsig *s, enum dkim_vstatus st, const char *fmt, ...)
{
	va_list ap;

	s->r.status = st;
	s->state = SIG_DONE;
	va_start(ap, fmt);
	vsnprintf(s->r.reason, sizeof(s->r.reason), fmt, ap);
	va_end(ap);
	dkim_key_free(s->key);
	s->key = NULL;
	return st;
}

/* End of header: prepare the signatures to verify. */
int
dkim_vmsg_eoh(dkim_vmsg *m, dkim_err *err)
{
	size_t i;

	if (m->eoh)
		return dkim_err_set(err, DKIM_ERR_STATE, "end of header twice");
	m->eoh = 1;
	m->nv = m->nsigs < m->o.max_sigs ? m->nsigs : m->o.max_sigs;
	if (m->nv == 0)
		return DKIM_OK;
	if ((m->sigs = calloc(m->nv, sizeof(*m->sigs))) == NULL)
		return dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
	m->hash_max = m->store.len + VMSG_HASH_EXTRA;
	for (i = 0; i < m->nv; i++) {
		m->sigs[i].field = m->sigfield[i];
		vsig_prepare(m, &m->sigs[i]);
	}
	dkim_hindex_free(m->hx);	/* the body phase does not need it */
	m->hx = NULL;
	return DKIM_OK;
}

size_t dkim_vmsg_nsigs(const dkim_vmsg *m) { return m->nsigs; }
size_t dkim_vmsg_nverify(const dkim_vmsg *m) { return m->nv; }

size_t
dkim_vmsg_nbodyhash(const dkim_vmsg *m)
{
	return (size_t)(m->bhs[0] != NULL) + (size_t)(m->bhs[1] != NULL);
}

/* Does signature i wait for its key? */
int
dkim_vmsg_need(const dkim_vmsg *m, size_t i, const char **domain, const char **selector)
{
	if (i >= m->nv || m->sigs[i].state != SIG_KEYWAIT)
		return 0;
	*domain = m->sigs[i].r.domain;
	*selector = m->sigs[i].r.selector;
	return 1;
}

/* Judge signature s's key record. */
static int
sig_key(const dkim_vmsg *m, struct vsig *s, const char *txt, size_t len)
{
	char reason[200];
	int rc, strict = 0;
	rc = dkim_keyrecord_check(txt, len, s->r.alg, &s->key, &s->r.testing, &strict,
	    reason, sizeof(reason));
	if (rc != DKIM_V_PASS)
		return vsig_done(s, (enum dkim_vstatus)rc, "%s", reason);
	s->r.bits = dkim_key_bits(s->key);
	if (strict && s->subdomain)
		return vsig_done(s, DKIM_V_KEYSTRICT, "key has t=s but i= is a subdomain");
	if (dkim_key_alg(s->key) == DKIM_ALG_RSA_SHA256) {
		if (s->r.bits < m->o.min_key_bits)
			return vsig_done(s, DKIM_V_KEYSIZE, "%d-bit key, under the %d-bit minimum",
			    s->r.bits, m->o.min_key_bits);
		if (s->r.bits > DKIM_RSA_MAX_BITS)
			return vsig_done(s, DKIM_V_KEYSIZE, "%d-bit key, over the %d-bit maximum",
			    s->r.bits, DKIM_RSA_MAX_BITS);
		if (dkim_key_exp_bits(s->key) > DKIM_RSA_MAX_EXP_BITS)
			return vsig_done(s, DKIM_V_KEYSIZE, "RSA public exponent of %d bits, over %d",
			    dkim_key_exp_bits(s->key), DKIM_RSA_MAX_EXP_BITS);
	}
	s->state = SIG_READY;
	return 0;
}

/* The key record for signature i. */
void
dkim_vmsg_key(dkim_vmsg *m, size_t i, const char *txt, size_t len)
{
	if (i < m->nv && m->sigs[i].state == SIG_KEYWAIT)
		(void)sig_key(m, &m->sigs[i], txt, len);
}

/* No usable key record for signature i. */
void
dkim_vmsg_key_status(dkim_vmsg *m, size_t i, enum dkim_vstatus st, const char *reason)
{
	struct vsig *s;

	if (i >= m->nv || (s = &m->sigs[i])->state != SIG_KEYWAIT)
		return;
	if (reason != NULL)
		vsig_done(s, st, "%s", reason);
	else if (st == DKIM_V_NOKEY)
		vsig_done(s, st, "no key record %s._domainkey.%.180s", s->r.selector, s->r.domain);
	else
		vsig_done(s, st, "key lookup failed for %s._domainkey.%.180s", s->r.selector,
		    s->r.domain);
}

void
dkim_vmsg_key_dnssec(dkim_vmsg *m, size_t i, enum dkim_dnssec d)
{
	if (i < m->nv)
		m->sigs[i].r.dnssec = (int)d;
}

void
dkim_vmsg_key_distrust(dkim_vmsg *m, size_t i, const char *why)
{
	if (i < m->nv && m->sigs[i].state == SIG_KEYWAIT)
		snprintf(m->sigs[i].distrust, sizeof(m->sigs[i].distrust), "%s", why);
}

/* A decided signature whose key is not trusted: neutral, saying what it came to. */
static void
sig_untrusted(struct vsig *s)
{
	char was[sizeof(s->r.reason)];

	if (s->distrust[0] == '\0' || s->r.status == DKIM_V_KEYFAIL ||
	    s->r.status == DKIM_V_INTERNAL)
		return;
	snprintf(was, sizeof(was), "%s", s->r.status == DKIM_V_PASS ? "signature verifies" :
	    s->r.reason);
	vsig_done(s, DKIM_V_KEYUNTRUSTED, "%s; %s", s->distrust, was);
}

/* Feed body bytes to each body hash some undecided signature still needs. */
int
dkim_vmsg_body(dkim_vmsg *m, const void *data, size_t len, dkim_err *err)
{
	int live[2] = { 0, 0 };
	size_t i;

	if (!m->eoh || m->finished)
		return dkim_err_set(err, DKIM_ERR_STATE, "body out of order");
	for (i = 0; i < m->nv; i++)
		if (m->sigs[i].state != SIG_DONE)
			live[m->sigs[i].bc] = 1;
	for (i = 0; i < 2; i++)
		if (live[i])
			dkim_bodyhash_update(m->bhs[i], data, len);
	return DKIM_OK;
}

/*
 * Does the caller's minimum refuse an l= that signs l of total canonical
 * bytes? (OpenDKIM's rule for percentages: the signed part, in whole
 * percent rounded down, below the minimum.)
 */
static int
minbody_refuses(const dkim_vopts *o, unsigned long long l, unsigned long long total)
{
	if (l >= total)
		return 0;
	switch (o->min_body_kind) {
	case DKIM_MINBODY_BYTES:
		return l < (o->min_body < total ? o->min_body : total);
	case DKIM_MINBODY_PERCENT:
		return (long double)l * 100 < (long double)o->min_body * (long double)total;
	case DKIM_MINBODY_APPENDED:
		return total - l > o->min_body;
	default:
		return 0;
	}
}

/* "Minimum" as it was written: 500, 80% or 0+. */
static const char *
minbody_name(const dkim_vopts *o, char *buf, size_t size)
{
	snprintf(buf, size, "%llu%s", o->min_body, o->min_body_kind == DKIM_MINBODY_PERCENT ?
	    "%" : o->min_body_kind == DKIM_MINBODY_APPENDED ? "+" : "");
	return buf;
}

/* Decide every signature. */
int
dkim_vmsg_finish(dkim_vmsg *m, dkim_err *err)
{
	unsigned long long total;
	unsigned char got[32];
	struct vsig *s;
	dkim_err e;
	char mb[32];
	size_t i;
	int rc;

	if (!m->eoh || m->finished)
		return dkim_err_set(err, DKIM_ERR_STATE, "finish out of order");
	m->finished = 1;
	for (i = 0; i < m->nv; i++) {
		s = &m->sigs[i];
		if (s->state == SIG_KEYWAIT)
			dkim_vmsg_key_status(m, i, DKIM_V_KEYFAIL, "no answer for the key record");
		if (s->state != SIG_READY)
			continue;
		/* A body pass is finished on first use; its cuts serve the others. */
		if (m->bhstate[s->bc] == 0)
			m->bhstate[s->bc] = dkim_bodyhash_final(m->bhs[s->bc], NULL,
			    &m->bhtotal[s->bc], &e) == DKIM_OK ? 1 : -1;
		total = m->bhtotal[s->bc];
		if (m->bhstate[s->bc] < 0) {
			vsig_done(s, DKIM_V_INTERNAL, "body hash failed");
			continue;
		}
		if (s->l != DKIM_BODYHASH_ALL && s->l > total) {
			vsig_done(s, DKIM_V_BODYLEN, "l=%llu but the body is %llu bytes", s->l,
			    total);
			continue;
		}
		if (s->l < total) {	/* content follows the signed part */
			s->r.signed_len = s->l;
			s->r.body_len = total;
		}
		if (dkim_bodyhash_cut_digest(m->bhs[s->bc], s->cut, got) != 0) {
			vsig_done(s, DKIM_V_INTERNAL, "body hash failed");
			continue;
		}
		if (memcmp(got, s->want, 32) != 0) {
			vsig_done(s, DKIM_V_BODYHASH, "body hash mismatch");
			continue;
		}
		rc = dkim_key_verify(s->key, s->digest, s->sig, s->siglen, &e);
		if (rc < 0)
			vsig_done(s, DKIM_V_INTERNAL, "%s", e.msg);
		else if (rc == 0)
			vsig_done(s, DKIM_V_BADSIG, "signature does not verify");
		else if (s->from_signed < m->nfrom)
			/*
			 * RFC 6376 §8.15: a From added to a signed message leaves the
			 * signature valid unless the signer over-signed From; readers
			 * may show the added one. The signer vouched only for the others.
			 */
			vsig_done(s, DKIM_V_FROMEXTRA, "verifies, but signs only %zu of %zu From "
			    "fields", s->from_signed, m->nfrom);
		else if (minbody_refuses(&m->o, s->l, total))
			vsig_done(s, DKIM_V_PARTIAL, "verifies, but leaves more of the body unsigned "
			    "than Minimum %s allows", minbody_name(&m->o, mb, sizeof(mb)));
		else
			vsig_done(s, DKIM_V_PASS, "pass");
	}
	for (i = 0; i < m->nv; i++)
		sig_untrusted(&m->sigs[i]);
	return DKIM_OK;
}

/* Signature i's result. */
const dkim_vresult *
dkim_vmsg_result(const dkim_vmsg *m, size_t i)
{
	return i < m->nv ? &m->sigs[i].r : NULL;
}

/* Free a message and everything it holds. */
void
dkim_vmsg_free(dkim_vmsg *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nv; i++)
		dkim_key_free(m->sigs[i].key);
	for (i = 0; i < 2; i++)
		dkim_bodyhash_free(m->bhs[i]);
	free(m->sigs);
	dkim_hindex_free(m->hx);
	free(m->hdrs);
	dbuf_free(&m->store);
	free(m);
}
