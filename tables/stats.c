/*
 * stats.c - the process-wide counters as relaxed C11 atomics, their
 * Prometheus text exposition and their one-line summary for the log.
 *
 * Every series lives in one flat array, described by a table of families
 * (name, help, labels): exposing them is one walk over a few hundred
 * numbers, whatever the size of the configuration. Label values are all
 * written from start-up, at 0, so that an increase() alert sees the first
 * occurrence.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "stats.h"

/* Label values, in enum order. */
static const char *const mode_names[STATS_NMODES] = { "sign", "verify", "none" };
static const char *const action_names[STATS_NACTIONS] = {
	"signed", "accept", "tempfail", "reject", "discard", "quarantine"
};
static const char *const reason_names[STATS_NREASONS] = {
	"none", "no_key_entry", "key_missing", "key_unsafe", "key_unreadable",
	"table_unavailable", "internal", "no_signing_rule", "bad_from", "signature_error",
	"dont_sign_to"
};
static const char *const vresult_names[STATS_NVRESULTS] = {
	"pass", "fail", "policy", "neutral", "temperror", "permerror", "none"
};
static const char *const alg_names[] = { "rsa-sha256", "ed25519-sha256" };
static const char *const dnssec_names[] = { "unvalidated", "secure", "insecure", "bogus" };
static const char *const dns_names[STATS_NDNS] = {
	"found", "nxdomain_or_nodata", "servfail", "timeout", "bad_answer"
};
static const char *const db_names[STATS_NDB] = { "pgsql", "mysql", "ldap" };

#define NALGS (sizeof(alg_names) / sizeof(alg_names[0]))
#define NDNSSEC (sizeof(dnssec_names) / sizeof(dnssec_names[0]))

/* Where each family starts in the flat array of counter series. */
enum {
	OFF_MSG = 0,
	OFF_SIG = OFF_MSG + STATS_NMODES * STATS_NACTIONS,
	OFF_NS = OFF_SIG + NALGS,
	OFF_VR = OFF_NS + STATS_NREASONS,
	OFF_DNSSEC = OFF_VR + STATS_NVRESULTS,
	OFF_DNS = OFF_DNSSEC + NDNSSEC,
	OFF_DB = OFF_DNS + STATS_NDNS,
	OFF_PLAIN = OFF_DB + STATS_NDB * STATS_NDBEVENTS,
	OFF_DOM_SIGNED = OFF_PLAIN + STATS_NCOUNTERS,
	OFF_DOM_NOT = OFF_DOM_SIGNED + STATS_DOMAINS_MAX,
	NSERIES = OFF_DOM_NOT + STATS_DOMAINS_MAX
};

static atomic_ullong st_ctr[NSERIES];
static atomic_llong st_gauge[STATS_NGAUGES] = { 0, 0, 0, -1, -1 };
static atomic_ulong st_dns_unanswered;

/* Histogram bounds in nanoseconds (and as written in le=). */
#define NBUCKETS 14
static const unsigned long long bound_ns[NBUCKETS] = {
	50000ULL, 100000ULL, 250000ULL, 500000ULL, 1000000ULL, 2500000ULL, 5000000ULL,
	10000000ULL, 25000000ULL, 50000000ULL, 100000000ULL, 250000000ULL, 1000000000ULL,
	5000000000ULL
};
static const char *const bound_le[NBUCKETS] = {
	"5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
	"0.05", "0.1", "0.25", "1", "5"
};

struct hist {
	atomic_ullong bucket[NBUCKETS + 1];	/* not cumulative; the last is +Inf */
	atomic_ullong sum_ns;
};
static struct hist st_hist[STATS_NHISTS];

/* MetricsDomains: names are written once, before their slot is published. */
static char st_domain[STATS_DOMAINS_MAX][256];
static atomic_size_t st_ndomains;
static atomic_int st_domain_on[STATS_DOMAINS_MAX];

/* Add to a series. */
static void ctr_add(size_t i, unsigned long long n)
{
	atomic_fetch_add_explicit(&st_ctr[i], n, memory_order_relaxed);
}

/* Read a series. */
static unsigned long long ctr_get(size_t i)
{
	return atomic_load_explicit(&st_ctr[i], memory_order_relaxed);
}

/* A plain counter. */
void stats_add(enum stats_counter c, unsigned long n)
{
	ctr_add(OFF_PLAIN + (size_t)c, n);
}

/* A message, by how it was handled and what became of it. */
void stats_message(enum stats_mode m, enum stats_action a)
{
	ctr_add(OFF_MSG + (size_t)m * STATS_NACTIONS + (size_t)a, 1);
}

/* A signature made. */
void stats_signature(const char *alg)
{
	size_t i;

	for (i = 0; i < NALGS; i++)
		if (strcmp(alg, alg_names[i]) == 0)
			ctr_add(OFF_SIG + i, 1);
}

/* Mail of ours not signed, by reason. */
void stats_not_signed(enum stats_reason r)
{
	if (r > STATS_NS_NONE && r < STATS_NREASONS)
		ctr_add(OFF_NS + (size_t)r, 1);
}

/* A verification result. */
void stats_verify_result(enum stats_vresult r)
{
	ctr_add(OFF_VR + (size_t)r, 1);
}

/* The DNSSEC state of a verified signature's key record. */
void stats_dnssec(int state)
{
	if (state >= 0 && (size_t)state < NDNSSEC)
		ctr_add(OFF_DNSSEC + (size_t)state, 1);
}

/* A key lookup on the network: outcome, latency, and the health count. */
void stats_dns(enum stats_dns outcome, unsigned long long ns)
{
	ctr_add(OFF_DNS + (size_t)outcome, 1);
	stats_observe(STATS_H_DNS, ns);
	if (outcome == STATS_DNS_SERVFAIL || outcome == STATS_DNS_TIMEOUT)
		atomic_fetch_add_explicit(&st_dns_unanswered, 1, memory_order_relaxed);
	else
		atomic_store_explicit(&st_dns_unanswered, 0, memory_order_relaxed);
}

/* Network lookups in a row without an answer. */
unsigned long stats_dns_unanswered(void)
{
	return atomic_load_explicit(&st_dns_unanswered, memory_order_relaxed);
}

/* DNS answered a probe: healthy again. */
void stats_dns_answered(void)
{
	atomic_store_explicit(&st_dns_unanswered, 0, memory_order_relaxed);
}

/* A database or LDAP event, by back end. */
void stats_db(const char *backend, enum stats_db_event e)
{
	size_t i;

	for (i = 0; i < STATS_NDB; i++)
		if (strcasecmp(backend, db_names[i]) == 0)
			ctr_add(OFF_DB + i * STATS_NDBEVENTS + (size_t)e, 1);
}

/* One observation of a histogram. */
void stats_observe(enum stats_hist h, unsigned long long ns)
{
	size_t b = 0;

	while (b < NBUCKETS && ns > bound_ns[b])
		b++;
	atomic_fetch_add_explicit(&st_hist[h].bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&st_hist[h].sum_ns, ns, memory_order_relaxed);
}

/* Move a gauge. */
void stats_gauge_add(enum stats_gauge g, long long delta)
{
	atomic_fetch_add_explicit(&st_gauge[g], delta, memory_order_relaxed);
}

/* Set a gauge. */
void stats_gauge_set(enum stats_gauge g, long long v)
{
	atomic_store_explicit(&st_gauge[g], v, memory_order_relaxed);
}

/* Read a gauge. */
long long stats_gauge_get(enum stats_gauge g)
{
	return atomic_load_explicit(&st_gauge[g], memory_order_relaxed);
}

/* Nanoseconds on the monotonic clock. */
unsigned long long stats_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

/* The counter of an RFC 8601 result word. */
enum stats_vresult stats_vresult_of(const char *word)
{
	size_t i;

	for (i = 0; i < STATS_NVRESULTS; i++)
		if (strcmp(word, vresult_names[i]) == 0)
			return (enum stats_vresult)i;
	return STATS_VR_NONE;
}

/* Replace the MetricsDomains list; names already seen keep their slot. */
int stats_domains_set(char *const *names, size_t n)
{
	size_t i, j, have = atomic_load(&st_ndomains);
	int rc = 0;

	for (j = 0; j < have; j++)
		atomic_store(&st_domain_on[j], 0);
	for (i = 0; i < n; i++) {
		for (j = 0; j < have; j++)
			if (strcasecmp(st_domain[j], names[i]) == 0)
				break;
		if (j == have) {
			if (have == STATS_DOMAINS_MAX) {
				rc = -1;
				continue;
			}
			snprintf(st_domain[have], sizeof(st_domain[have]), "%s", names[i]);
			/* Published after its name is written: readers load the count first. */
			atomic_store(&st_ndomains, ++have);
		}
		atomic_store(&st_domain_on[j], 1);
	}
	return rc;
}

/* A message of a MetricsDomains domain, signed or not (others are not counted). */
void stats_domain(const char *domain, int signed_ok)
{
	size_t i, n = atomic_load_explicit(&st_ndomains, memory_order_acquire);

	for (i = 0; i < n; i++)
		if (atomic_load_explicit(&st_domain_on[i], memory_order_relaxed) &&
		    strcasecmp(st_domain[i], domain) == 0) {
			ctr_add((signed_ok ? OFF_DOM_SIGNED : OFF_DOM_NOT) + i, 1);
			return;
		}
}

/* A counter family: one or two labels, each over a list of values. */
struct family {
	const char *name, *help;
	size_t off;
	const char *l1;
	const char *const *v1;
	size_t n1, skip1;	/* values from skip1 on */
	const char *l2;
	const char *const *v2;
	size_t n2;
};

static const struct family families[] = {
	{ "postdkim_messages_total", "Messages by how they were handled and what became of them.",
	  OFF_MSG, "mode", mode_names, STATS_NMODES, 0, "action", action_names, STATS_NACTIONS },
	{ "postdkim_signatures_total", "DKIM signatures made, by algorithm.",
	  OFF_SIG, "algorithm", alg_names, NALGS, 0, NULL, NULL, 0 },
	{ "postdkim_not_signed_total",
	  "Messages of ours left unsigned, tempfailed or missing a signature, by reason.",
	  OFF_NS, "reason", reason_names, STATS_NREASONS, 1, NULL, NULL, 0 },
	{ "postdkim_verify_results_total",
	  "Verification results per signature (an unsigned message counts once as none).",
	  OFF_VR, "result", vresult_names, STATS_NVRESULTS, 0, NULL, NULL, 0 },
	{ "postdkim_verify_dnssec_total",
	  "Verified signatures by the DNSSEC state of their key record.",
	  OFF_DNSSEC, "state", dnssec_names, NDNSSEC, 0, NULL, NULL, 0 },
	{ "postdkim_dns_lookups_total", "DNS key lookups sent to the network, by outcome.",
	  OFF_DNS, "outcome", dns_names, STATS_NDNS, 0, NULL, NULL, 0 },
};

/* The plain counters. */
static const struct {
	const char *name, *help;
} plain[STATS_NCOUNTERS] = {
	{ "postdkim_forged_ar_removed_total",
	  "Authentication-Results fields claiming to be ours, removed." },
	{ "postdkim_milter_connections_total", "Milter connections from the MTA." },
	{ "postdkim_milter_aborted_total", "Messages the MTA abandoned before their end." },
	{ "postdkim_key_cache_hits_total", "Key lookups answered by the key cache." },
	{ "postdkim_key_cache_misses_total", "Key lookups that had to read or decode a key." },
	{ "postdkim_key_cache_evictions_total", "Keys dropped from the full key cache." },
	{ "postdkim_key_load_failures_total", "Keys that could not be loaded." },
	{ "postdkim_dns_cache_hits_total", "DNS key lookups answered by the cache." },
};

static const char *const db_event_names[STATS_NDBEVENTS] = {
	"postdkim_db_lookups_total", "postdkim_db_errors_total", "postdkim_db_reconnects_total",
	"postdkim_db_cache_hits_total"
};
static const char *const db_event_help[STATS_NDBEVENTS] = {
	"Database and LDAP table lookups, by back end.",
	"Database and LDAP table lookups or connections that failed, by back end.",
	"Database and LDAP connections opened again after a failure, by back end.",
	"Database and LDAP table lookups answered by the cache, by back end."
};

static const struct {
	const char *name, *help;
} hists[STATS_NHISTS] = {
	{ "postdkim_sign_duration_seconds", "Time to compute one signature at the end of a message." },
	{ "postdkim_verify_duration_seconds",
	  "Time a verified message spent in verification (key lookups and checks)." },
	{ "postdkim_dns_lookup_duration_seconds", "Time of a DNS key lookup sent to the network." },
};

/* HELP and TYPE lines. */
static void expose_head(dbuf *out, const char *name, const char *help, const char *type)
{
	dbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \, " and newline escaped. */
static void expose_value(dbuf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			dbuf_addc(out, '\\');
		if (*v == '\n') {
			dbuf_adds(out, "\\n");
			continue;
		}
		dbuf_addc(out, *v);
	}
}

/* Seconds from nanoseconds, exact to the nanosecond. */
static void expose_seconds(dbuf *out, unsigned long long ns)
{
	dbuf_printf(out, "%llu.%09llu", ns / 1000000000ULL, ns % 1000000000ULL);
}

/* One histogram. */
static void expose_hist(dbuf *out, size_t h)
{
	unsigned long long cum = 0;
	size_t b;

	expose_head(out, hists[h].name, hists[h].help, "histogram");
	for (b = 0; b <= NBUCKETS; b++) {
		cum += atomic_load_explicit(&st_hist[h].bucket[b], memory_order_relaxed);
		dbuf_printf(out, "%s_bucket{le=\"%s\"} %llu\n", hists[h].name,
		    b < NBUCKETS ? bound_le[b] : "+Inf", cum);
	}
	dbuf_printf(out, "%s_sum ", hists[h].name);
	expose_seconds(out, atomic_load_explicit(&st_hist[h].sum_ns, memory_order_relaxed));
	dbuf_printf(out, "\n%s_count %llu\n", hists[h].name, cum);
}

/* A gauge when it has a value (negative: not applicable). */
static void expose_gauge(dbuf *out, const char *name, const char *help, enum stats_gauge g)
{
	long long v = stats_gauge_get(g);

	if (v < 0)
		return;
	expose_head(out, name, help, "gauge");
	dbuf_printf(out, "%s %lld\n", name, v);
}

/* The per-domain series of MetricsDomains. */
static void expose_domains(dbuf *out)
{
	size_t i, k, n = atomic_load_explicit(&st_ndomains, memory_order_acquire);
	static const char *const names[2] = {
		"postdkim_domain_signed_total", "postdkim_domain_not_signed_total"
	};
	static const char *const help[2] = {
		"Messages signed, for the domains of MetricsDomains.",
		"Messages of ours left unsigned or tempfailed, for the domains of MetricsDomains."
	};

	for (k = 0; k < 2; k++) {
		expose_head(out, names[k], help[k], "counter");
		for (i = 0; i < n; i++) {
			if (!atomic_load(&st_domain_on[i]))
				continue;
			dbuf_printf(out, "%s{domain=\"", names[k]);
			expose_value(out, st_domain[i]);
			dbuf_printf(out, "\"} %llu\n", ctr_get((k ? OFF_DOM_NOT : OFF_DOM_SIGNED) + i));
		}
	}
}

/* The whole exposition: counters, histograms, gauges, per-domain series. */
void stats_expose(dbuf *out)
{
	const struct family *f;
	size_t i, j, k;

	for (k = 0; k < sizeof(families) / sizeof(families[0]); k++) {
		f = &families[k];
		expose_head(out, f->name, f->help, "counter");
		for (i = f->skip1; i < f->n1; i++)
			for (j = 0; j < (f->l2 ? f->n2 : 1); j++) {
				/* "signed" is an action of mail of ours only. */
				if (f->off == OFF_MSG && j == STATS_ACT_SIGNED && i != STATS_MODE_SIGN)
					continue;
				dbuf_printf(out, "%s{%s=\"%s\"", f->name, f->l1, f->v1[i]);
				if (f->l2)
					dbuf_printf(out, ",%s=\"%s\"", f->l2, f->v2[j]);
				dbuf_printf(out, "} %llu\n", ctr_get(f->off + i * (f->l2 ? f->n2 : 1) + j));
			}
	}
	for (k = 0; k < STATS_NCOUNTERS; k++) {
		if (k == STATS_RELOAD_OK || k == STATS_RELOAD_FAILED)
			continue;
		expose_head(out, plain[k].name, plain[k].help, "counter");
		dbuf_printf(out, "%s %llu\n", plain[k].name, ctr_get(OFF_PLAIN + k));
	}
	expose_head(out, "postdkim_reloads_total", "Configuration reloads (start-up not counted).",
	    "counter");
	dbuf_printf(out, "postdkim_reloads_total{outcome=\"ok\"} %llu\n",
	    ctr_get(OFF_PLAIN + STATS_RELOAD_OK));
	dbuf_printf(out, "postdkim_reloads_total{outcome=\"failed\"} %llu\n",
	    ctr_get(OFF_PLAIN + STATS_RELOAD_FAILED));
	for (k = 0; k < STATS_NDBEVENTS; k++) {
		expose_head(out, db_event_names[k], db_event_help[k], "counter");
		for (i = 0; i < STATS_NDB; i++)
			dbuf_printf(out, "%s{backend=\"%s\"} %llu\n", db_event_names[k], db_names[i],
			    ctr_get(OFF_DB + i * STATS_NDBEVENTS + k));
	}
	for (k = 0; k < STATS_NHISTS; k++)
		expose_hist(out, k);
	expose_gauge(out, "postdkim_milter_connections_open", "Milter connections open now.",
	    STATS_G_CONN_OPEN);
	expose_gauge(out, "postdkim_key_cache_keys", "Decoded private keys held by the key cache.",
	    STATS_G_KEYS);
	expose_gauge(out, "postdkim_last_reload_success_timestamp_seconds",
	    "Unix time of the last successful reload (start time until the first).",
	    STATS_G_LAST_RELOAD);
	expose_gauge(out, "postdkim_key_oldest_age_seconds",
	    "Age of the oldest key file held by the key cache (from its modification time).",
	    STATS_G_KEY_OLDEST_AGE);
	expose_gauge(out, "postdkim_keys_older_than_rotate_interval",
	    "Key files held by the key cache that are older than RotateInterval.",
	    STATS_G_KEYS_OVERDUE);
	expose_domains(out);
}

/* The previous values, for stats_log_line (one caller: the main thread). */
static unsigned long long st_last[NSERIES];

/* Append "name=delta" when a series changed since the last line (short name). */
static void log_series(dbuf *out, size_t idx, const char *full, const char *l1,
    const char *l2)
{
	unsigned long long v = ctr_get(idx), d = v - st_last[idx];
	const char *name = full + 9;
	int len = (int)strlen(name);

	st_last[idx] = v;
	if (d == 0)
		return;
	if (out->len > 0)
		dbuf_addc(out, ' ');
	if (len > 6 && strcmp(name + len - 6, "_total") == 0)
		len -= 6;
	dbuf_printf(out, "%.*s%s%s%s%s=%llu", len, name, l1 ? " " : "", l1 ? l1 : "", l2 ? "/" : "",
	    l2 ? l2 : "", d);
}

/* The changes since the previous line, for the log. */
void stats_log_line(dbuf *out)
{
	const struct family *f;
	size_t i, j, k, start = out->len;

	for (k = 0; k < sizeof(families) / sizeof(families[0]); k++) {
		f = &families[k];
		for (i = f->skip1; i < f->n1; i++)
			for (j = 0; j < (f->l2 ? f->n2 : 1); j++)
				log_series(out, f->off + i * (f->l2 ? f->n2 : 1) + j, f->name, f->v1[i],
				    f->l2 ? f->v2[j] : NULL);
	}
	for (k = 0; k < STATS_NCOUNTERS; k++)
		log_series(out, OFF_PLAIN + k, k == STATS_RELOAD_OK ? "postdkim_reloads_ok" :
		    k == STATS_RELOAD_FAILED ? "postdkim_reloads_failed" : plain[k].name, NULL, NULL);
	for (i = 0; i < STATS_NDB; i++)
		for (k = 0; k < STATS_NDBEVENTS; k++)
			log_series(out, OFF_DB + i * STATS_NDBEVENTS + k, db_event_names[k],
			    db_names[i], NULL);
	if (out->len == start)
		dbuf_adds(out, "no activity");
}
