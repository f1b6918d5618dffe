/*
 * logpolicy.h - which per-message outcomes get a log line, after OpenDKIM's
 * switches: problems always; a line per verified message's results only
 * with LogResults; successes only with SyslogSuccess; why mail was not
 * signed by policy (not ours, no signing key) only with LogWhy.
 */
#ifndef POSTDKIM_LOGPOLICY_H
#define POSTDKIM_LOGPOLICY_H

#include <stddef.h>
#include "../config/config.h"

struct verifier;
struct verdict;

/*
 * A verified message: the syslog priority of its line, or -1 for none.
 * *why says whether the line carries why it was not signed (LogWhy, or
 * mail of ours that could not be signed). not_ours: the session's flag.
 * removed: forged Authentication-Results fields the MTA removed.
 */
int logpolicy_verified(const struct config *cfg, int not_ours, const struct verifier *v,
    const struct verdict *vd, size_t removed, int *why);
/*
 * Mail not signed by policy and accepted: whether it gets its line (mail
 * of ours always, mail not ours to sign only with LogWhy).
 */
int logpolicy_skipped(const struct config *cfg, int not_ours);

#endif
