/*
 * policy.h - is a message ours to sign? An authenticated client, a client
 * in InternalHosts, a daemon name in MTA, or a MacroList match. Every "no"
 * comes with a reason that is logged with the queue id. Which keys sign it
 * is the signing rules' question (keys/rules.h).
 */
#ifndef POSTDKIM_POLICY_H
#define POSTDKIM_POLICY_H

#include <stddef.h>
#include <sys/socket.h>
#include "../config/config.h"

/* What is known of the connection and transaction. Any field may be NULL. */
struct policy_facts {
	const struct sockaddr *client_sa;	/* from the CONNECT callback */
	const char *client_addr;		/* textual, when no sockaddr */
	const char *client_name;
	const char *daemon_name;		/* {daemon_name} */
	const char *auth_type;			/* {auth_type} */
	const char *auth_authen;		/* {auth_authen} */
	/* Value of any other macro (MacroList), or NULL. */
	const char *(*macro)(void *arg, const char *name);
	void *macro_arg;
};

/*
 * Nonzero when the message is ours. When it is not, *why says why in a few
 * words ("external client 192.0.2.1, not authenticated").
 */
int policy_is_ours(const struct config *cfg, const struct policy_facts *f, const char **why);


#endif
