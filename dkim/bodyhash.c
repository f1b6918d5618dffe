/*
 * bodyhash.c - canonical body into SHA-256, with an optional l= cut.
 *
 * The canonicalizer batches its output; the sink below trims the batch at
 * the limit and stops hashing once it is reached, while the canonicalizer
 * keeps counting so the true canonical length is known at the end.
 */
#include <stdlib.h>

#include "bodyhash.h"

struct dkim_bodyhash {
	dkim_canon canon;
	unsigned long long limit;	/* as given */
	unsigned long long left;	/* bytes still hashed */
	EVP_MD_CTX *md;			/* NULL after a digest failure */
	int finished;
	canon_body cb;
};

/* Canonical bytes: hash what the limit allows. */
static void
bodyhash_sink(void *arg, const void *data, size_t len)
{
	dkim_bodyhash *b = arg;

	if (b->left < len)
		len = (size_t)b->left;
	b->left -= len;
	if (len != 0 && b->md != NULL && EVP_DigestUpdate(b->md, data, len) != 1) {
		EVP_MD_CTX_free(b->md);
		b->md = NULL;	/* reported at final */
	}
}

/* Start a body hash. */
int
dkim_bodyhash_new(dkim_canon c, unsigned long long limit, const EVP_MD *md,
    dkim_bodyhash **out, dkim_err *err)
{
	dkim_bodyhash *b;

	if ((b = malloc(sizeof(*b))) == NULL)
		return dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
	b->canon = c;
	b->limit = b->left = limit;
	b->finished = 0;
	if ((b->md = EVP_MD_CTX_new()) == NULL) {
		free(b);
		return dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
	}
	if (EVP_DigestInit_ex(b->md, md != NULL ? md : EVP_sha256(), NULL) != 1) {
		dkim_bodyhash_free(b);
		return dkim_err_ssl(err, DKIM_ERR_CRYPTO, "EVP_DigestInit_ex");
	}
	canon_body_init(&b->cb, c, bodyhash_sink, b);
	*out = b;
	return DKIM_OK;
}

int
dkim_bodyhash_is(const dkim_bodyhash *b, dkim_canon c, unsigned long long limit)
{
	return b->canon == c && b->limit == limit;
}

/* Feed body bytes. */
void
dkim_bodyhash_update(dkim_bodyhash *b, const void *data, size_t len)
{
	if (!b->finished)
		canon_body_update(&b->cb, data, len);
}

/* Finish: digest and whole canonical length. */
int
dkim_bodyhash_final(dkim_bodyhash *b, unsigned char digest[32],
    unsigned long long *total, dkim_err *err)
{
	unsigned int len;

	if (b->finished)
		return dkim_err_set(err, DKIM_ERR_STATE, "body hash already finished");
	b->finished = 1;
	canon_body_final(&b->cb);
	if (total != NULL)
		*total = b->cb.emitted;
	if (b->md == NULL || EVP_DigestFinal_ex(b->md, digest, &len) != 1 || len != 32)
		return dkim_err_ssl(err, DKIM_ERR_CRYPTO, "body hash");
	return DKIM_OK;
}

void
dkim_bodyhash_free(dkim_bodyhash *b)
{
	if (b == NULL)
		return;
	EVP_MD_CTX_free(b->md);
	free(b);
}
