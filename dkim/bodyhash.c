/*
 * bodyhash.c - canonical body into SHA-256, with digests at cut points.
 *
 * The canonicalizer batches its output; the sink below hashes it up to the
 * farthest cut and, each time a cut is reached, finishes a copy of the
 * running digest there. So the digests of the whole body and of any
 * number of l= prefixes cost one pass; the canonicalizer keeps counting
 * after the last cut, so the true canonical length is known at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "bodyhash.h"

struct cut {
	unsigned long long at;		/* DKIM_BODYHASH_ALL: the whole body */
	unsigned char digest[32];
	int done;
};

struct dkim_bodyhash {
	dkim_canon canon;
	unsigned long long fed;		/* canonical bytes hashed */
	unsigned long long stop;	/* hashing stops there: the farthest cut */
	unsigned long long next;	/* the nearest cut not done but the whole body */
	EVP_MD_CTX *md;			/* NULL after a digest failure */
	int started, finished;
	struct cut *cuts;		/* cut 0 is the limit given to _new */
	size_t ncuts;
	canon_body cb;
};

/*
 * Finish a copy of the running digest for every cut at fed (at the end,
 * the whole body's too), and find the next one.
 */
static void
cuts_reached(dkim_bodyhash *b, int end)
{
	EVP_MD_CTX *copy;
	struct cut *c;
	size_t i;

	b->next = DKIM_BODYHASH_ALL;
	for (i = 0; i < b->ncuts; i++) {
		c = &b->cuts[i];
		if (c->done)
			continue;
		/* At the end, cut 0 takes what there was (a limit past the body). */
		if (c->at == b->fed || (end && (c->at == DKIM_BODYHASH_ALL || i == 0))) {
			c->done = 1;
			if (b->md == NULL || (copy = EVP_MD_CTX_new()) == NULL) {
				EVP_MD_CTX_free(b->md);
				b->md = NULL;	/* reported at final */
				continue;
			}
			if (EVP_MD_CTX_copy_ex(copy, b->md) != 1 ||
			    EVP_DigestFinal_ex(copy, c->digest, NULL) != 1) {
				EVP_MD_CTX_free(b->md);
				b->md = NULL;
			}
			EVP_MD_CTX_free(copy);
		} else if (c->at > b->fed && c->at < b->next) {
			b->next = c->at;
		}
	}
}

/* Canonical bytes: hash them up to the farthest cut, stopping at each. */
static void
bodyhash_sink(void *arg, const void *data, size_t len)
{
	dkim_bodyhash *b = arg;
	const unsigned char *p = data;
	size_t n;

	while (len > 0 && b->fed < b->stop) {
		n = len;
		if (b->stop - b->fed < n)
			n = (size_t)(b->stop - b->fed);
		if (b->next - b->fed < n)
			n = (size_t)(b->next - b->fed);
		if (b->md != NULL && EVP_DigestUpdate(b->md, p, n) != 1) {
			EVP_MD_CTX_free(b->md);
			b->md = NULL;	/* reported at final */
		}
		b->fed += n;
		p += n;
		len -= n;
		if (b->fed == b->next)
			cuts_reached(b, 0);
	}
}

/* Start a body hash. */
int
dkim_bodyhash_new(dkim_canon c, unsigned long long limit, const EVP_MD *md,
    dkim_bodyhash **out, dkim_err *err)
{
	dkim_bodyhash *b;

	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->cuts = calloc(1, sizeof(*b->cuts))) == NULL) {
		free(b);
		return dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
	}
	b->canon = c;
	b->cuts[0].at = b->stop = limit;
	b->ncuts = 1;
	if ((b->md = EVP_MD_CTX_new()) == NULL) {
		dkim_bodyhash_free(b);
		return dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
	}
	if (EVP_DigestInit_ex(b->md, md != NULL ? md : EVP_sha256(), NULL) != 1) {
		dkim_bodyhash_free(b);
		return dkim_err_ssl(err, DKIM_ERR_CRYPTO, "EVP_DigestInit_ex");
	}
	cuts_reached(b, 0);	/* a limit of 0, and next */
	canon_body_init(&b->cb, c, bodyhash_sink, b);
	*out = b;
	return DKIM_OK;
}

/* Another cut, before the body. */
int
dkim_bodyhash_cut(dkim_bodyhash *b, unsigned long long at)
{
	struct cut *c;
	size_t i;

	for (i = 0; i < b->ncuts; i++)
		if (b->cuts[i].at == at)
			return (int)i;
	if (b->started || b->ncuts >= 1024 ||
	    (c = realloc(b->cuts, (b->ncuts + 1) * sizeof(*c))) == NULL)
		return -1;
	b->cuts = c;
	memset(&c[b->ncuts], 0, sizeof(*c));
	c[b->ncuts].at = at;
	if (b->stop != DKIM_BODYHASH_ALL && (at == DKIM_BODYHASH_ALL || at > b->stop))
		b->stop = at;
	b->ncuts++;
	cuts_reached(b, 0);
	return (int)(b->ncuts - 1);
}

/* Feed body bytes. */
void
dkim_bodyhash_update(dkim_bodyhash *b, const void *data, size_t len)
{
	b->started = 1;
	if (!b->finished)
		canon_body_update(&b->cb, data, len);
}

/* Finish: cut 0's digest and the whole canonical length. */
int
dkim_bodyhash_final(dkim_bodyhash *b, unsigned char digest[32],
    unsigned long long *total, dkim_err *err)
{
	if (b->finished)
		return dkim_err_set(err, DKIM_ERR_STATE, "body hash already finished");
	b->started = b->finished = 1;
	canon_body_final(&b->cb);
	cuts_reached(b, 1);
	if (total != NULL)
		*total = b->cb.emitted;
	if (b->md == NULL)
		return dkim_err_ssl(err, DKIM_ERR_CRYPTO, "body hash");
	if (digest != NULL)
		memcpy(digest, b->cuts[0].digest, 32);
	return DKIM_OK;
}

/* After final: cut i's digest, when the body reached it. */
int
dkim_bodyhash_cut_digest(const dkim_bodyhash *b, int i, unsigned char digest[32])
{
	if (!b->finished || b->md == NULL || i < 0 || (size_t)i >= b->ncuts ||
	    !b->cuts[i].done)
		return -1;
	memcpy(digest, b->cuts[i].digest, 32);
	return 0;
}

void
dkim_bodyhash_free(dkim_bodyhash *b)
{
	if (b == NULL)
		return;
	EVP_MD_CTX_free(b->md);
	free(b->cuts);
	free(b);
}
