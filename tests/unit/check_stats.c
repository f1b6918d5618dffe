/*
 * check_stats.c - the counters' exposition (tables/stats.c): every series
 * there from the start, cumulative histogram buckets with their sum in
 * seconds, label values escaped, MetricsDomains bounded, and the log line
 * holding only what changed since the previous one. The counters are one
 * process-wide set: each test reads values before and after what it does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../../tables/stats.h"
#include "testmain.h"

/* The exposition now, as a string the caller frees. */
static char *
expose(void)
{
	dbuf b;

	dbuf_init(&b);
	stats_expose(&b);
	ck_assert(!dbuf_failed(&b));
	return b.data;
}

/* The value of a series ("name{labels}") in an exposition; fails when absent. */
static double
value(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p;

	for (p = text; (p = strstr(p, series)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	ck_abort_msg("series %s missing", series);
	return -1;
}

START_TEST(every_series_at_start)
{
	char *t = expose();

	ck_assert(value(t, "postdkim_not_signed_total{reason=\"table_unavailable\"}") >= 0);
	ck_assert(value(t, "postdkim_verify_results_total{result=\"permerror\"}") >= 0);
	ck_assert(value(t, "postdkim_messages_total{mode=\"sign\",action=\"signed\"}") >= 0);
	ck_assert(value(t, "postdkim_reloads_total{outcome=\"failed\"}") >= 0);
	ck_assert(value(t, "postdkim_db_reconnects_total{backend=\"ldap\"}") >= 0);
	/* "signed" belongs to mail of ours only; "none" is not a reason. */
	ck_assert_ptr_null(strstr(t, "mode=\"verify\",action=\"signed\""));
	ck_assert_ptr_null(strstr(t, "reason=\"none\""));
	/* Not configured: no age, no overdue count. */
	ck_assert_ptr_null(strstr(t, "\npostdkim_keys_older_than_rotate_interval "));
	ck_assert(strstr(t, "# TYPE postdkim_sign_duration_seconds histogram\n") != NULL);
	ck_assert_uint_lt(strlen(t), 51200);
	free(t);
}
END_TEST

START_TEST(counters_and_histograms)
{
	char *a = expose(), *b;

	stats_message(STATS_MODE_VERIFY, STATS_ACT_TEMPFAIL);
	stats_signature("ed25519-sha256");
	stats_signature("rsa-sha1");	/* not one we make: not counted */
	stats_not_signed(STATS_NS_KEY_UNSAFE);
	stats_not_signed(STATS_NS_NONE);
	stats_verify_result(stats_vresult_of("policy"));
	stats_verify_result(stats_vresult_of("bogus-word"));	/* counts as none */
	stats_add(STATS_FORGED_AR_REMOVED, 3);
	stats_db("PGSQL", STATS_DB_CACHE_HITS);
	stats_observe(STATS_H_SIGN, 40000);		/* 40 us: first bucket */
	stats_observe(STATS_H_SIGN, 1000000);		/* 1 ms: le="0.001" exactly */
	stats_observe(STATS_H_SIGN, 7000000000ULL);	/* 7 s: only +Inf */
	b = expose();
#define D(s) (value(b, s) - value(a, s))
	ck_assert(D("postdkim_messages_total{mode=\"verify\",action=\"tempfail\"}") == 1);
	ck_assert(D("postdkim_signatures_total{algorithm=\"ed25519-sha256\"}") == 1);
	ck_assert(D("postdkim_not_signed_total{reason=\"key_unsafe\"}") == 1);
	ck_assert(D("postdkim_verify_results_total{result=\"policy\"}") == 1);
	ck_assert(D("postdkim_verify_results_total{result=\"none\"}") == 1);
	ck_assert(D("postdkim_forged_ar_removed_total") == 3);
	ck_assert(D("postdkim_db_cache_hits_total{backend=\"pgsql\"}") == 1);
	ck_assert(D("postdkim_sign_duration_seconds_bucket{le=\"5e-05\"}") == 1);
	ck_assert(D("postdkim_sign_duration_seconds_bucket{le=\"0.0005\"}") == 1);
	ck_assert(D("postdkim_sign_duration_seconds_bucket{le=\"0.001\"}") == 2);
	ck_assert(D("postdkim_sign_duration_seconds_bucket{le=\"5\"}") == 2);
	ck_assert(D("postdkim_sign_duration_seconds_bucket{le=\"+Inf\"}") == 3);
	ck_assert(D("postdkim_sign_duration_seconds_count") == 3);
	/* 7.00104 s, to the nanosecond. */
	ck_assert(D("postdkim_sign_duration_seconds_sum") > 7.00103999 &&
	    D("postdkim_sign_duration_seconds_sum") < 7.00104001);
#undef D
	free(a);
	free(b);
}
END_TEST

START_TEST(dns_health)
{
	stats_dns(STATS_DNS_TIMEOUT, 5000000000ULL);
	stats_dns(STATS_DNS_SERVFAIL, 1000);
	ck_assert_uint_eq(stats_dns_unanswered(), 2);
	stats_dns(STATS_DNS_NONE, 1000);	/* NXDOMAIN is an answer */
	ck_assert_uint_eq(stats_dns_unanswered(), 0);
}
END_TEST

START_TEST(domains)
{
	char *names[STATS_DOMAINS_MAX + 1], buf[STATS_DOMAINS_MAX + 1][32], *t;
	char *odd[] = { "we\"ird\\.example" };
	size_t i;

	/* A label value is escaped (the configuration allows no such name; the format does). */
	ck_assert_int_eq(stats_domains_set(odd, 1), 0);
	t = expose();
	ck_assert(strstr(t, "{domain=\"we\\\"ird\\\\.example\"} 0\n") != NULL);
	free(t);

	for (i = 0; i <= STATS_DOMAINS_MAX; i++) {
		snprintf(buf[i], sizeof(buf[i]), "d%zu.example", i);
		names[i] = buf[i];
	}
	ck_assert_int_eq(stats_domains_set(names, 2), 0);
	stats_domain("D1.EXAMPLE", 1);
	stats_domain("other.example", 1);
	t = expose();
	ck_assert(value(t, "postdkim_domain_signed_total{domain=\"d1.example\"}") == 1);
	ck_assert(value(t, "postdkim_domain_not_signed_total{domain=\"d0.example\"}") == 0);
	ck_assert_ptr_null(strstr(t, "other.example"));
	free(t);
	/* A reload drops d0 from the list: its series go, its slot stays. */
	ck_assert_int_eq(stats_domains_set(names + 1, 1), 0);
	t = expose();
	ck_assert_ptr_null(strstr(t, "d0.example"));
	ck_assert(value(t, "postdkim_domain_signed_total{domain=\"d1.example\"}") == 1);
	free(t);
	/* Never more than STATS_DOMAINS_MAX names, whatever the reloads. */
	ck_assert_int_eq(stats_domains_set(names, STATS_DOMAINS_MAX + 1), -1);
	ck_assert_int_eq(stats_domains_set(names, 1), 0);
	t = expose();
	ck_assert(strstr(t, "d0.example") != NULL);
	ck_assert_ptr_null(strstr(t, "d1.example"));
	free(t);
}
END_TEST

START_TEST(log_line)
{
	dbuf b;

	dbuf_init(&b);
	stats_log_line(&b);		/* the baseline */
	dbuf_reset(&b);
	stats_log_line(&b);
	ck_assert_str_eq(b.data, "no activity");
	stats_message(STATS_MODE_SIGN, STATS_ACT_SIGNED);
	stats_message(STATS_MODE_SIGN, STATS_ACT_SIGNED);
	stats_not_signed(STATS_NS_KEY_MISSING);
	stats_add(STATS_RELOAD_OK, 1);
	stats_db("ldap", STATS_DB_ERRORS);
	dbuf_reset(&b);
	stats_log_line(&b);
	ck_assert_str_eq(b.data, "messages sign/signed=2 not_signed key_missing=1 reloads_ok=1 "
	    "db_errors ldap=1");
	dbuf_reset(&b);
	stats_log_line(&b);
	ck_assert_str_eq(b.data, "no activity");
	dbuf_free(&b);
}
END_TEST

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tm_case(s, "stats", 0);

	tm_add(tc, every_series_at_start, counters_and_histograms, dns_health, domains, log_line,
	    NULL);
	return tm_run(s, CK_FORK_GETENV);
}
