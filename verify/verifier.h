/*
 * verifier.h - one message being verified, between the session (which
 * feeds it) and the milter callbacks or the offline mode (which act on its
 * outcome): the streaming verifier of the core, the DNS lookups for its
 * keys, the Authentication-Results fields it arrived with, and at the end
 * the A-R value to add, the forged A-R fields to remove, the action and
 * the log line. No libmilter here.
 *
 * The room verify/ is verification around the core: this verifier, the
 * verdict at the end of a message, Authentication-Results, and the DNS
 * resolver (libunbound) with its answer cache. It uses config/ and dkim/;
 * no libmilter.
 */
#ifndef POSTDKIM_VERIFIER_H
#define POSTDKIM_VERIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "../dkim/dbuf.h"
#include "../dkim/vmsg.h"
#include "../config/config.h"
#include "../config/config_verify.h"

struct resolver;

/*
 * Authentication-Results fields remembered one by one; any further one is
 * removed whatever its authserv-id (no mail carries so many), so that
 * memory stays bounded (16 bytes a field) and none of ours is ever kept.
 */
#ifndef VERIFIER_AR_MAX
#define VERIFIER_AR_MAX 10000	/* a fuzzer builds with a small one */
#endif

/* An arriving A-R field, as far as it can be judged before our id is known. */
struct verifier_ar {
	uint64_t hash;		/* authres_id_hash of its authserv-id */
	unsigned char kind;	/* VAR_* in verifier.c */
};

struct verifier {
	const struct verify_cfg *vc;
	struct resolver *res;	/* the keys' lookups; owned by the caller */
	dkim_vmsg *vm;
	int failed;		/* nothing verified: a limit, or out of memory */
	int fail_status;	/* enum dkim_vstatus of the A-R result then */
	char why[256];
	/*
	 * Authentication-Results fields: nar seen, the first nkept of them
	 * (at most VERIFIER_AR_MAX) kept in ar; the others are removed.
	 */
	size_t nar, nkept;
	struct verifier_ar *ar;
	size_t arcap;
	dbuf arid;		/* scratch: the id being read */
};

/*
 * The resolver vc asks for (Nameservers, TrustAnchorFile, DNSTimeout), or
 * -1 with an error that names the keyword's file and line. Built as root,
 * before privileges are dropped: it reads resolv.conf and the trust anchor.
 */
int verifier_resolver(const struct verify_cfg *vc, struct resolver **out, char *err,
    size_t errsize);

/* Start verifying a message under vc, its keys looked up through res. */
int verifier_new(const struct verify_cfg *vc, struct resolver *res, struct verifier **out);
void verifier_free(struct verifier *v);

/* One header field, value as the milter has it (after the colon, LF folds). */
void verifier_header(struct verifier *v, const char *name, size_t nlen, const char *value,
    size_t vlen);
/* End of header: parse the signatures, fetch their keys (parallel, bounded). */
void verifier_eoh(struct verifier *v);
/*
 * After verifier_eoh: nonzero when the end of the message can change
 * nothing (no signature, no A-R field, no dkim=none to add, nothing that
 * failed, On-NoSignature accept), so the message can be let go at the end
 * of the header without its body. A message with any A-R field waits for
 * the end: whether it is forged is known only then, with our authserv-id.
 */
int verifier_idle(const struct verifier *v);
void verifier_body(struct verifier *v, const void *data, size_t len);
/* End of message: decide every signature. */
void verifier_eom(struct verifier *v);

/*
 * The A-R value to add (no name, no leading space), folded with fold, for
 * authserv-id id: the results, or dkim=permerror (a limit) or temperror
 * (out of memory) with the reason when nothing could be verified. Returns
 * 1 when there is one, 0 when none is due (unsigned mail without
 * AlwaysAddARHeader), -1 when out of memory.
 */
int verifier_authres(const struct verifier *v, const char *id, const char *fold, dbuf *out);

/*
 * The A-R fields to remove for authserv-id ours (forged: ours, RemoveARFrom,
 * RemoveARAll), as 1-based indexes among the message's A-R fields, highest
 * first, the order in which deleting them leaves the rest in place. The
 * fields past the first VERIFIER_AR_MAX are not listed: *past says how
 * many (every one is removed, before the listed ones). Returns how many
 * were written (at most max); *unparsable counts fields left because they
 * start with no authserv-id.
 */
size_t verifier_forged(const struct verifier *v, const char *ours, size_t *idx, size_t max,
    size_t *past, size_t *unparsable);

/*
 * What to do with the message (On-* settings; internal, On-InternalError,
 * when nothing could be verified); *what names the case.
 */
enum config_action verifier_action(const struct verifier *v, enum config_action internal,
    const char **what);

/* "d=example.com s=sel pass; d=... fail (reason)", network bytes escaped. */
void verifier_describe(const struct verifier *v, dbuf *out);

/*
 * The milter's log line: the results, then the forged fields removed (of
 * n found) and unparsable ones left, an A-R that could not be added
 * (ar_rc < 0), and the action when it is not accept.
 */
void verifier_logline(const struct verifier *v, size_t removed, size_t n, size_t bad,
    int ar_rc, enum config_action a, const char *what, dbuf *out);

#endif
