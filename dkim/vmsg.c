/*
 * vmsg.c - the streaming verifier: one message, its signatures, their keys.
 *
 * Every header field is kept (bounded by header.h) because any of them may
 * be named in some h=. At the end of the header only the first max_sigs
 * DKIM-Signature fields are parsed: the rest were counted while arriving,
 * by name, and cost nothing more. Everything that can be decided without
 * the body (tags, header hash, key) is decided then or when the key comes
 * in; the body goes through one dkim_bodyhash per (canonicalization, l=)
 * still needed, and finish compares body hashes and checks signatures.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "base64.h"
#include "bodyhash.h"
#include "canon.h"
#include "header.h"
#include "hindex.h"
#include "name.h"
#include "taglist.h"
#include "vmsg.h"

/* Largest b= accepted: an RSA-8192 signature. */
#define SIG_MAX 1024

/* A kept header field: offsets into dkim_vmsg.store. */
struct vhdr {
	size_t name, nlen, rawlen, value, vlen;
};

enum sig_state { SIG_DONE, SIG_KEYWAIT, SIG_READY };

struct vsig {
	dkim_vresult r;
	enum sig_state state;
	size_t field;			/* index in hdrs */
	size_t bh;			/* index in bhs */
	unsigned long long l;		/* DKIM_BODYHASH_ALL when no l= */
	int subdomain;			/* i= is below d= (matters for t=s) */
	size_t from_signed;		/* From fields h= took */
	unsigned char want[32];		/* bh= */
	unsigned char digest[32];	/* header hash */
	unsigned char sig[SIG_MAX];
	size_t siglen;
	dkim_key *key;
	char distrust[96];		/* why the key record is not trusted, or "" */
};

struct dkim_vmsg {
	dkim_vopts o;
	dbuf store;
	struct vhdr *hdrs;
	size_t nhdrs, caphdrs;
	dkim_hindex *hx;		/* the fields by name, while signatures are prepared */
	size_t sigfield[DKIM_VMSG_SIGS_MAX];
	size_t nsigs;			/* every DKIM-Signature seen */
	size_t nfrom;			/* every From seen */
	struct vsig *sigs;
	size_t nv;
	dkim_bodyhash *bhs[DKIM_VMSG_SIGS_MAX];
	unsigned char bhdone[DKIM_VMSG_SIGS_MAX][32];
	unsigned long long bhtotal[DKIM_VMSG_SIGS_MAX];
	size_t nbh;
	int eoh, finished;
};

/* The defaults: three signatures, 1024-bit keys, the current time. */
void
dkim_vopts_default(dkim_vopts *o)
{
	o->max_sigs = 3;
	o->min_key_bits = DKIM_RSA_MIN_BITS;
	o->now = time(NULL);
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
	struct vhdr *h;
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
	h->name = m->store.len;
	h->nlen = nlen;
	h->rawlen = rawlen;
	dbuf_add(&m->store, name, rawlen);
	h->value = m->store.len;
	dkim_header_add_value(&m->store, value, vlen);
	h->vlen = m->store.len - h->value;
	if (dbuf_failed(&m->store))
		return dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
	m->nhdrs++;
	return DKIM_OK;
}

/* Decide a signature now, with a formatted reason. */
static int sig_done(struct vsig *s, enum dkim_vstatus st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
sig_done(struct vsig *s, enum dkim_vstatus st, const char *fmt, ...)
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

/* Parse a decimal tag value (at most 19 digits). */
static int
tag_number(const dkim_tag *t, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	if (t->vlen == 0 || t->vlen > 19)
		return -1;
	for (i = 0; i < t->vlen; i++) {
		if (t->value[i] < '0' || t->value[i] > '9')
			return -1;
		v = v * 10 + (unsigned long long)(t->value[i] - '0');
	}
	*out = v;
	return 0;
}

/* Copy a tag value into a result string, truncating, FWS dropped. */
static void
copy_value(char *dst, size_t size, const char *v, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < size; i++)
		if (v[i] != ' ' && v[i] != '\t' && v[i] != '\r' && v[i] != '\n')
			dst[o++] = v[i];
	dst[o] = '\0';
}

/* Nonzero when the domain part of i= (after its last '@') is d= or below it. */
static int
identity_in(const dkim_tag *i, const dkim_tag *d, int *subdomain)
{
	const char *at = NULL;
	size_t k, il;

	for (k = i->vlen; k-- > 0;)
		if (i->value[k] == '@') {
			at = i->value + k + 1;
			break;
		}
	if (at == NULL)
		return -1;
	il = i->vlen - (size_t)(at - i->value);
	*subdomain = il != d->vlen;
	if (il == d->vlen)
		return strncasecmp(at, d->value, il) == 0;
	return il > d->vlen && at[il - d->vlen - 1] == '.' &&
	    strncasecmp(at + il - d->vlen, d->value, d->vlen) == 0;
}

/* The signature field's value with the b= value (and FWS after it) removed. */
static void
strip_b(const char *v, size_t vlen, const dkim_tag *b, dbuf *out)
{
	const char *start = b->value, *end = b->value + b->vlen, *vend = v + vlen;

	while (start > v && start[-1] != '=')
		start--;
	while (end < vend && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	dbuf_add(out, v, (size_t)(start - v));
	dbuf_add(out, end, (size_t)(vend - end));
}

/* The fields by name, indexed at the first signature that needs them. */
static dkim_hindex *
vmsg_hindex(dkim_vmsg *m)
{
	size_t j;

	if (m->hx == NULL && (m->hx = dkim_hindex_new(m->nhdrs)) != NULL)
		for (j = 0; j < m->nhdrs; j++)
			dkim_hindex_add(m->hx, m->store.data + m->hdrs[j].name, m->hdrs[j].nlen);
	return m->hx;
}

/*
 * The header hash of signature s: each h= name takes the bottom-most
 * instance not yet used (RFC 6376 §5.4.2), then the signature field itself
 * with b= empty and no final CRLF. Each name is one lookup in the index:
 * the cost is that of h= and of the fields it takes, never their product.
 */
static int
sig_header_hash(dkim_vmsg *m, struct vsig *s, dkim_canon hc, const dkim_tag *h,
    const dkim_tag *b)
{
	const struct vhdr *sf = &m->hdrs[s->field], *f;
	const char *base = m->store.data;
	dkim_hindex *hx;
	size_t k, j, hs, he;
	dbuf data, stripped;
	unsigned int mdlen;
	int rc = -1;

	if ((hx = vmsg_hindex(m)) == NULL)
		return -1;
	dkim_hindex_rewind(hx);
	dbuf_init(&data);
	dbuf_init(&stripped);
	for (k = 0; k <= h->vlen;) {
		hs = k;
		while (k < h->vlen && h->value[k] != ':')
			k++;
		he = k++;
		while (hs < he && strchr(" \t\r\n", h->value[hs]))
			hs++;
		while (he > hs && strchr(" \t\r\n", h->value[he - 1]))
			he--;
		if ((j = dkim_hindex_take(hx, h->value + hs, he - hs)) == DKIM_HINDEX_NONE)
			continue;
		f = &m->hdrs[j];
		s->from_signed += dkim_header_name_is(base + f->name, f->nlen, "From");
		canon_header(hc, &data, base + f->name, f->rawlen, base + f->value, f->vlen, 1);
	}
	strip_b(base + sf->value, sf->vlen, b, &stripped);
	canon_header(hc, &data, base + sf->name, sf->rawlen, stripped.data, stripped.len, 0);
	if (!dbuf_failed(&data) && !dbuf_failed(&stripped) &&
	    EVP_Digest(data.data, data.len, s->digest, &mdlen, EVP_sha256(), NULL) == 1)
		rc = 0;
	dbuf_free(&data);
	dbuf_free(&stripped);
	return rc;
}

/* The body hash for (c, l), shared with earlier signatures when possible. */
static int
sig_bodyhash(dkim_vmsg *m, struct vsig *s, dkim_canon c)
{
	size_t i;

	for (i = 0; i < m->nbh; i++)
		if (dkim_bodyhash_is(m->bhs[i], c, s->l)) {
			s->bh = i;
			return 0;
		}
	if (dkim_bodyhash_new(c, s->l, NULL, &m->bhs[m->nbh], NULL) != DKIM_OK)
		return -1;
	s->bh = m->nbh++;
	return 0;
}

/* The c= tag: header and body canonicalizations, simple by default. */
static int
parse_c(const dkim_tag *c, dkim_canon *hc, dkim_canon *bc)
{
	const char *slash;

	*hc = *bc = DKIM_CANON_SIMPLE;
	if (c == NULL)
		return 0;
	slash = memchr(c->value, '/', c->vlen);
	if (dkim_canon_parse(c->value, slash ? (size_t)(slash - c->value) : c->vlen, hc) != 0)
		return -1;
	return slash && dkim_canon_parse(slash + 1, c->vlen - (size_t)(slash + 1 - c->value),
	    bc) != 0 ? -1 : 0;
}

/*
 * d= and s= must make a DNS name, selector._domainkey.domain: otherwise the
 * signature is malformed (there is no key record to blame). Returns
 * nonzero when s was decided.
 */
static int
sig_names(struct vsig *s, const dkim_tag *d, const dkim_tag *sel)
{
	char why[128];

	if (d->vlen >= sizeof(s->r.domain) || strlen(s->r.domain) != d->vlen)
		snprintf(why, sizeof(why), "is not a domain name");
	else if (dkim_name_check(s->r.domain, 253, why, sizeof(why)) == 0)
		why[0] = '\0';
	if (why[0] != '\0') {
		sig_done(s, DKIM_V_SIGSYNTAX, "d= %s", why);
		return -1;
	}
	if (sel->vlen >= sizeof(s->r.selector) || strlen(s->r.selector) != sel->vlen)
		snprintf(why, sizeof(why), "is not a selector");
	else if (dkim_name_check(s->r.selector, 253, why, sizeof(why)) == 0)
		why[0] = '\0';
	if (why[0] != '\0') {
		sig_done(s, DKIM_V_SIGSYNTAX, "s= %s", why);
		return -1;
	}
	if (sel->vlen + sizeof("._domainkey.") - 1 + d->vlen > 253) {
		sig_done(s, DKIM_V_SIGSYNTAX, "%s._domainkey.d= is longer than 253 bytes",
		    s->r.selector);
		return -1;
	}
	return 0;
}

/* Parse and check one signature field; it ends waiting for its key, or decided. */
static int
sig_prepare(dkim_vmsg *m, struct vsig *s)
{
	const struct vhdr *sf = &m->hdrs[s->field];
	const dkim_tag *v, *a, *b, *bh, *c, *d, *h, *i, *l, *sel, *x, *t;
	unsigned long long num, tnum = 0;
	dkim_canon hc, bc;
	dkim_taglist tl;
	dkim_err err;
	size_t n;
	int in;

	s->l = DKIM_BODYHASH_ALL;
	if (dkim_taglist_parse(m->store.data + sf->value, sf->vlen, &tl, &err) != DKIM_OK)
		return sig_done(s, DKIM_V_SIGSYNTAX, "%s", err.msg);
	v = dkim_taglist_get(&tl, "v");
	a = dkim_taglist_get(&tl, "a");
	b = dkim_taglist_get(&tl, "b");
	bh = dkim_taglist_get(&tl, "bh");
	c = dkim_taglist_get(&tl, "c");
	d = dkim_taglist_get(&tl, "d");
	h = dkim_taglist_get(&tl, "h");
	i = dkim_taglist_get(&tl, "i");
	l = dkim_taglist_get(&tl, "l");
	sel = dkim_taglist_get(&tl, "s");
	x = dkim_taglist_get(&tl, "x");
	t = dkim_taglist_get(&tl, "t");
	/* What identifies the signature is copied first: results show it even on failure. */
	if (d != NULL)
		copy_value(s->r.domain, sizeof(s->r.domain), d->value, d->vlen);
	if (sel != NULL)
		copy_value(s->r.selector, sizeof(s->r.selector), sel->value, sel->vlen);
	if (a != NULL)
		copy_value(s->r.algname, sizeof(s->r.algname), a->value, a->vlen);
	if (b != NULL)
		copy_value(s->r.bprefix, sizeof(s->r.bprefix), b->value, b->vlen);
	if (i != NULL)
		copy_value(s->r.identity, sizeof(s->r.identity), i->value, i->vlen);
	else if (d != NULL)
		snprintf(s->r.identity, sizeof(s->r.identity), "@%s", s->r.domain);
	if (!v || !a || !b || !bh || !d || !h || !sel)
		return sig_done(s, DKIM_V_SIGSYNTAX, "missing%s%s%s%s%s%s%s", v ? "" : " v=",
		    a ? "" : " a=", b ? "" : " b=", bh ? "" : " bh=", d ? "" : " d=",
		    h ? "" : " h=", sel ? "" : " s=");
	if (sig_names(s, d, sel) != 0)
		return s->r.status;
	if (!dkim_tag_is(v, "1"))
		return sig_done(s, DKIM_V_VERSION, "v=%.*s is not 1",
		    (int)(v->vlen > 16 ? 16 : v->vlen), v->value);
	if (dkim_tag_is(a, "rsa-sha1"))
		return sig_done(s, DKIM_V_SHA1, "rsa-sha1 is not accepted (RFC 8301)");
	if (dkim_alg_parse(a->value, a->vlen, &s->r.alg) != 0)
		return sig_done(s, DKIM_V_ALG, "unsupported algorithm a=%.*s",
		    (int)(a->vlen > 32 ? 32 : a->vlen), a->value);
	if (parse_c(c, &hc, &bc) != 0)
		return sig_done(s, DKIM_V_SIGSYNTAX, "unknown c= canonicalization");
	if (!dkim_tag_list_has(h->value, h->vlen, "from"))
		return sig_done(s, DKIM_V_NOFROM, "h= does not include From");
	if (i != NULL) {
		if ((in = identity_in(i, d, &s->subdomain)) < 0)
			return sig_done(s, DKIM_V_SIGSYNTAX, "i= has no '@'");
		if (in == 0)
			return sig_done(s, DKIM_V_IDENTITY, "i= is not in d=%.200s", s->r.domain);
	}
	if (t != NULL && tag_number(t, &tnum) != 0)
		return sig_done(s, DKIM_V_SIGSYNTAX, "bad t= value");
	if (x != NULL) {
		if (tag_number(x, &num) != 0 || (t != NULL && num < tnum))
			return sig_done(s, DKIM_V_SIGSYNTAX, "bad x= value");
		if ((unsigned long long)m->o.now > num)
			return sig_done(s, DKIM_V_EXPIRED, "signature expired (x=)");
	}
	if (l != NULL && tag_number(l, &s->l) != 0)
		return sig_done(s, DKIM_V_SIGSYNTAX, "bad l= value");
	if (base64_decode(bh->value, bh->vlen, s->want, sizeof(s->want), &n) != 0 || n != 32)
		return sig_done(s, DKIM_V_SIGSYNTAX, "bh= is not a base64 SHA-256 digest");
	if (base64_decode(b->value, b->vlen, s->sig, sizeof(s->sig), &s->siglen) != 0 ||
	    s->siglen == 0)
		return sig_done(s, DKIM_V_SIGSYNTAX, "b= is not valid base64");
	if (sig_header_hash(m, s, hc, h, b) != 0 || sig_bodyhash(m, s, bc) != 0)
		return sig_done(s, DKIM_V_INTERNAL, "out of memory");
	s->state = SIG_KEYWAIT;
	return 0;
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
	for (i = 0; i < m->nv; i++) {
		m->sigs[i].field = m->sigfield[i];
		sig_prepare(m, &m->sigs[i]);
	}
	dkim_hindex_free(m->hx);	/* the body phase does not need it */
	m->hx = NULL;
	return DKIM_OK;
}

size_t dkim_vmsg_nsigs(const dkim_vmsg *m) { return m->nsigs; }
size_t dkim_vmsg_nverify(const dkim_vmsg *m) { return m->nv; }
size_t dkim_vmsg_nbodyhash(const dkim_vmsg *m) { return m->nbh; }

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
		return sig_done(s, (enum dkim_vstatus)rc, "%s", reason);
	s->r.bits = dkim_key_bits(s->key);
	if (strict && s->subdomain)
		return sig_done(s, DKIM_V_KEYSTRICT, "key has t=s but i= is a subdomain");
	if (dkim_key_alg(s->key) == DKIM_ALG_RSA_SHA256 && s->r.bits < m->o.min_key_bits)
		return sig_done(s, DKIM_V_KEYSIZE, "%d-bit key, under the %d-bit minimum",
		    s->r.bits, m->o.min_key_bits);
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
		sig_done(s, st, "%s", reason);
	else if (st == DKIM_V_NOKEY)
		sig_done(s, st, "no key record %s._domainkey.%.180s", s->r.selector, s->r.domain);
	else
		sig_done(s, st, "key lookup failed for %s._domainkey.%.180s", s->r.selector,
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
	sig_done(s, DKIM_V_KEYUNTRUSTED, "%s; %s", s->distrust, was);
}

/* Feed body bytes to each body hash some undecided signature still needs. */
int
dkim_vmsg_body(dkim_vmsg *m, const void *data, size_t len, dkim_err *err)
{
	unsigned char live[DKIM_VMSG_SIGS_MAX] = { 0 };
	size_t i;

	if (!m->eoh || m->finished)
		return dkim_err_set(err, DKIM_ERR_STATE, "body out of order");
	for (i = 0; i < m->nv; i++)
		if (m->sigs[i].state != SIG_DONE)
			live[m->sigs[i].bh] = 1;
	for (i = 0; i < m->nbh; i++)
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
		/* Body hashes are finished on first use; later users share the result. */
		if (m->bhs[s->bh] != NULL) {
			rc = dkim_bodyhash_final(m->bhs[s->bh], m->bhdone[s->bh],
			    &m->bhtotal[s->bh], &e);
			dkim_bodyhash_free(m->bhs[s->bh]);
			m->bhs[s->bh] = NULL;
			if (rc != DKIM_OK)
				m->bhtotal[s->bh] = DKIM_BODYHASH_ALL;	/* marks the failure */
		}
		if (m->bhtotal[s->bh] == DKIM_BODYHASH_ALL) {
			sig_done(s, DKIM_V_INTERNAL, "body hash failed");
			continue;
		}
		if (s->l != DKIM_BODYHASH_ALL && s->l > m->bhtotal[s->bh]) {
			sig_done(s, DKIM_V_BODYLEN, "l=%llu but the body is %llu bytes", s->l,
			    m->bhtotal[s->bh]);
			continue;
		}
		if (s->l < m->bhtotal[s->bh]) {	/* content follows the signed part */
			s->r.signed_len = s->l;
			s->r.body_len = m->bhtotal[s->bh];
		}
		if (memcmp(m->bhdone[s->bh], s->want, 32) != 0) {
			sig_done(s, DKIM_V_BODYHASH, "body hash mismatch");
			continue;
		}
		rc = dkim_key_verify(s->key, s->digest, s->sig, s->siglen, &e);
		if (rc < 0)
			sig_done(s, DKIM_V_INTERNAL, "%s", e.msg);
		else if (rc == 0)
			sig_done(s, DKIM_V_BADSIG, "signature does not verify");
		else if (s->from_signed < m->nfrom)
			/*
			 * RFC 6376 §8.15: a From added to a signed message leaves the
			 * signature valid unless the signer over-signed From; readers
			 * may show the added one. The signer vouched only for the others.
			 */
			sig_done(s, DKIM_V_FROMEXTRA, "verifies, but signs only %zu of %zu From "
			    "fields", s->from_signed, m->nfrom);
		else if (minbody_refuses(&m->o, s->l, m->bhtotal[s->bh]))
			sig_done(s, DKIM_V_PARTIAL, "verifies, but leaves more of the body unsigned "
			    "than Minimum %s allows", minbody_name(&m->o, mb, sizeof(mb)));
		else
			sig_done(s, DKIM_V_PASS, "pass");
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
	for (i = 0; i < m->nbh; i++)
		dkim_bodyhash_free(m->bhs[i]);
	free(m->sigs);
	dkim_hindex_free(m->hx);
	free(m->hdrs);
	dbuf_free(&m->store);
	free(m);
}
