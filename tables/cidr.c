/*
 * cidr.c - host and network lists (InternalHosts, ExternalIgnoreList).
 *
 * Entries are IPv4 or IPv6 addresses with an optional /prefix, host names
 * (compared without case; "*" matches any run of characters and a leading
 * "." matches every subdomain), each optionally negated with "!". An
 * address is in the list when a plain entry matches it and no negated entry
 * does, so the order of entries does not matter. IPv4-mapped IPv6 addresses
 * (::ffff:192.0.2.1) are matched as the IPv4 address they carry.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cidr.h"
#include "glob.h"

#define CIDR_TEXT_MAX 256

/*
 * Nonzero when s is a plausible host name pattern (letters, digits, "-._*")
 * with at least one letter or '*', so that a mistyped address such as
 * "10.0.0.300" is an error rather than a host name that never matches.
 */
static int
name_ok(const char *s)
{
	int alpha = 0;

	for (; *s; s++) {
		if (isalpha((unsigned char)*s) || *s == '*')
			alpha = 1;
		else if (!isdigit((unsigned char)*s) && !strchr("-._", *s))
			return 0;
	}
	return alpha;
}

/* Parse an address (no prefix) into family and bytes; brackets and "IPv6:" allowed. */
static int
parse_addr(const char *s, int *family, unsigned char addr[16])
{
	char buf[CIDR_TEXT_MAX];
	size_t len;

	if (strncasecmp(s, "IPv6:", 5) == 0)
		s += 5;
	len = strlen(s);
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

/* Add one entry to the list. */
int
cidr_add(struct cidr_list *l, const char *s, char *err, size_t errsize)
{
	struct cidr_entry e, *v;
	char buf[CIDR_TEXT_MAX];
	const char *slash;
	char *end;
	unsigned long prefix;
	size_t len;

	memset(&e, 0, sizeof(e));
	if (*s == '!') {
		e.negate = 1;
		s++;
	}
	if ((len = strlen(s)) == 0 || len >= sizeof(buf)) {
		snprintf(err, errsize, "'%s': %s host or network", s, len ? "too long a" : "empty");
		return -1;
	}
	memcpy(buf, s, len + 1);
	if ((slash = strchr(s, '/')) != NULL)
		buf[slash - s] = '\0';
	if (parse_addr(buf, &e.family, e.addr) == 0) {
		e.prefix = e.family == AF_INET ? 32 : 128;
		if (slash != NULL) {
			if (!isdigit((unsigned char)slash[1])) {
				snprintf(err, errsize, "'%s': bad prefix length", s);
				return -1;
			}
			prefix = strtoul(slash + 1, &end, 10);
			if (*end != '\0' || prefix > e.prefix) {
				snprintf(err, errsize, "'%s': bad prefix length (at most %u)", s,
				    e.prefix);
				return -1;
			}
			e.prefix = (unsigned)prefix;
		}
	} else if (slash == NULL && name_ok(buf)) {
		if ((e.name = strdup(buf)) == NULL) {
			snprintf(err, errsize, "out of memory");
			return -1;
		}
	} else {
		snprintf(err, errsize, "'%s': not an IPv4 or IPv6 address, network or host name",
		    s);
		return -1;
	}
	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL) {
		free(e.name);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	l->v = v;
	l->v[l->n++] = e;
	return 0;
}

/* Nonzero when the first prefix bits of a and b agree. */
static int
prefix_eq(const unsigned char *a, const unsigned char *b, unsigned prefix)
{
	unsigned whole = prefix / 8, rest = prefix % 8;
	unsigned char mask;

	if (memcmp(a, b, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

/* Nonzero when entry e matches the address (family 0: none) or host name. */
static int
entry_match(const struct cidr_entry *e, int family, const unsigned char *addr,
    const char *hostname)
{
	if (e->name != NULL) {
		if (hostname == NULL || *hostname == '\0')
			return 0;
		if (e->name[0] == '.') {
			size_t hl = strlen(hostname), nl = strlen(e->name);

			return hl > nl && strcasecmp(hostname + hl - nl, e->name) == 0;
		}
		return glob_match(e->name, hostname);
	}
	return family == e->family && prefix_eq(e->addr, addr, e->prefix);
}

/* Match a parsed address (family 0: only the host name counts). */
static int
match_parsed(const struct cidr_list *l, int family, unsigned char addr[16],
    const char *hostname)
{
	static const unsigned char mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	size_t i;
	int hit = 0;

	/* ::ffff:a.b.c.d is the IPv4 client a.b.c.d on a dual-stack socket. */
	if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		family = AF_INET;
	}
	for (i = 0; i < l->n; i++) {
		if (!entry_match(&l->v[i], family, addr, hostname))
			continue;
		if (l->v[i].negate)
			return 0;
		hit = 1;
	}
	return hit;
}

/* Nonzero when the socket address or host name is in the list. */
int
cidr_match(const struct cidr_list *l, const struct sockaddr *sa, const char *hostname)
{
	unsigned char addr[16];
	int family = 0;

	memset(addr, 0, sizeof(addr));
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;

		family = AF_INET;
		memcpy(addr, &sin->sin_addr, 4);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;

		family = AF_INET6;
		memcpy(addr, &sin6->sin6_addr, 16);
	}
	return match_parsed(l, family, addr, hostname);
}

/* Nonzero when the textual address or host name is in the list. */
int
cidr_match_str(const struct cidr_list *l, const char *text, const char *hostname)
{
	unsigned char addr[16];
	int family = 0;

	if (text == NULL || parse_addr(text, &family, addr) < 0) {
		family = 0;
		memset(addr, 0, sizeof(addr));
	}
	return match_parsed(l, family, addr, hostname);
}

/* Free the entries of a list (the list itself may be reused). */
void
cidr_free(struct cidr_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
