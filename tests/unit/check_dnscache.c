/*
 * check_dnscache.c - the resolver's answer cache: a record and "no record"
 * come back as stored (a copy the caller frees), names match without case,
 * temporary failures and DNSSEC-bogus answers are never kept, an entry
 * ends with its TTL, and a colliding name replaces the older entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../../verify/dnscache.h"
#include "testmain.h"

static struct resolver_query
answer(enum resolver_status st, const char *txt, int dnssec)
{
	struct resolver_query q;

	memset(&q, 0, sizeof(q));
	q.status = st;
	q.dnssec = dnssec;
	if (txt != NULL) {
		q.txt = strdup(txt);
		q.len = strlen(txt);
	}
	snprintf(q.reason, sizeof(q.reason), "%s", st == RES_NONE ? "no such name" : "");
	return q;
}

START_TEST(found_and_none)
{
	struct dnscache *c = dnscache_new();
	struct resolver_query in = answer(RES_FOUND, "v=DKIM1; p=abc", 2), out;
	struct resolver_query nx = answer(RES_NONE, NULL, 0);

	ck_assert_ptr_nonnull(c);
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(dnscache_get(c, "s._domainkey.example.net", &out), 0);
	dnscache_put(c, "s._domainkey.example.net", &in, 300);
	resolver_query_clear(&in);	/* the cache holds its own copy */
	ck_assert_int_eq(dnscache_get(c, "S._DomainKey.Example.NET", &out), 1);
	ck_assert_int_eq(out.status, RES_FOUND);
	ck_assert_str_eq(out.txt, "v=DKIM1; p=abc");
	ck_assert_uint_eq(out.len, 14);
	ck_assert_int_eq(out.dnssec, 2);
	resolver_query_clear(&out);
	dnscache_put(c, "nx._domainkey.example.net", &nx, 60);
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(dnscache_get(c, "nx._domainkey.example.net", &out), 1);
	ck_assert_int_eq(out.status, RES_NONE);
	ck_assert_ptr_null(out.txt);
	ck_assert_str_eq(out.reason, "no such name");
	dnscache_free(c);
}
END_TEST

START_TEST(not_kept)
{
	struct dnscache *c = dnscache_new();
	struct resolver_query t = answer(RES_TEMPFAIL, NULL, 0), out;
	struct resolver_query b = answer(RES_FOUND, "v=DKIM1; p=abc", 3);
	struct resolver_query z = answer(RES_FOUND, "v=DKIM1; p=abc", 0);
	struct resolver_query bad = answer(RES_BAD, NULL, 0);

	dnscache_put(c, "t._domainkey.example.net", &t, 300);
	dnscache_put(c, "b._domainkey.example.net", &b, 300);
	dnscache_put(c, "z._domainkey.example.net", &z, 0);
	dnscache_put(c, "bad._domainkey.example.net", &bad, 300);
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(dnscache_get(c, "t._domainkey.example.net", &out), 0);
	ck_assert_int_eq(dnscache_get(c, "b._domainkey.example.net", &out), 0);
	ck_assert_int_eq(dnscache_get(c, "z._domainkey.example.net", &out), 0);
	ck_assert_int_eq(dnscache_get(c, "bad._domainkey.example.net", &out), 0);
	ck_assert_ptr_null(out.txt);
	resolver_query_clear(&b);
	resolver_query_clear(&z);
	dnscache_free(c);
}
END_TEST

START_TEST(ttl_ends)
{
	struct dnscache *c = dnscache_new();
	struct resolver_query in = answer(RES_FOUND, "v=DKIM1; p=x", 0), out;

	dnscache_put(c, "s._domainkey.example.net", &in, 1);
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(dnscache_get(c, "s._domainkey.example.net", &out), 1);
	resolver_query_clear(&out);
	usleep(1100 * 1000);
	ck_assert_int_eq(dnscache_get(c, "s._domainkey.example.net", &out), 0);
	resolver_query_clear(&in);
	dnscache_free(c);
}
END_TEST

START_TEST(collisions)
{
	struct dnscache *c = dnscache_new();
	struct resolver_query in, out;
	char name[64];
	int i, hits = 0;

	/* More names than slots: the table stays bounded, recent names answer. */
	for (i = 0; i < 2 * DNSCACHE_SLOTS; i++) {
		snprintf(name, sizeof(name), "s%d._domainkey.example.net", i);
		in = answer(RES_FOUND, name, 0);
		dnscache_put(c, name, &in, 300);
		resolver_query_clear(&in);
	}
	for (i = 0; i < 2 * DNSCACHE_SLOTS; i++) {
		snprintf(name, sizeof(name), "s%d._domainkey.example.net", i);
		memset(&out, 0, sizeof(out));
		if (dnscache_get(c, name, &out)) {
			ck_assert_str_eq(out.txt, name);	/* never another name's answer */
			hits++;
		}
		resolver_query_clear(&out);
	}
	ck_assert_int_le(hits, DNSCACHE_SLOTS);
	ck_assert_int_gt(hits, DNSCACHE_SLOTS / 2);
	dnscache_free(c);
}
END_TEST

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("dnscache");
	TCase *tc = tm_case(s, "dnscache", 30);

	tm_add(tc, found_and_none, not_kept, ttl_ends, collisions, NULL);
	return tm_run(s, CK_FORK_GETENV);
}
