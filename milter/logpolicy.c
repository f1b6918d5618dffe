/*
 * logpolicy.c - at 10,000 messages a second, a line for every verified
 * message is the log. OpenDKIM logs per message only what goes wrong
 * unless asked: LogResults adds each signed message's results, SyslogSuccess
 * each success, LogWhy the reasoning behind sign-or-verify (why mail that
 * is not ours to sign was not signed: Mode v, a client not ours, a domain
 * without a signing key, ExemptDomains, DontSignMailTo). Mail of ours
 * that could not be signed always says why. Here a
 * "problem" is anything an operator acts on: an action other than accept,
 * our field not added or a forged one left, verification given up (a
 * limit, memory), or a key lookup that failed for a reason of the moment
 * (temperror: DNS trouble is ours to see, as OpenDKIM's "key retrieval
 * failed" is always logged).
 */
#include <string.h>
#include <syslog.h>

#include "../config/config_verify.h"
#include "../verify/verdict.h"
#include "../verify/verifier.h"
#include "logpolicy.h"

/* How many of v's signatures have the result res ("pass", "temperror"...). */
static size_t logpolicy_count(const struct verifier *v, const char *res)
{
	size_t i, n, k = 0;

	if (v->failed || v->vm == NULL)
		return 0;
	n = dkim_vmsg_nverify(v->vm);
	for (i = 0; i < n; i++)
		k += strcmp(dkim_vstatus_result(dkim_vmsg_result(v->vm, i)->status), res) == 0;
	return k;
}

int logpolicy_verified(const struct config *cfg, int not_ours, const struct verifier *v,
    const struct verdict *vd, size_t removed, int *why)
{
	int problem, signed_msg;

	/* Mail of ours left unsigned (no From, ...) says so, whatever LogWhy says. */
	*why = cfg->log_why || !not_ours;
	problem = vd->action != ACTION_ACCEPT || vd->ar_rc < 0 || v->failed ||
	    removed < vd->nforged || logpolicy_count(v, "temperror") > 0;
	if (vd->action != ACTION_ACCEPT || vd->ar_rc < 0)
		return LOG_WARNING;
	if (problem)
		return LOG_NOTICE;
	signed_msg = v->vm != NULL && dkim_vmsg_nsigs(v->vm) > 0;
	if (*why || (cfg->verify->log_results && (signed_msg || removed > 0)) ||
	    (cfg->syslog_success && logpolicy_count(v, "pass") > 0))
		return LOG_INFO;
	return -1;
}

int logpolicy_skipped(const struct config *cfg, int not_ours)
{
	return cfg->log_why || !not_ours;
}
