/*
 * vsig.c - one DKIM-Signature field at the end of the header: its tags
 * parsed and checked in the order of RFC 6376 §6.1.1 (what can be decided
 * without a key is decided here), its header hash made through the index
 * of the fields by name within the message's hashing limit, its body hash
 * a cut in the one pass of its body canonicalization.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "base64.h"
#include "canon.h"
#include "header.h"
#include "name.h"
#include "taglist.h"
#include "vmsg_impl.h"

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
 * Hash field j in canonicalization hc: the simple form is the field as
 * kept; the relaxed one is made in scratch, reused from field to field.
 */
static int
hash_field(const dkim_vmsg *m, size_t j, dkim_canon hc, dbuf *scratch, EVP_MD_CTX *md)
{
	const struct dkim_hfield *f = &m->hdrs[j];
	const char *base = m->store.data;

	if (hc == DKIM_CANON_SIMPLE)
		return EVP_DigestUpdate(md, base + f->name, f->rawlen) == 1 &&
		    EVP_DigestUpdate(md, ":", 1) == 1 &&
		    EVP_DigestUpdate(md, base + f->value, f->vlen) == 1 &&
		    EVP_DigestUpdate(md, "\r\n", 2) == 1 ? 0 : -1;
	dbuf_reset(scratch);
	canon_header(hc, scratch, base + f->name, f->rawlen, base + f->value, f->vlen, 1);
	return !dbuf_failed(scratch) && EVP_DigestUpdate(md, scratch->data, scratch->len) == 1 ?
	    0 : -1;
}

/*
 * The header hash of signature s: each h= name takes the bottom-most
 * instance not yet used (RFC 6376 §5.4.2), then the signature field itself
 * with b= empty and no final CRLF. Each name is one lookup in the index:
 * the cost is that of h= and of the fields it takes, never their product;
 * and all signatures together hash at most m->hash_max bytes of fields.
 * Returns 0, -1 when out of memory, -2 past the message's hashing limit.
 */
static int
sig_header_hash(dkim_vmsg *m, struct vsig *s, dkim_canon hc, const dkim_tag *h,
    const dkim_tag *b)
{
	const struct dkim_hfield *sf = &m->hdrs[s->field], *f;
	const char *base = m->store.data;
	dkim_hindex *hx;
	EVP_MD_CTX *md;
	size_t k, j, hs, he;
	dbuf data, stripped;
	int rc = -1;

	if ((hx = vmsg_hindex(m)) == NULL || (md = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return -1;
	}
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
		if ((m->hashed += f->rawlen + f->vlen + 3) > m->hash_max) {
			rc = -2;
			goto out;
		}
		s->from_signed += dkim_header_name_is(base + f->name, f->nlen, "From");
		if (hash_field(m, j, hc, &data, md) != 0)
			goto out;
	}
	strip_b(base + sf->value, sf->vlen, b, &stripped);
	dbuf_reset(&data);
	canon_header(hc, &data, base + sf->name, sf->rawlen, stripped.data, stripped.len, 0);
	if (!dbuf_failed(&data) && !dbuf_failed(&stripped) &&
	    EVP_DigestUpdate(md, data.data, data.len) == 1 &&
	    EVP_DigestFinal_ex(md, s->digest, NULL) == 1)
		rc = 0;
out:
	EVP_MD_CTX_free(md);
	dbuf_free(&data);
	dbuf_free(&stripped);
	return rc;
}

/* Signature s's body hash: a cut at its l= in the pass for its canonicalization. */
static int
sig_bodyhash(dkim_vmsg *m, struct vsig *s, dkim_canon c)
{
	s->bc = (int)c;
	if (m->bhs[c] == NULL) {
		s->cut = 0;
		return dkim_bodyhash_new(c, s->l, NULL, &m->bhs[c], NULL) == DKIM_OK ? 0 : -1;
	}
	return (s->cut = dkim_bodyhash_cut(m->bhs[c], s->l)) < 0 ? -1 : 0;
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
 * One name of the signature (d= or s=, copied into v of size bytes): a
 * tag whose value does not fit, holds a NUL or is not a DNS name decides
 * the signature. Returns nonzero when it did.
 */
static int
sig_name(struct vsig *s, const char *v, size_t size, const dkim_tag *t, const char *tag,
    const char *what)
{
	char why[128];

	if (t->vlen >= size || strlen(v) != t->vlen)
		snprintf(why, sizeof(why), "is not %s", what);
	else if (dkim_name_check(v, 253, why, sizeof(why)) == 0)
		return 0;
	vsig_done(s, DKIM_V_SIGSYNTAX, "%s %s", tag, why);
	return -1;
}

/*
 * d= and s= must make a DNS name, selector._domainkey.domain: otherwise the
 * signature is malformed (there is no key record to blame). Returns
 * nonzero when s was decided.
 */
static int
sig_names(struct vsig *s, const dkim_tag *d, const dkim_tag *sel)
{
	if (sig_name(s, s->r.domain, sizeof(s->r.domain), d, "d=", "a domain name") ||
	    sig_name(s, s->r.selector, sizeof(s->r.selector), sel, "s=", "a selector"))
		return -1;
	if (sel->vlen + sizeof("._domainkey.") - 1 + d->vlen > 253) {
		vsig_done(s, DKIM_V_SIGSYNTAX, "%s._domainkey.d= is longer than 253 bytes",
		    s->r.selector);
		return -1;
	}
	return 0;
}

/* Parse and check one signature field; it ends waiting for its key, or decided. */
int
vsig_prepare(dkim_vmsg *m, struct vsig *s)
{
	const struct dkim_hfield *sf = &m->hdrs[s->field];
	const dkim_tag *v, *a, *b, *bh, *c, *d, *h, *i, *l, *q, *sel, *x, *t;
	unsigned long long num, tnum = 0;
	dkim_canon hc, bc;
	dkim_taglist tl;
	dkim_err err;
	size_t n;
	int in, rc;

	s->l = DKIM_BODYHASH_ALL;
	if (dkim_taglist_parse(m->store.data + sf->value, sf->vlen, &tl, &err) != DKIM_OK)
		return vsig_done(s, DKIM_V_SIGSYNTAX, "%s", err.msg);
	v = dkim_taglist_get(&tl, "v");
	a = dkim_taglist_get(&tl, "a");
	b = dkim_taglist_get(&tl, "b");
	bh = dkim_taglist_get(&tl, "bh");
	c = dkim_taglist_get(&tl, "c");
	d = dkim_taglist_get(&tl, "d");
	h = dkim_taglist_get(&tl, "h");
	i = dkim_taglist_get(&tl, "i");
	l = dkim_taglist_get(&tl, "l");
	q = dkim_taglist_get(&tl, "q");
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
		return vsig_done(s, DKIM_V_SIGSYNTAX, "missing%s%s%s%s%s%s%s", v ? "" : " v=",
		    a ? "" : " a=", b ? "" : " b=", bh ? "" : " bh=", d ? "" : " d=",
		    h ? "" : " h=", sel ? "" : " s=");
	if (sig_names(s, d, sel) != 0)
		return s->r.status;
	if (!dkim_tag_is(v, "1"))
		return vsig_done(s, DKIM_V_VERSION, "v=%.*s is not 1",
		    (int)(v->vlen > 16 ? 16 : v->vlen), v->value);
	if (dkim_tag_is(a, "rsa-sha1"))
		return vsig_done(s, DKIM_V_SHA1, "rsa-sha1 is not accepted (RFC 8301)");
	if (dkim_alg_parse(a->value, a->vlen, &s->r.alg) != 0)
		return vsig_done(s, DKIM_V_ALG, "unsupported algorithm a=%.*s",
		    (int)(a->vlen > 32 ? 32 : a->vlen), a->value);
	if (parse_c(c, &hc, &bc) != 0)
		return vsig_done(s, DKIM_V_SIGSYNTAX, "unknown c= canonicalization");
	/*
	 * RFC 6376 3.5: unrecognized query methods are ignored, and dns/txt is
	 * the default only when q= is absent: a q= without dns/txt leaves no
	 * way to fetch the key.
	 */
	if (q != NULL && !dkim_tag_list_has(q->value, q->vlen, "dns/txt"))
		return vsig_done(s, DKIM_V_SIGSYNTAX, "q= names no known query method (dns/txt)");
	if (!dkim_tag_list_has(h->value, h->vlen, "from"))
		return vsig_done(s, DKIM_V_NOFROM, "h= does not include From");
	if (i != NULL) {
		if ((in = identity_in(i, d, &s->subdomain)) < 0)
			return vsig_done(s, DKIM_V_SIGSYNTAX, "i= has no '@'");
		if (in == 0)
			return vsig_done(s, DKIM_V_IDENTITY, "i= is not in d=%.200s", s->r.domain);
	}
	if (t != NULL && tag_number(t, &tnum) != 0)
		return vsig_done(s, DKIM_V_SIGSYNTAX, "bad t= value");
	if (x != NULL) {
		if (tag_number(x, &num) != 0 || (t != NULL && num < tnum))
			return vsig_done(s, DKIM_V_SIGSYNTAX, "bad x= value");
		/* Clocks differ: x= is passed only drift seconds after it (ClockDrift). */
		if ((unsigned long long)m->o.now > num &&
		    (unsigned long long)m->o.now - num > m->o.drift)
			return vsig_done(s, DKIM_V_EXPIRED, "signature expired (x=)");
	}
	if (l != NULL && tag_number(l, &s->l) != 0)
		return vsig_done(s, DKIM_V_SIGSYNTAX, "bad l= value");
	if (base64_decode(bh->value, bh->vlen, s->want, sizeof(s->want), &n) != 0 || n != 32)
		return vsig_done(s, DKIM_V_SIGSYNTAX, "bh= is not a base64 SHA-256 digest");
	if (base64_decode(b->value, b->vlen, s->sig, sizeof(s->sig), &s->siglen) != 0 ||
	    s->siglen == 0)
		return vsig_done(s, DKIM_V_SIGSYNTAX, "b= is not valid base64");
	if ((rc = sig_header_hash(m, s, hc, h, b)) == -2)
		return vsig_done(s, DKIM_V_HASHLIMIT, "h= takes the signatures past %zu bytes "
		    "of header hashed (the header once and 64 KiB)", m->hash_max);
	if (rc != 0 || sig_bodyhash(m, s, bc) != 0)
		return vsig_done(s, DKIM_V_INTERNAL, "out of memory");
	s->state = SIG_KEYWAIT;
	return 0;
}
