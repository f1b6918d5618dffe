/*
 * sign.c - DKIM signing: the shared signer and the per-message context.
 *
 * Headers a signer may need are kept (bounded); the body streams into one
 * SHA-256 per body canonicalization in use. At finish each signer picks
 * its h= fields (bottom-most instance first, RFC 6376 §5.4.2; one extra
 * listing of over-signed names), hashes them and its own DKIM-Signature
 * with an empty b=, and signs the digest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "base64.h"
#include "bodyhash.h"
#include "fold.h"
#include "header.h"
#include "name.h"
#include "sign.h"

const char *const dkim_default_sign_headers[] = {
	"from", "reply-to", "subject", "date", "to", "cc", "message-id",
	"in-reply-to", "references", "mime-version", "content-type",
	"content-transfer-encoding", "content-id", "content-description",
	"resent-date", "resent-from", "resent-sender", "resent-to", "resent-cc",
	"resent-message-id", "sender", "list-id", "list-help", "list-unsubscribe",
	"list-unsubscribe-post", "list-subscribe", "list-post", "list-owner",
	"list-archive", NULL
};

/*
 * Only From by default: over-signing a field Postfix may add after the
 * milter (Date, Message-ID, To on the smtpd path) would break the signature.
 */
const char *const dkim_default_oversign_headers[] = { "from", NULL };

struct dkim_signer {
	char *domain;
	char *selector;
	char *identity;
	dkim_canon hcanon;
	dkim_canon bcanon;
	char **names;		/* h= candidates, lower case, unique */
	unsigned char *over;	/* names[i] is over-signed */
	size_t nnames;
	unsigned long ttl;
	dkim_key *key;
	EVP_MD *sha256;		/* fetched once, not per message */
};

struct dkim_msg {
	const dkim_signer *signers[DKIM_MSG_SIGNERS_MAX];
	size_t nsigners;
	time_t when;
	dbuf store;
	struct dkim_hfield *hdrs;
	size_t nhdrs, caphdrs;
	size_t seen;		/* every field offered, kept or not */
	dkim_bodyhash *bh[2];	/* per body canonicalization, NULL if unused */
	int finished;
	char *sigs[DKIM_MSG_SIGNERS_MAX];
	unsigned long long sign_ns[DKIM_MSG_SIGNERS_MAX];	/* time each signature took */
};

static int
in_list(const char *const *list, const char *name, size_t n)
{
	for (; list != NULL && *list != NULL; list++)
		if (dkim_header_name_is(name, n, *list))
			return 1;
	return 0;
}

/* i= must be printable without ';' or space and sit in d= or below. */
static int
identity_ok(const char *id, const char *domain)
{
	const char *at = strrchr(id, '@'), *p;
	size_t dl = strlen(domain), il;

	if (at == NULL)
		return 0;
	for (p = id; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == ';')
			return 0;
	at++;
	il = strlen(at);
	if (strcasecmp(at, domain) == 0)
		return 1;
	return il > dl && at[il - dl - 1] == '.' && strcasecmp(at + il - dl, domain) == 0;
}

/* Add a lower-cased name unless present; returns its index or -1. */
static int
signer_add_name(dkim_signer *s, const char *name)
{
	size_t i, n = strlen(name);
	char *copy;

	for (i = 0; i < s->nnames; i++)
		if (dkim_header_name_is(name, n, s->names[i]))
			return (int)i;
	if ((copy = strdup(name)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (copy[i] >= 'A' && copy[i] <= 'Z')
			copy[i] += 32;
	s->names[s->nnames] = copy;
	s->over[s->nnames] = 0;
	return (int)s->nnames++;
}

/* Build a signer from its settings and key. */
int
dkim_signer_new(const dkim_signer_opts *o, dkim_key *key, dkim_signer **out, dkim_err *err)
{
	const char *const *sign = o->sign_headers ? o->sign_headers : dkim_default_sign_headers;
	const char *const *over = o->oversign_headers ? o->oversign_headers :
	    dkim_default_oversign_headers;
	const char *const *p;
	dkim_signer *s;
	size_t max = 1;
	int i;

	if (o->domain == NULL || !dkim_name_ok(o->domain))
		return dkim_err_set(err, DKIM_ERR_SYNTAX, "bad signing domain '%s'",
		    o->domain ? o->domain : "");
	if (o->selector == NULL || !dkim_name_ok(o->selector))
		return dkim_err_set(err, DKIM_ERR_SYNTAX, "bad selector '%s'",
		    o->selector ? o->selector : "");
	if (o->identity != NULL && !identity_ok(o->identity, o->domain))
		return dkim_err_set(err, DKIM_ERR_SYNTAX,
		    "identity '%s' is not an address in %s or a subdomain", o->identity,
		    o->domain);
	if (!dkim_key_is_private(key))
		return dkim_err_set(err, DKIM_ERR_KEY, "signing needs a private key");
	if (in_list(o->omit_headers, "from", 4))
		return dkim_err_set(err, DKIM_ERR_SYNTAX, "From must be signed (RFC 6376 §5.4)");
	for (p = sign; *p; p++)
		max++;
	for (p = over; *p; p++)
		max++;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->names = calloc(max, sizeof(*s->names))) == NULL ||
	    (s->over = calloc(max, 1)) == NULL)
		goto nomem;
	if ((s->domain = strdup(o->domain)) == NULL ||
	    (s->selector = strdup(o->selector)) == NULL ||
	    (o->identity && (s->identity = strdup(o->identity)) == NULL))
		goto nomem;
	if (signer_add_name(s, "from") < 0)	/* From is always signed */
		goto nomem;
	for (p = sign; *p; p++) {
		if (!dkim_header_name_ok(*p, strlen(*p))) {
			dkim_err_set(err, DKIM_ERR_SYNTAX, "bad header name '%s'", *p);
			dkim_signer_free(s);
			return DKIM_ERR_SYNTAX;
		}
		if (!in_list(o->omit_headers, *p, strlen(*p)) && signer_add_name(s, *p) < 0)
			goto nomem;
	}
	for (p = over; *p; p++) {
		if (in_list(o->omit_headers, *p, strlen(*p)))
			continue;
		if (!dkim_header_name_ok(*p, strlen(*p))) {
			dkim_err_set(err, DKIM_ERR_SYNTAX, "bad header name '%s'", *p);
			dkim_signer_free(s);
			return DKIM_ERR_SYNTAX;
		}
		if ((i = signer_add_name(s, *p)) < 0)
			goto nomem;
		s->over[i] = 1;
	}
	if ((s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		dkim_err_ssl(err, DKIM_ERR_CRYPTO, "EVP_MD_fetch(SHA256)");
		dkim_signer_free(s);
		return DKIM_ERR_CRYPTO;
	}
	s->hcanon = o->hcanon;
	s->bcanon = o->bcanon;
	s->ttl = o->ttl;
	s->key = dkim_key_ref(key);
	*out = s;
	return DKIM_OK;
nomem:
	dkim_signer_free(s);
	return dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
}

/* Free a signer and drop its key reference. */
void
dkim_signer_free(dkim_signer *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nnames; i++)
		free(s->names[i]);
	free(s->names);
	free(s->over);
	free(s->domain);
	free(s->selector);
	free(s->identity);
	EVP_MD_free(s->sha256);
	dkim_key_free(s->key);
	free(s);
}

const char *dkim_signer_domain(const dkim_signer *s) { return s->domain; }
const char *dkim_signer_selector(const dkim_signer *s) { return s->selector; }
dkim_alg dkim_signer_alg(const dkim_signer *s) { return dkim_key_alg(s->key); }

/* Nonzero when two signers make the same d=, s= and a= with the same key. */
int
dkim_signer_same_key(const dkim_signer *a, const dkim_signer *b)
{
	return strcmp(a->domain, b->domain) == 0 && strcmp(a->selector, b->selector) == 0 &&
	    (a->key == b->key || (dkim_key_alg(a->key) == dkim_key_alg(b->key) &&
	    dkim_key_same_public(a->key, b->key)));
}

/* Nonzero when the signer lists the field name in h= candidates. */
int
dkim_signer_wants(const dkim_signer *s, const char *name, size_t nlen)
{
	size_t i;

	for (i = 0; i < s->nnames; i++)
		if (dkim_header_name_is(name, nlen, s->names[i]))
			return 1;
	return 0;
}

/* Start a message for n signers. */
int
dkim_msg_new(const dkim_signer *const *signers, size_t n, time_t when,
    dkim_msg **out, dkim_err *err)
{
	dkim_msg *m;
	size_t i;
	int c, rc;

	if (n == 0 || n > DKIM_MSG_SIGNERS_MAX)
		return dkim_err_set(err, DKIM_ERR_STATE, "between 1 and %d signers needed",
		    DKIM_MSG_SIGNERS_MAX);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
	dbuf_init(&m->store);
	m->nsigners = n;
	m->when = when;
	for (i = 0; i < n; i++) {
		m->signers[i] = signers[i];
		c = signers[i]->bcanon;
		if (m->bh[c] != NULL)
			continue;	/* one body hash per canonicalization */
		if ((rc = dkim_bodyhash_new((dkim_canon)c, DKIM_BODYHASH_ALL, signers[i]->sha256,
		    &m->bh[c], err)) != DKIM_OK) {
			dkim_msg_free(m);
			return rc;
		}
	}
	*out = m;
	return DKIM_OK;
}

/* Keep one header field if a signer may need it. */
int
dkim_msg_header(dkim_msg *m, const char *name, size_t nlen, const char *value,
    size_t vlen, dkim_err *err)
{
	struct dkim_hfield *h;
	size_t i, wanted = 0, grow, rawlen = nlen;

	if (m->finished)
		return dkim_err_set(err, DKIM_ERR_STATE, "header after finish");
	/* Obsolete WSP before the colon: simple canonicalization keeps it, the name has none. */
	while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
		nlen--;
	if (!dkim_header_name_ok(name, nlen))
		return dkim_err_set(err, DKIM_ERR_SYNTAX, "malformed header field name");
	if (nlen + vlen > DKIM_HEADER_FIELD_MAX)
		return dkim_err_set(err, DKIM_ERR_TOOBIG,
		    "header field %.*s exceeds %d bytes", (int)(nlen > 64 ? 64 : nlen), name,
		    DKIM_HEADER_FIELD_MAX);
	if (++m->seen > DKIM_HEADER_COUNT_MAX)
		return dkim_err_set(err, DKIM_ERR_TOOBIG, "more than %d header fields",
		    DKIM_HEADER_COUNT_MAX);
	for (i = 0; i < m->nsigners && !wanted; i++)
		wanted = dkim_signer_wants(m->signers[i], name, nlen);
	if (!wanted)
		return DKIM_OK;
	if (m->store.len + nlen + vlen * 2 > DKIM_HEADER_TOTAL_MAX)
		return dkim_err_set(err, DKIM_ERR_TOOBIG,
		    "signed header fields exceed %d bytes", DKIM_HEADER_TOTAL_MAX);
	if (m->nhdrs == m->caphdrs) {
		grow = m->caphdrs ? m->caphdrs * 2 : 16;
		if ((h = realloc(m->hdrs, grow * sizeof(*h))) == NULL)
			return dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
		m->hdrs = h;
		m->caphdrs = grow;
	}
	h = &m->hdrs[m->nhdrs];
	if (dkim_hfield_keep(&m->store, h, name, nlen, rawlen, value, vlen) < 0)
		return dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
	m->nhdrs++;
	return DKIM_OK;
}

/* Feed body bytes to every body canonicalization in use. */
int
dkim_msg_body(dkim_msg *m, const void *data, size_t len, dkim_err *err)
{
	int c;

	if (m->finished)
		return dkim_err_set(err, DKIM_ERR_STATE, "body after finish");
	for (c = 0; c < 2; c++)
		if (m->bh[c] != NULL)
			dkim_bodyhash_update(m->bh[c], data, len);
	return DKIM_OK;
}

/* The h= selection: kept-field indexes, NO_FIELD for an over-signing slot. */
#define NO_FIELD ((size_t)-1)

/* Pick fields for h=, bottom-most instance of each name first. */
static int
msg_select(const dkim_msg *m, const dkim_signer *s, size_t *sel, size_t *nsel, dbuf *hlist)
{
	const struct dkim_hfield *h;
	size_t k, j, n = 0, count;
	int from = 0;

	for (k = 0; k < s->nnames; k++) {
		count = 0;
		for (j = m->nhdrs; j-- > 0;) {
			h = &m->hdrs[j];
			if (!dkim_header_name_is(m->store.data + h->name, h->nlen, s->names[k]))
				continue;
			sel[n++] = j;
			count++;
		}
		if (s->over[k])
			sel[n++] = NO_FIELD, count++;
		if (k == 0)
			from = count > (size_t)s->over[0];	/* names[0] is "from" */
		for (j = 0; j < count; j++) {
			if (hlist->len != 0)
				dbuf_addc(hlist, ':');
			dbuf_adds(hlist, s->names[k]);
		}
	}
	*nsel = n;
	return from;
}

/* Build, hash and sign one DKIM-Signature; *out is its folded value. */
static int
msg_sign_one(dkim_msg *m, const dkim_signer *s, const unsigned char bh[32],
    char **out, dkim_err *err)
{
	char bhb64[64], num[32], *b64 = NULL;
	unsigned char digest[32], *sig = NULL;
	size_t *sel, nsel, j, siglen, dlen = 0;
	dbuf v, hlist, data;
	EVP_MD_CTX *md = NULL;
	unsigned int mdlen;
	fold f;
	int rc;

	if ((sel = calloc(m->nhdrs + s->nnames + 1, sizeof(*sel))) == NULL)
		return dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
	dbuf_init(&v);
	dbuf_init(&hlist);
	dbuf_init(&data);
	if (!msg_select(m, s, sel, &nsel, &hlist)) {
		rc = dkim_err_set(err, DKIM_ERR_NOFROM, "message has no From header field");
		goto out;
	}

	/* The field value, with a leading space as it stands after the colon. */
	dbuf_addc(&v, ' ');
	fold_init(&f, &v, 16);		/* after "DKIM-Signature: " */
	fold_tag(&f, "v", "1", 1, FOLD_ATOMIC, 1);
	fold_tag(&f, "a", dkim_alg_name(dkim_key_alg(s->key)),
	    strlen(dkim_alg_name(dkim_key_alg(s->key))), FOLD_ATOMIC, 1);
	snprintf(num, sizeof(num), "%s/%s", dkim_canon_name(s->hcanon), dkim_canon_name(s->bcanon));
	fold_tag(&f, "c", num, strlen(num), FOLD_ATOMIC, 1);
	fold_tag(&f, "d", s->domain, strlen(s->domain), FOLD_ATOMIC, 1);
	fold_tag(&f, "s", s->selector, strlen(s->selector), FOLD_ATOMIC, 1);
	snprintf(num, sizeof(num), "%lld", (long long)m->when);
	fold_tag(&f, "t", num, strlen(num), FOLD_ATOMIC, 1);
	if (s->ttl != 0) {
		snprintf(num, sizeof(num), "%lld", (long long)m->when + (long long)s->ttl);
		fold_tag(&f, "x", num, strlen(num), FOLD_ATOMIC, 1);
	}
	if (s->identity != NULL)
		fold_tag(&f, "i", s->identity, strlen(s->identity), FOLD_ATOMIC, 1);
	fold_tag(&f, "h", hlist.data, hlist.len, FOLD_COLON, 1);
	base64_encode(bh, 32, bhb64);
	fold_tag(&f, "bh", bhb64, strlen(bhb64), FOLD_ANYWHERE, 1);
	fold_tag(&f, "b", "", 0, FOLD_ANYWHERE, 0);

	/* Header hash input: the selected fields, then this field with b= empty. */
	for (j = 0; j < nsel; j++) {
		const struct dkim_hfield *h;

		if (sel[j] == NO_FIELD)
			continue;	/* over-signed: absent field, hashes nothing */
		h = &m->hdrs[sel[j]];
		canon_header(s->hcanon, &data, m->store.data + h->name, h->rawlen,
		    m->store.data + h->value, h->vlen, 1);
	}
	canon_header(s->hcanon, &data, "DKIM-Signature", 14, v.data, v.len, 0);
	if (dbuf_failed(&v) || dbuf_failed(&hlist) || dbuf_failed(&data)) {
		rc = dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, s->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(md, data.data, data.len) != 1 ||
	    EVP_DigestFinal_ex(md, digest, &mdlen) != 1) {
		rc = dkim_err_ssl(err, DKIM_ERR_CRYPTO, "header hash");
		goto out;
	}
	if ((sig = malloc(dkim_key_sig_max(s->key))) == NULL) {
		rc = dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = dkim_key_sign(s->key, digest, sig, &siglen, err)) != DKIM_OK)
		goto out;
	if ((b64 = malloc(base64_encoded_len(siglen) + 1)) == NULL) {
		rc = dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
		goto out;
	}
	dlen = base64_encode(sig, siglen, b64);
	fold_tail(&f, b64, dlen);
	if (dbuf_failed(&v) || (*out = strdup(v.data + 1)) == NULL) {
		rc = dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = DKIM_OK;
out:
	EVP_MD_CTX_free(md);
	free(sig);
	free(b64);
	free(sel);
	dbuf_free(&v);
	dbuf_free(&hlist);
	dbuf_free(&data);
	return rc;
}

/* Finish the body hashes and make every signature. */
int
dkim_msg_finish(dkim_msg *m, dkim_err *err)
{
	unsigned char bh[2][32];
	struct timespec t0, t1;
	size_t i;
	int c, rc;

	if (m->finished)
		return dkim_err_set(err, DKIM_ERR_STATE, "message already finished");
	m->finished = 1;
	for (c = 0; c < 2; c++) {
		if (m->bh[c] != NULL &&
		    (rc = dkim_bodyhash_final(m->bh[c], bh[c], NULL, err)) != DKIM_OK)
			return rc;
	}
	for (i = 0; i < m->nsigners; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = msg_sign_one(m, m->signers[i], bh[m->signers[i]->bcanon], &m->sigs[i], err);
		if (rc != DKIM_OK)
			return rc;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		m->sign_ns[i] = (unsigned long long)(t1.tv_sec - t0.tv_sec) * 1000000000ULL +
		    (unsigned long long)t1.tv_nsec - (unsigned long long)t0.tv_nsec;
	}
	return DKIM_OK;
}

/* How long the i-th signature took to compute, in nanoseconds (0 before finish). */
unsigned long long
dkim_msg_sign_ns(const dkim_msg *m, size_t i)
{
	return m->finished && i < m->nsigners ? m->sign_ns[i] : 0;
}

/* The i-th signature value, or NULL. */
const char *
dkim_msg_signature(const dkim_msg *m, size_t i)
{
	return i < m->nsigners ? m->sigs[i] : NULL;
}

size_t
dkim_msg_nsignatures(const dkim_msg *m)
{
	return m->finished ? m->nsigners : 0;
}

/* Free a message context. */
void
dkim_msg_free(dkim_msg *m)
{
	size_t i;
	int c;

	if (m == NULL)
		return;
	for (c = 0; c < 2; c++)
		dkim_bodyhash_free(m->bh[c]);
	for (i = 0; i < m->nsigners; i++)
		free(m->sigs[i]);
	free(m->hdrs);
	dbuf_free(&m->store);
	free(m);
}

/* Walk callback: keep each field. */
static int
sign_buffer_header(void *m, const char *name, size_t nlen, const char *value, size_t vlen,
    dkim_err *err)
{
	return dkim_msg_header(m, name, nlen, value, vlen, err);
}

/* Sign a whole CRLF message held in memory. */
int
dkim_sign_buffer(const dkim_signer *const *signers, size_t n, time_t when,
    const char *msg, size_t len, dkim_msg **out, dkim_err *err)
{
	dkim_msg *m;
	size_t body;
	int rc;

	if ((rc = dkim_msg_new(signers, n, when, &m, err)) != DKIM_OK)
		return rc;
	if ((rc = dkim_message_fields(msg, len, sign_buffer_header, m, &body, err)) != DKIM_OK ||
	    (rc = dkim_msg_body(m, msg + body, len - body, err)) != DKIM_OK ||
	    (rc = dkim_msg_finish(m, err)) != DKIM_OK) {
		dkim_msg_free(m);
		return rc;
	}
	*out = m;
	return DKIM_OK;
}
