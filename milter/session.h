/*
 * session.h - one message on its way to being signed, independent of how it
 * arrives: the milter callbacks and the offline mode (-t) both feed header
 * fields, the end of the header, body chunks and the end of the message
 * through these functions, so both sign exactly alike.
 *
 * Header fields are kept (bounded) only when some configured signer may
 * sign them, until the end of the header, where the From address and the
 * policy decide whether and with which keys to sign; then the kept fields
 * are replayed into the core's signing context and the body streams
 * straight through it. Nothing grows with the size of the body.
 *
 * The room milter/ is the message path: the libmilter callbacks, this
 * session, which mail is ours (policy, From), the offline -t mode, the
 * configuration in force across reloads, and the log. It uses verify/,
 * config/, keys/, tables/ and dkim/.
 */
#ifndef POSTDKIM_SESSION_H
#define POSTDKIM_SESSION_H

#include <stddef.h>
#include <time.h>

#include "../dkim/dbuf.h"
#include "../dkim/sign.h"
#include "../config/config.h"
#include "../tables/stats.h"
#include "from.h"
#include "policy.h"
#include "reload.h"

/* What to do with the message, after session_eoh() or session_eom(). */
enum session_verdict {
	SESSION_CONTINUE = 0,	/* signing: keep sending the body */
	SESSION_SKIP,		/* not signed by policy; reason in why */
	SESSION_FAIL,		/* signing failed; reason in why, action in action */
	SESSION_SIGNED,		/* signatures ready (after session_eom) */
	SESSION_VERIFY,		/* not signed: verified instead (Mode v, sv); see ver */
};

struct verifier;

struct session_field {
	size_t name;		/* offset of the name in the store */
	size_t nlen;
	size_t value;		/* offset of the value (as received) */
	size_t vlen;
};

struct session {
	const struct runcfg *rc;
	/* Header fields kept until the end of the header. */
	dbuf store;
	struct session_field *fields;
	size_t nfields, fieldcap;
	size_t nfrom;		/* From fields seen */
	size_t from;		/* index in fields of the (first) From, when from_kept */
	int from_kept;
	size_t sender;		/* SenderHeaders: index in fields + 1 of the field used, or 0 */
	size_t sender_rank;	/* ... its place in SenderHeaders */
	/* After the end of the header: this message's signers, built for it. */
	struct rules_result found;
	dkim_msg *msg;
	/* Outcome. */
	enum session_verdict verdict;
	enum config_action action;	/* for SKIP and FAIL */
	int hdr_failed;			/* a kept header field was refused */
	dkim_err hdr_err;		/* why, acted on at the end of the header */
	char why[512];
	int not_ours;			/* SKIP: not ours to sign (its line only with LogWhy) */
	char from_domain[256];
	/* Mode v/sv: every field also goes to the verifier until the decision. */
	struct verifier *ver;
	int ver_tried;
	/* For the counters: */
	int ours;			/* policy said ours (SKIP and FAIL: left unsigned) */
	enum stats_reason reason;	/* why mail of ours was not signed */
	int ver_idle;			/* Mode v/sv, nothing to verify: an unsigned message */
	unsigned long long verify_ns;	/* time spent verifying */
};

/* Start a session for a message, under a configuration. */
void session_init(struct session *s, const struct runcfg *rc);
/* Forget everything of the current message (ABORT, next message, close). */
void session_reset(struct session *s);

/*
 * One header field as the milter receives it: value is every byte after
 * the colon (with SMFIP_HDR_LEADSPC; otherwise the caller restores the
 * space the MTA removed), folded lines joined by LF or CRLF.
 */
void session_header(struct session *s, const char *name, size_t nlen,
    const char *value, size_t vlen);

/*
 * End of header: decide; SESSION_CONTINUE means sign and send the body,
 * SESSION_VERIFY verify it (keys are fetched here, bounded by DNSTimeout).
 */
enum session_verdict session_eoh(struct session *s, const struct policy_facts *facts,
    time_t when);

/* Body bytes in CRLF form, any chunking. */
void session_body(struct session *s, const void *data, size_t len);

/* End of message: SESSION_SIGNED, SESSION_VERIFY (results in ver) or SESSION_FAIL. */
enum session_verdict session_eom(struct session *s);

/* After SESSION_SIGNED: the signatures, in signer order. */
size_t session_nsignatures(const struct session *s);
/*
 * The i-th signature value, ready for insertion: folds as eol + TAB (eol
 * "\n" for a milter, "\r\n" or "\n" for -t) and a leading space when
 * leadspc. Caller frees; NULL when out of memory.
 */
char *session_signature(const struct session *s, size_t i, const char *eol, int leadspc);
/* "d=example.com s=mail a=rsa-sha256" of the i-th signer, for the log. */
void session_describe(const struct session *s, size_t i, char *buf, size_t size);
/*
 * SoftwareHeader: the value of the DKIM-Filter field, "postdkim vVERSION
 * HOST QUEUE-ID" (a leading space when leadspc), kept to visible ASCII:
 * the MTA's macros may hold anything, a header field must not.
 */
void session_filter_value(char *v, size_t size, const char *host, const char *qid,
    int leadspc);

#endif
