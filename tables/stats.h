/*
 * stats.h - the daemon's counters, gauges and latency histograms, kept in
 * one process-wide set of C11 atomics (relaxed): a message's path bumps a
 * few of them and takes no lock. Every room from tables/ up counts here;
 * the metrics endpoint (daemon/metrics_http.c) writes them out in the
 * Prometheus text format, and stats_log_line() sums up what changed since
 * its last call for the log.
 *
 * Nothing here grows with the configuration: every series is fixed at
 * build time, but for the at most STATS_DOMAINS_MAX domains MetricsDomains
 * names, which get series of their own.
 */
#ifndef POSTDKIM_STATS_H
#define POSTDKIM_STATS_H

#include <stddef.h>

#include "../dkim/dbuf.h"

/* How a message was handled (label mode). */
enum stats_mode {
	STATS_MODE_SIGN,	/* ours: signed, or left unsigned for a reason */
	STATS_MODE_VERIFY,	/* not ours: verified */
	STATS_MODE_NONE,	/* neither (not ours in Mode s, PeerList, ExemptDomains) */
	STATS_NMODES
};

/* What became of it (label action). */
enum stats_action {
	STATS_ACT_SIGNED,	/* mode sign only */
	STATS_ACT_ACCEPT,
	STATS_ACT_TEMPFAIL,
	STATS_ACT_REJECT,
	STATS_ACT_DISCARD,
	STATS_ACT_QUARANTINE,
	STATS_NACTIONS
};

/* Why mail of ours was left unsigned or tempfailed (label reason). */
enum stats_reason {
	STATS_NS_NONE = 0,		/* not a failure */
	STATS_NS_NO_KEY_ENTRY,		/* SigningTable names no (usable) KeyTable entry */
	STATS_NS_KEY_MISSING,		/* the key file does not exist */
	STATS_NS_KEY_UNSAFE,		/* RequireSafeKeys refused the key file */
	STATS_NS_KEY_UNREADABLE,	/* cannot be read, or not a key */
	STATS_NS_TABLE_UNAVAILABLE,	/* a data set (database, LDAP) did not answer */
	STATS_NS_INTERNAL,		/* out of memory, the MTA refused, stopping */
	STATS_NS_NO_SIGNING_RULE,	/* no SigningTable entry (Domain) for the From domain */
	STATS_NS_BAD_FROM,		/* no From, several, unusable, keys differ */
	STATS_NS_SIGNATURE_ERROR,	/* the signature could not be made (header too large...) */
	STATS_NS_DONT_SIGN_TO,		/* a recipient in DontSignMailTo */
	STATS_NREASONS
};

/* Verification results, per signature (label result), RFC 8601 words. */
enum stats_vresult {
	STATS_VR_PASS, STATS_VR_FAIL, STATS_VR_POLICY, STATS_VR_NEUTRAL,
	STATS_VR_TEMPERROR, STATS_VR_PERMERROR, STATS_VR_NONE,
	STATS_NVRESULTS
};

/* Plain counters, and the labelled families with their own functions below. */
enum stats_counter {
	STATS_FORGED_AR_REMOVED,	/* Authentication-Results fields */
	STATS_CONN_TOTAL,		/* milter connections opened */
	STATS_CONN_ABORTED,		/* messages the MTA abandoned */
	STATS_KEY_HITS, STATS_KEY_MISSES, STATS_KEY_EVICTIONS, STATS_KEY_LOAD_FAILURES,
	STATS_DNS_CACHE_HITS,
	STATS_RELOAD_OK, STATS_RELOAD_FAILED,
	STATS_NCOUNTERS
};

/* Gauges. */
enum stats_gauge {
	STATS_G_CONN_OPEN,		/* milter connections open */
	STATS_G_KEYS,			/* decoded keys held by the key cache */
	STATS_G_LAST_RELOAD,		/* Unix time of start or the last good reload */
	STATS_G_KEY_OLDEST_AGE,		/* seconds; -1: no file key in use */
	STATS_G_KEYS_OVERDUE,		/* older than RotateInterval; -1: not configured */
	STATS_NGAUGES
};

/* DNS lookups that went to the network, by outcome. */
enum stats_dns {
	STATS_DNS_FOUND, STATS_DNS_NONE, STATS_DNS_SERVFAIL, STATS_DNS_TIMEOUT, STATS_DNS_BAD,
	STATS_NDNS
};

/* Database and LDAP data sets, by back end. */
enum stats_db_backend { STATS_DB_PGSQL, STATS_DB_MYSQL, STATS_DB_LDAP, STATS_NDB };
enum stats_db_event {
	STATS_DB_LOOKUPS, STATS_DB_ERRORS, STATS_DB_RECONNECTS, STATS_DB_CACHE_HITS,
	STATS_NDBEVENTS
};

/* Latency histograms. */
enum stats_hist { STATS_H_SIGN, STATS_H_VERIFY, STATS_H_DNS, STATS_NHISTS };

/* MetricsDomains: domains with series of their own. */
#define STATS_DOMAINS_MAX 32

void stats_add(enum stats_counter c, unsigned long n);
void stats_message(enum stats_mode m, enum stats_action a);
/* Algorithm name as dkim_alg_name() gives it; others are not counted. */
void stats_signature(const char *alg);
void stats_not_signed(enum stats_reason r);
void stats_verify_result(enum stats_vresult r);
/* enum dkim_dnssec of a verified signature's key record. */
void stats_dnssec(int state);
/* A DNS lookup on the network: its outcome and how long it took. */
void stats_dns(enum stats_dns outcome, unsigned long long ns);
/* A database event; backend as in a DSN ("pgsql", "mysql", "ldap"). */
void stats_db(const char *backend, enum stats_db_event e);
void stats_observe(enum stats_hist h, unsigned long long ns);
void stats_gauge_add(enum stats_gauge g, long long delta);
void stats_gauge_set(enum stats_gauge g, long long v);
long long stats_gauge_get(enum stats_gauge g);

/* Nanoseconds on the monotonic clock, for the histograms. */
unsigned long long stats_now_ns(void);

/* The RFC 8601 result word's counter index, or STATS_VR_NONE for an unknown word. */
enum stats_vresult stats_vresult_of(const char *word);

/*
 * DNS health: the number of network lookups in a row that got no answer
 * (timeout, SERVFAIL); any answer resets it.
 */
unsigned long stats_dns_unanswered(void);
/* DNS answered again (a probe of the health check). */
void stats_dns_answered(void);

/*
 * MetricsDomains: replace the list (at start and at each reload). A name
 * keeps its counters across reloads; at most STATS_DOMAINS_MAX names are
 * ever kept (the configuration refuses longer lists). 0, or -1 when the
 * slots are used up.
 */
int stats_domains_set(char *const *names, size_t n);
/* A message of domain (A-label, any case) was signed, or not. */
void stats_domain(const char *domain, int signed_ok);

/* The Prometheus text exposition (format 0.0.4) of everything, appended to out. */
void stats_expose(dbuf *out);

/*
 * One line for the log: the counters that changed since the previous call
 * ("messages sign/signed=12 ... "), or "no activity".
 */
void stats_log_line(dbuf *out);

#endif
