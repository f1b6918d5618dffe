/*
 * msgstats.c - a message's outcome, counted: one place that knows how the
 * session's verdict maps onto the metrics' labels, so that the callbacks
 * say only "this is how it ended".
 */
#include <stddef.h>

#include "../dkim/verify.h"
#include "../dkim/vmsg.h"
#include "../verify/verifier.h"
#include "msgstats.h"

/* The action label of a configured action. */
enum stats_action msgstats_action(enum config_action a)
{
	switch (a) {
	case ACTION_TEMPFAIL: return STATS_ACT_TEMPFAIL;
	case ACTION_REJECT: return STATS_ACT_REJECT;
	case ACTION_DISCARD: return STATS_ACT_DISCARD;
	case ACTION_QUARANTINE: return STATS_ACT_QUARANTINE;
	case ACTION_ACCEPT:
	default: return STATS_ACT_ACCEPT;
	}
}

/* A message settled before its session decided anything. */
void msgstats_early(enum stats_mode m, enum config_action a, enum stats_reason r)
{
	stats_message(m, msgstats_action(a));
	stats_not_signed(r);
}

/* Mail of ours left unsigned: the reason, and its domain's series. */
static void msgstats_ours(const struct session *s, enum stats_reason r)
{
	stats_not_signed(r);
	if (s->from_domain[0] != '\0')
		stats_domain(s->from_domain, 0);
}

/* Neither signed nor verified: ours and unsigned, or passed on (an unsigned message verified). */
void msgstats_not_signed(const struct session *s, enum config_action a)
{
	if (s->ours) {
		stats_message(STATS_MODE_SIGN, msgstats_action(a));
		msgstats_ours(s, s->reason);
	} else if (s->ver_idle) {
		stats_message(STATS_MODE_VERIFY, msgstats_action(a));
		stats_verify_result(STATS_VR_NONE);
	} else {
		stats_message(STATS_MODE_NONE, msgstats_action(a));
	}
}

/* Ours, and left unsigned after the session had decided to sign it. */
void msgstats_ours_failed(const struct session *s, enum stats_reason r, enum config_action a)
{
	stats_message(STATS_MODE_SIGN, msgstats_action(a));
	msgstats_ours(s, r);
}

/* Signed: each signature by algorithm, with its time. */
void msgstats_signed(const struct session *s, size_t n)
{
	size_t i;

	stats_message(STATS_MODE_SIGN, STATS_ACT_SIGNED);
	for (i = 0; i < n && i < s->found.n; i++) {
		stats_signature(dkim_alg_name(dkim_signer_alg(s->found.signer[i])));
		stats_observe(STATS_H_SIGN, dkim_msg_sign_ns(s->msg, i));
	}
	/* On-KeyError accept: signed, but without the keys that failed. */
	if (s->found.failed)
		stats_not_signed(s->found.reason);
	if (s->from_domain[0] != '\0')
		stats_domain(s->from_domain, 1);
}

/* Verified: one result per signature verified, or one "none". */
void msgstats_verified(const struct session *s, const struct verifier *v, size_t removed,
    enum config_action a)
{
	const dkim_vresult *r;
	size_t i, n;

	stats_message(STATS_MODE_VERIFY, msgstats_action(a));
	/* Mail of ours that could not be signed is verified like any other. */
	if (s->ours)
		msgstats_ours(s, s->reason);
	stats_add(STATS_FORGED_AR_REMOVED, removed);
	stats_observe(STATS_H_VERIFY, s->verify_ns);
	if (v->failed) {
		stats_verify_result(stats_vresult_of(dkim_vstatus_result(
		    (enum dkim_vstatus)v->fail_status)));
		return;
	}
	n = dkim_vmsg_nverify(v->vm);
	if (n == 0)
		stats_verify_result(STATS_VR_NONE);
	for (i = 0; i < n; i++) {
		r = dkim_vmsg_result(v->vm, i);
		stats_verify_result(stats_vresult_of(dkim_vstatus_result(r->status)));
		stats_dnssec(r->dnssec);
	}
}
