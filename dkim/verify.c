/*
 * verify.c - DKIM verification of a whole message held in memory.
 *
 * Used by the test suite, by dkimgen and by anyone checking postdkim's
 * output; it shares header parsing and canonicalization with the signer,
 * and must agree with independent verifiers on what it accepts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "base64.h"
#include "canon.h"
#include "header.h"
#include "taglist.h"
#include "verify.h"

#define TXT_MAX 8192

static const char *const vstatus_names[] = {
	"pass", "body hash mismatch", "bad signature", "signature syntax error",
	"unsupported version", "unsupported algorithm", "From not signed",
	"identity outside signing domain", "signature expired", "no key",
	"key lookup failed", "key record syntax error", "key revoked",
	"key type does not fit algorithm", "key does not allow sha256",
	"key not for email", "strict key and subdomain identity", "internal error",
};

const char *
dkim_vstatus_name(enum dkim_vstatus s)
{
	return (size_t)s < sizeof(vstatus_names) / sizeof(vstatus_names[0]) ?
	    vstatus_names[s] : "unknown";
}

/* A raw field of the message being verified. */
struct vfield {
	const char *raw;
	size_t len, nlen;
	const char *value;
	size_t vlen;
};

struct vmsg {
	struct vfield *f;
	size_t n, cap;
	dkim_err err;
};

/* Collect every header field. */
static int
vmsg_add(void *arg, const char *field, size_t len)
{
	struct vmsg *vm = arg;
	struct vfield *f;

	if (vm->n == vm->cap) {
		size_t cap = vm->cap ? vm->cap * 2 : 32;

		if ((f = realloc(vm->f, cap * sizeof(*f))) == NULL)
			return dkim_err_set(&vm->err, DKIM_ERR_NOMEM, "out of memory");
		vm->f = f;
		vm->cap = cap;
	}
	f = &vm->f[vm->n];
	f->raw = field;
	f->len = len;
	if (dkim_header_split(field, len, &f->nlen, &f->value, &f->vlen, &vm->err) != DKIM_OK)
		return vm->err.code;
	vm->n++;
	return 0;
}

/* Set a result's status and formatted reason; returns the status. */
static int vfail(dkim_vresult *r, enum dkim_vstatus st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
vfail(dkim_vresult *r, enum dkim_vstatus st, const char *fmt, ...)
{
	va_list ap;

	r->status = st;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	return st;
}

/* Nonzero when a colon-separated list holds the word (FWS-tolerant). */
static int
list_has(const char *v, size_t n, const char *word)
{
	size_t i = 0, s, e, wl = strlen(word);

	while (i <= n) {
		s = i;
		while (i < n && v[i] != ':')
			i++;
		e = i;
		while (s < e && (v[s] == ' ' || v[s] == '\t' || v[s] == '\r' || v[s] == '\n'))
			s++;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t' || v[e - 1] == '\r' ||
		    v[e - 1] == '\n'))
			e--;
		if (e - s == wl && strncasecmp(v + s, word, wl) == 0)
			return 1;
		i++;
	}
	return 0;
}

/* Parse a key record; strict receives t=s. */
static int
keyrecord(const char *txt, size_t len, dkim_alg want, dkim_key **key, int *testing,
    int *strict, char *reason, size_t rsize)
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
	if ((h = dkim_taglist_get(&tl, "h")) != NULL && !list_has(h->value, h->vlen, "sha256")) {
		snprintf(reason, rsize, "key allows h=%.*s, not sha256", (int)h->vlen, h->value);
		return DKIM_V_KEYHASH;
	}
	if ((s = dkim_taglist_get(&tl, "s")) != NULL && !list_has(s->value, s->vlen, "*") &&
	    !list_has(s->value, s->vlen, "email")) {
		snprintf(reason, rsize, "key is for s=%.*s, not email", (int)s->vlen, s->value);
		return DKIM_V_KEYSERVICE;
	}
	t = dkim_taglist_get(&tl, "t");
	if (testing != NULL)
		*testing = t != NULL && list_has(t->value, t->vlen, "y");
	if (strict != NULL)
		*strict = t != NULL && list_has(t->value, t->vlen, "s");
	if ((p = dkim_taglist_get(&tl, "p")) == NULL) {
		snprintf(reason, rsize, "key record has no p=");
		return DKIM_V_KEYSYNTAX;
	}
	if (p->vlen == 0) {
		snprintf(reason, rsize, "key revoked (empty p=)");
		return DKIM_V_REVOKED;
	}
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
	return keyrecord(txt, len, want, key, testing, NULL, reason, reasonsize);
}

/* Sink for the body hash, honouring an l= limit. */
struct bsink {
	EVP_MD_CTX *md;
	unsigned long long left;	/* bytes still hashed under l= */
	int limited;
};

static void
bsink_update(void *arg, const void *data, size_t len)
{
	struct bsink *b = arg;

	if (b->limited) {
		if (b->left < len)
			len = (size_t)b->left;
		b->left -= len;
	}
	EVP_DigestUpdate(b->md, data, len);
}

/* Parse a decimal tag value. */
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

/* The signature field's value with the b= value (and its FWS) removed. */
static int
strip_b(const struct vfield *sf, const dkim_tag *b, dbuf *out)
{
	const char *v = sf->value, *start = b->value, *end = b->value + b->vlen;
	const char *vend = v + sf->vlen;

	/* Back to just after "=", then forward over FWS to ';' or the end. */
	while (start > v && start[-1] != '=')
		start--;
	while (end < vend && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	dbuf_add(out, v, (size_t)(start - v));
	dbuf_add(out, end, (size_t)(vend - end));
	return dbuf_failed(out) ? -1 : 0;
}

/* Verify the DKIM-Signature at field index si. */
static int
verify_one(const struct vmsg *vm, size_t si, const char *body, size_t blen,
    dkim_key_lookup lookup, void *arg, time_t now, dkim_vresult *r)
{
	const struct vfield *sf = &vm->f[si];
	const dkim_tag *v, *a, *b, *bh, *c, *d, *h, *i, *l, *s, *x, *t;
	unsigned char bhash[32], want[64], sig[1024], digest[32];
	char txt[TXT_MAX], dom[256], sel[64], reason[200];
	dkim_canon hc = DKIM_CANON_SIMPLE, bc = DKIM_CANON_SIMPLE;
	size_t wantlen, siglen, k, j, hs, he;
	unsigned long long num, tnum = 0;
	unsigned char *used = NULL;
	int rc, testing = 0, strict = 0;
	dkim_key *key = NULL;
	EVP_MD_CTX *md = NULL;
	struct bsink bs;
	canon_body *cb = NULL;
	dkim_taglist tl;
	unsigned int mdlen;
	dbuf data, stripped;
	const char *slash;
	dkim_err err;

	if (dkim_taglist_parse(sf->value, sf->vlen, &tl, &err) != DKIM_OK)
		return vfail(r, DKIM_V_SIGSYNTAX, "%s", err.msg);
	v = dkim_taglist_get(&tl, "v");
	a = dkim_taglist_get(&tl, "a");
	b = dkim_taglist_get(&tl, "b");
	bh = dkim_taglist_get(&tl, "bh");
	c = dkim_taglist_get(&tl, "c");
	d = dkim_taglist_get(&tl, "d");
	h = dkim_taglist_get(&tl, "h");
	i = dkim_taglist_get(&tl, "i");
	l = dkim_taglist_get(&tl, "l");
	s = dkim_taglist_get(&tl, "s");
	x = dkim_taglist_get(&tl, "x");
	t = dkim_taglist_get(&tl, "t");
	if (!v || !a || !b || !bh || !d || !h || !s)
		return vfail(r, DKIM_V_SIGSYNTAX, "missing one of v= a= b= bh= d= h= s=");
	if (d->vlen == 0 || d->vlen >= sizeof(dom) || s->vlen == 0 || s->vlen >= sizeof(sel))
		return vfail(r, DKIM_V_SIGSYNTAX, "bad d= or s=");
	memcpy(dom, d->value, d->vlen);
	dom[d->vlen] = '\0';
	memcpy(sel, s->value, s->vlen);
	sel[s->vlen] = '\0';
	snprintf(r->domain, sizeof(r->domain), "%s", dom);
	snprintf(r->selector, sizeof(r->selector), "%s", sel);
	if (!dkim_tag_is(v, "1"))
		return vfail(r, DKIM_V_VERSION, "v=%.*s is not 1", (int)(v->vlen > 16 ? 16 : v->vlen), v->value);
	if (dkim_alg_parse(a->value, a->vlen, &r->alg) != 0)
		return vfail(r, DKIM_V_ALG, "unsupported algorithm a=%.*s", (int)(a->vlen > 32 ? 32 : a->vlen), a->value);
	if (c != NULL) {
		slash = memchr(c->value, '/', c->vlen);
		if (dkim_canon_parse(c->value, slash ? (size_t)(slash - c->value) : c->vlen, &hc) != 0 ||
		    (slash && dkim_canon_parse(slash + 1, c->vlen - (size_t)(slash + 1 - c->value), &bc) != 0))
			return vfail(r, DKIM_V_SIGSYNTAX, "unknown c= canonicalization");
	}
	if (!list_has(h->value, h->vlen, "from"))
		return vfail(r, DKIM_V_NOFROM, "h= does not include From");
	if (i != NULL) {
		const char *at = NULL;
		size_t il;

		/* The last '@': a quoted local part may hold one, a domain never does. */
		for (il = i->vlen; il > 0 && at == NULL; il--)
			if (i->value[il - 1] == '@')
				at = i->value + il - 1;
		if (at == NULL)
			return vfail(r, DKIM_V_SIGSYNTAX, "i= has no '@'");
		at++;
		il = i->vlen - (size_t)(at - i->value);
		if (!(il == d->vlen && strncasecmp(at, dom, il) == 0) &&
		    !(il > d->vlen && at[il - d->vlen - 1] == '.' &&
		    strncasecmp(at + il - d->vlen, dom, d->vlen) == 0))
			return vfail(r, DKIM_V_IDENTITY, "i= is not in d=%.200s", dom);
		strict = il != d->vlen;	/* remembered for t=s below */
	}
	if (t != NULL && tag_number(t, &tnum) != 0)
		return vfail(r, DKIM_V_SIGSYNTAX, "bad t= value");
	if (x != NULL) {
		if (tag_number(x, &num) != 0 || (t != NULL && num < tnum))
			return vfail(r, DKIM_V_SIGSYNTAX, "bad x= value");
		if ((unsigned long long)now > num)
			return vfail(r, DKIM_V_EXPIRED, "signature expired (x=)");
	}

	/* The key. */
	rc = lookup(arg, dom, sel, txt, sizeof(txt));
	if (rc > 0)
		return vfail(r, DKIM_V_NOKEY, "no key record %s._domainkey.%.180s", sel, dom);
	if (rc < 0)
		return vfail(r, DKIM_V_KEYFAIL, "key lookup failed for %s._domainkey.%.180s", sel, dom);
	txt[sizeof(txt) - 1] = '\0';
	{
		int kstrict = 0;

		rc = keyrecord(txt, strlen(txt), r->alg, &key, &testing, &kstrict, reason,
		    sizeof(reason));
		r->testing = testing;
		if (rc != DKIM_V_PASS)
			return vfail(r, rc, "%s", reason);
		if (kstrict && strict) {
			dkim_key_free(key);
			return vfail(r, DKIM_V_KEYSTRICT, "key has t=s but i= is a subdomain");
		}
	}

	dbuf_init(&data);
	dbuf_init(&stripped);
	/* Body hash. */
	if (base64_decode(bh->value, bh->vlen, want, sizeof(want), &wantlen) != 0 || wantlen != 32) {
		rc = vfail(r, DKIM_V_SIGSYNTAX, "bh= is not a base64 SHA-256 digest");
		goto out;
	}
	if ((md = EVP_MD_CTX_new()) == NULL || (cb = malloc(sizeof(*cb))) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = vfail(r, DKIM_V_INTERNAL, "out of memory");
		goto out;
	}
	bs.md = md;
	bs.limited = l != NULL;
	bs.left = 0;
	if (l != NULL && tag_number(l, &bs.left) != 0) {
		rc = vfail(r, DKIM_V_SIGSYNTAX, "bad l= value");
		goto out;
	}
	canon_body_init(cb, bc, bsink_update, &bs);
	canon_body_update(cb, body, blen);
	canon_body_final(cb);
	EVP_DigestFinal_ex(md, bhash, &mdlen);
	if (memcmp(bhash, want, 32) != 0) {
		rc = vfail(r, DKIM_V_BODYHASH, "body hash mismatch");
		goto out;
	}

	/* Header hash: each h= name takes the next unused instance from the bottom. */
	if ((used = calloc(vm->n + 1, 1)) == NULL) {
		rc = vfail(r, DKIM_V_INTERNAL, "out of memory");
		goto out;
	}
	for (k = 0; k <= h->vlen;) {
		hs = k;
		while (k < h->vlen && h->value[k] != ':')
			k++;
		he = k++;
		while (hs < he && strchr(" \t\r\n", h->value[hs]))
			hs++;
		while (he > hs && strchr(" \t\r\n", h->value[he - 1]))
			he--;
		for (j = vm->n; j-- > 0;) {
			const struct vfield *f = &vm->f[j];

			if (used[j] || f->nlen != he - hs ||
			    strncasecmp(f->raw, h->value + hs, he - hs) != 0)
				continue;
			used[j] = 1;
			/* The name as received, WSP before the colon included (simple keeps it). */
			canon_header(hc, &data, f->raw, (size_t)(f->value - 1 - f->raw), f->value,
			    f->vlen, 1);
			break;
		}
	}
	if (strip_b(sf, b, &stripped) != 0) {
		rc = vfail(r, DKIM_V_INTERNAL, "out of memory");
		goto out;
	}
	canon_header(hc, &data, sf->raw, (size_t)(sf->value - 1 - sf->raw), stripped.data,
	    stripped.len, 0);
	if (dbuf_failed(&data) || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, data.data, data.len) != 1 ||
	    EVP_DigestFinal_ex(md, digest, &mdlen) != 1) {
		rc = vfail(r, DKIM_V_INTERNAL, "header hash failed");
		goto out;
	}
	if (base64_decode(b->value, b->vlen, sig, sizeof(sig), &siglen) != 0 || siglen == 0) {
		rc = vfail(r, DKIM_V_SIGSYNTAX, "b= is not valid base64");
		goto out;
	}
	rc = dkim_key_verify(key, digest, sig, siglen, &err);
	if (rc < 0)
		rc = vfail(r, DKIM_V_INTERNAL, "%s", err.msg);
	else if (rc == 0)
		rc = vfail(r, DKIM_V_BADSIG, "signature does not verify");
	else
		rc = vfail(r, DKIM_V_PASS, "pass");
out:
	free(used);
	free(cb);
	EVP_MD_CTX_free(md);
	dkim_key_free(key);
	dbuf_free(&data);
	dbuf_free(&stripped);
	return rc;
}

/* Verify the message's DKIM-Signature fields, top first. */
int
dkim_verify_message(const char *msg, size_t len, dkim_key_lookup lookup, void *arg,
    time_t now, dkim_vresult *res, size_t maxres)
{
	struct vmsg vm;
	size_t body, j;
	int found = 0;

	memset(&vm, 0, sizeof(vm));
	if (dkim_message_walk(msg, len, vmsg_add, &vm, &body, &vm.err) != DKIM_OK) {
		free(vm.f);
		return -1;
	}
	for (j = 0; j < vm.n; j++) {
		if (!dkim_header_name_is(vm.f[j].raw, vm.f[j].nlen, "DKIM-Signature"))
			continue;
		if ((size_t)found < maxres) {
			memset(&res[found], 0, sizeof(res[found]));
			verify_one(&vm, j, msg + body, len - body, lookup, arg, now, &res[found]);
		}
		found++;
	}
	free(vm.f);
	return found;
}
