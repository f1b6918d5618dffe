/*
 * vmsg_impl.h - what vmsg.c (the message) shares with vsig.c (one
 * signature field, parsed and prepared). Not for use outside dkim/.
 */
#ifndef DKIM_VMSG_IMPL_H
#define DKIM_VMSG_IMPL_H

#include "bodyhash.h"
#include "dbuf.h"
#include "header.h"
#include "hindex.h"
#include "vmsg.h"

/* Largest b= accepted: an RSA-8192 signature. */
#define SIG_MAX 1024

/*
 * Header bytes hashed for all the signatures of a message, at most: the
 * header once, and this much more. Each signature may name every field,
 * so without a limit the work would be signatures x header (hashing a
 * byte costs twice what receiving it does); ordinary signatures take a
 * few fields, kilobytes, and never come near it.
 */
#define VMSG_HASH_EXTRA (64 * 1024)

enum sig_state { SIG_DONE, SIG_KEYWAIT, SIG_READY };

struct vsig {
	dkim_vresult r;
	enum sig_state state;
	size_t field;			/* index in hdrs */
	int bc;				/* body canonicalization: index in bhs */
	int cut;			/* its l= in bhs[bc] (dkim_bodyhash_cut) */
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
	struct dkim_hfield *hdrs;
	size_t nhdrs, caphdrs;
	dkim_hindex *hx;		/* the fields by name, while signatures are prepared */
	size_t hashed, hash_max;	/* header bytes hashed for all signatures, limit */
	size_t sigfield[DKIM_VMSG_SIGS_MAX];
	size_t nsigs;			/* every DKIM-Signature seen */
	size_t nfrom;			/* every From seen */
	struct vsig *sigs;
	size_t nv;
	/* One body pass per body canonicalization, each l= a cut in it. */
	dkim_bodyhash *bhs[2];
	int bhstate[2];			/* 0 until final, then 1, or -1 when it failed */
	unsigned long long bhtotal[2];	/* canonical body length */
	int eoh, finished;
};

/* Decide a signature now, with a formatted reason; returns its status. */
int vsig_done(struct vsig *s, enum dkim_vstatus st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Parse and check signature s (its field is m->hdrs[s->field]): it ends
 * waiting for its key, with its header hash and body hash slot (returns
 * 0), or decided (returns its status).
 */
int vsig_prepare(dkim_vmsg *m, struct vsig *s);

#endif
