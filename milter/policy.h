/*
 * policy.h - which mail postdkim signs, and with which keys.
 *
 * Sign when the From domain (or a parent, with SubDomains) has a key and the
 * message is ours: authenticated client, client in InternalHosts, daemon
 * name in MTA, or a MacroList match. Every "no" comes with a reason that is
 * logged with the queue id.
 */
#ifndef POSTDKIM_POLICY_H
#define POSTDKIM_POLICY_H

#include <stddef.h>
#include <sys/socket.h>
#include "config.h"

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

/*
 * The address of a From field value (RFC 5322 mailbox-list with exactly one
 * mailbox: display names, comments, quoted local parts, angle brackets).
 * Returns 0 and the local part and lower-cased domain, or -1 with *why.
 */
int policy_from_address(const char *value, size_t len, char *local, size_t localsize,
    char *domain, size_t domainsize, const char **why);

#endif
