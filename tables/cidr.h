/*
 * cidr.h - lists of hosts and networks (InternalHosts, ExternalIgnoreList):
 * IPv4 and IPv6 addresses with optional /prefix, and host names.
 */
#ifndef POSTDKIM_CIDR_H
#define POSTDKIM_CIDR_H

#include <stddef.h>
#include <sys/socket.h>

struct cidr_entry {
	int family;		/* AF_INET, AF_INET6, or 0 for a host name */
	unsigned char addr[16];
	unsigned prefix;
	int negate;		/* "!net": excluded */
	char *name;		/* host name entries (matched without case) */
};

struct cidr_list {
	struct cidr_entry *v;
	size_t n;
};

/* Add one entry ("10.0.0.0/8", "::1", "!192.168.1.5", "mx.example.org"). */
int cidr_add(struct cidr_list *l, const char *s, char *err, size_t errsize);
/* Nonzero when the address (or host name) is in the list and not negated. */
int cidr_match(const struct cidr_list *l, const struct sockaddr *sa, const char *hostname);
/* The same for a textual address ("127.0.0.1", "::1", "IPv6:::1"). */
int cidr_match_str(const struct cidr_list *l, const char *addr, const char *hostname);
void cidr_free(struct cidr_list *l);

#endif
