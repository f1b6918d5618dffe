/*
 * offline.h - `postdkim -t FILE`: sign one message file exactly as the
 * milter would with the same configuration, and write it to stdout.
 */
#ifndef POSTDKIM_OFFLINE_H
#define POSTDKIM_OFFLINE_H

#include <stdio.h>
#include <time.h>
#include "reload.h"

struct offline_opts {
	const char *client_addr;	/* -a; default 127.0.0.1 */
	const char *client_name;	/* default localhost */
	const char *auth_user;		/* -u */
	const char *daemon_name;	/* -d */
	time_t when;			/* -F; 0 = now */
};

/*
 * Sign file ("-" = standard input) and write the message, signatures first,
 * to out, keeping the input's line ending (LF or CRLF). A message that
 * policy does not sign is written unchanged, with the reason on stderr; one
 * that is verified (Mode v, sv) is written as the milter passes it on (our
 * Authentication-Results first, forged ones removed), with the results and
 * the action on stderr. Returns an exit status: 0, or 3 when it could not
 * be signed.
 */
int offline_sign(const struct runcfg *rc, const char *file,
    const struct offline_opts *o, FILE *out);

#endif
