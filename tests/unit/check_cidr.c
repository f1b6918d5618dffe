/*
 * check_cidr.c - host lists: IPv4 and IPv6 networks, negation, IPv4-mapped
 * IPv6 clients, textual addresses as milters see them, host names and
 * wildcards, and malformed entries.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../../tables/cidr.h"
#include "testmain.h"

/* A list from a NULL-terminated array of entries; every entry must parse. */
static struct cidr_list
list_of(const char *const *e)
{
	struct cidr_list l = { NULL, 0 };
	char err[256];

	for (; *e; e++)
		ck_assert_msg(cidr_add(&l, *e, err, sizeof(err)) == 0, "%s: %s", *e, err);
	return l;
}

/* Match an address through a real sockaddr. */
static int
match_sa(const struct cidr_list *l, const char *text)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, text, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		return cidr_match(l, (struct sockaddr *)&sin, NULL);
	}
	ck_assert_int_eq(inet_pton(AF_INET6, text, &sin6.sin6_addr), 1);
	sin6.sin6_family = AF_INET6;
	return cidr_match(l, (struct sockaddr *)&sin6, NULL);
}

START_TEST(ipv4)
{
	static const char *const e[] = { "10.0.0.0/8", "192.168.1.0/24", "172.16.5.4",
	    "198.51.100.128/25", NULL };
	struct cidr_list l = list_of(e);

	ck_assert(match_sa(&l, "10.255.1.2"));
	ck_assert(!match_sa(&l, "11.0.0.1"));
	ck_assert(match_sa(&l, "192.168.1.200"));
	ck_assert(!match_sa(&l, "192.168.2.1"));
	ck_assert(match_sa(&l, "172.16.5.4"));
	ck_assert(!match_sa(&l, "172.16.5.5"));
	ck_assert(match_sa(&l, "198.51.100.200"));
	ck_assert(!match_sa(&l, "198.51.100.127"));
	ck_assert(cidr_match_str(&l, "10.1.1.1", NULL));
	ck_assert(!cidr_match_str(&l, "garbage", NULL));
	ck_assert(!cidr_match_str(&l, NULL, NULL));
	/* An IPv6 client never matches an IPv4 network unless it is mapped. */
	ck_assert(!match_sa(&l, "::a00:1"));
	ck_assert(match_sa(&l, "::ffff:10.0.0.1"));
	ck_assert(cidr_match_str(&l, "::ffff:192.168.1.9", NULL));
	ck_assert(cidr_match_str(&l, "IPv6:::ffff:10.0.0.1", NULL));
	cidr_free(&l);
}
END_TEST

START_TEST(ipv6)
{
	static const char *const e[] = { "2001:db8::/32", "::1", "[fe80::1]",
	    "2001:db9:0:8000::/49", NULL };
	struct cidr_list l = list_of(e);

	ck_assert(match_sa(&l, "2001:db8:1234::5"));
	ck_assert(!match_sa(&l, "2001:db7::5"));
	ck_assert(match_sa(&l, "::1"));
	ck_assert(!match_sa(&l, "::2"));
	ck_assert(match_sa(&l, "fe80::1"));
	ck_assert(match_sa(&l, "2001:db9:0:8000::1"));
	ck_assert(match_sa(&l, "2001:db9:0:ffff::1"));
	ck_assert(!match_sa(&l, "2001:db9:0:7fff::1"));
	/* As Postfix writes IPv6 client addresses in macros. */
	ck_assert(cidr_match_str(&l, "IPv6:2001:db8::25", NULL));
	ck_assert(cidr_match_str(&l, "[::1]", NULL));
	ck_assert(!match_sa(&l, "127.0.0.1"));
	cidr_free(&l);
}
END_TEST

START_TEST(negation)
{
	static const char *const e[] = { "!10.1.2.3", "10.0.0.0/8", "!2001:db8::bad",
	    "2001:db8::/32", "!10.200.0.0/16", NULL };
	struct cidr_list l = list_of(e);

	ck_assert(match_sa(&l, "10.1.2.4"));
	ck_assert(!match_sa(&l, "10.1.2.3"));	/* order does not matter */
	ck_assert(!match_sa(&l, "10.200.9.9"));
	ck_assert(!match_sa(&l, "::ffff:10.1.2.3"));
	ck_assert(match_sa(&l, "2001:db8::600d"));
	ck_assert(!match_sa(&l, "2001:db8::bad"));
	cidr_free(&l);
}
END_TEST

START_TEST(names)
{
	static const char *const e[] = { "localhost", "mx.Example.org", ".corp.example",
	    "web*.example.net", "!web9.example.net", NULL };
	struct cidr_list l = list_of(e);

	ck_assert(cidr_match(&l, NULL, "LOCALHOST"));
	ck_assert(cidr_match(&l, NULL, "mx.example.ORG"));
	ck_assert(!cidr_match(&l, NULL, "mx2.example.org"));
	ck_assert(cidr_match(&l, NULL, "a.b.corp.example"));
	ck_assert(!cidr_match(&l, NULL, "corp.example"));
	ck_assert(!cidr_match(&l, NULL, "evilcorp.example"));
	ck_assert(cidr_match(&l, NULL, "web12.example.net"));
	ck_assert(!cidr_match(&l, NULL, "web9.example.net"));
	ck_assert(!cidr_match(&l, NULL, NULL));
	ck_assert(!cidr_match(&l, NULL, ""));
	ck_assert(cidr_match_str(&l, "192.0.2.1", "localhost"));
	cidr_free(&l);
}
END_TEST

START_TEST(bad_entries)
{
	static const char *const bad[] = { "10.0.0.300", "10.0.0.0/33", "::1/129", "10.0.0.0/",
	    "10.0.0.0/x", "1.2.3.4/8/9", "2001:db8::zz", "", "!", "host name", "a/8",
	    "10.0.0.0/-1", NULL };
	struct cidr_list l = { NULL, 0 };
	char err[256];
	size_t i;

	for (i = 0; bad[i]; i++) {
		err[0] = '\0';
		ck_assert_msg(cidr_add(&l, bad[i], err, sizeof(err)) < 0, "'%s' accepted", bad[i]);
		ck_assert_msg(err[0] != '\0', "no message for '%s'", bad[i]);
	}
	ck_assert_uint_eq(l.n, 0);
	ck_assert(cidr_add(&l, "10.0.0.0/0", err, sizeof(err)) == 0);
	ck_assert(match_sa(&l, "203.0.113.9"));
	ck_assert(!match_sa(&l, "::2"));
	cidr_free(&l);
	ck_assert_ptr_null(l.v);
}
END_TEST

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("cidr");
	TCase *tc = tm_case(s, "cidr", 0);

	tm_add(tc, ipv4, ipv6, negation, names, bad_entries, NULL);
	return tm_run(s, CK_FORK_GETENV);
}
