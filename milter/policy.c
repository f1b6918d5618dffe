/*
 * policy.c - is a message ours to sign? Answered from the connection's
 * facts alone (no I/O): an authenticated client, a client in
 * InternalHosts, a trusted daemon name (MTA) or a MacroList match.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy.h"


/* Nonzero when a macro value is present and not empty. */
static int
present(const char *s)
{
	return s != NULL && *s != '\0';
}

/* A macro's value by its configured name, trying "{name}" when that is absent. */
static const char *
macro_value(const struct policy_facts *f, const char *name)
{
	char braced[128];
	const char *v;

	if (f->macro == NULL)
		return NULL;
	if ((v = f->macro(f->macro_arg, name)) != NULL)
		return v;
	/* MacroList entries are written "daemon_name" or "{daemon_name}". */
	if (name[0] != '{' && strlen(name) > 1 && strlen(name) + 3 <= sizeof(braced)) {
		snprintf(braced, sizeof(braced), "{%s}", name);
		return f->macro(f->macro_arg, braced);
	}
	return NULL;
}

/* Nonzero when one MacroList entry matches. */
static int
macro_match(const struct policy_facts *f, const struct config_macro *m)
{
	const char *v = macro_value(f, m->name);
	size_t i;

	if (v == NULL)
		return 0;
	if (m->nvalues == 0)
		return 1;
	/* OpenDKIM compares macro values with case. */
	for (i = 0; i < m->nvalues; i++)
		if (strcmp(v, m->values[i]) == 0)
			return 1;
	return 0;
}

/* The client's address as text, for reasons; "unknown" when none. */
static void
client_text(const struct policy_facts *f, char *buf, size_t size)
{
	const struct sockaddr *sa = f->client_sa;

	if (sa != NULL && sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
	    buf, (socklen_t)size) != NULL)
		return;
	if (sa != NULL && sa->sa_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
	    buf, (socklen_t)size) != NULL)
		return;
	snprintf(buf, size, "%s", present(f->client_addr) ? f->client_addr :
	    present(f->client_name) ? f->client_name : "unknown");
}

/* Nonzero when the client is in the list (socket address, else text, else name). */
static int
client_in(const struct cidr_list *l, const struct policy_facts *f)
{
	const struct sockaddr *sa = f->client_sa;

	if (sa != NULL && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6))
		return cidr_match(l, sa, f->client_name);
	if (present(f->client_addr))
		return cidr_match_str(l, f->client_addr, f->client_name);
	/*
	 * Postfix's sendmail(1)/pickup path can reach the milter with the name
	 * "localhost" and no address at all; that connection is local by
	 * construction (an SMTP client always has an address).
	 */
	if (present(f->client_name) && strcasecmp(f->client_name, "localhost") == 0)
		return cidr_match_str(l, "127.0.0.1", f->client_name);
	return cidr_match(l, NULL, f->client_name);
}

/* Nonzero when the message is ours; otherwise *why says why. */
int
policy_is_ours(const struct config *cfg, const struct policy_facts *f, const char **why)
{
	static _Thread_local char reason[200];
	char addr[INET6_ADDRSTRLEN + 64];
	size_t i;

	if (present(f->auth_type) || present(f->auth_authen))
		return 1;
	if (client_in(&cfg->internal_hosts, f))
		return 1;
	if (present(f->daemon_name))
		for (i = 0; i < cfg->nmta; i++)
			if (strcasecmp(f->daemon_name, cfg->mta[i]) == 0)
				return 1;
	for (i = 0; i < cfg->nmacros; i++)
		if (macro_match(f, &cfg->macros[i]))
			return 1;
	if (why != NULL) {
		client_text(f, addr, sizeof(addr));
		snprintf(reason, sizeof(reason), "external client %s%s, not authenticated", addr,
		    client_in(&cfg->external_ignore, f) ? " (ExternalIgnoreList)" : "");
		*why = reason;
	}
	return 0;
}
