/*
 * resolver.h - key records from DNS through libunbound.
 *
 * One resolver serves the whole daemon: one libunbound context, hence one
 * cache that honours TTLs, shared by every connection thread. A message's
 * lookups are sent together and waited for together, the whole wait
 * bounded by one timeout (DNSTimeout). Hostile answers (huge, binary,
 * several records) become a status with a reason, never a crash.
 * dkimrotate asks its other questions (SOA, NS, addresses) through the
 * same resolver, so that it sees DNS as postdkim does, validated alike.
 */
#ifndef POSTDKIM_RESOLVER_H
#define POSTDKIM_RESOLVER_H

#include <stddef.h>

/* Longest key record accepted (TXT strings concatenated). */
#define RESOLVER_TXT_MAX 16384

struct resolver_opts {
	/* "addr" or "addr@port" to forward to; none: /etc/resolv.conf. */
	const char *const *nameservers;
	size_t nnameservers;
	const char *resolv_conf;	/* NULL: /etc/resolv.conf */
	const char *trust_anchor_file;	/* DNSSEC validation when set */
	const char *config_file;	/* an unbound.conf for libunbound (ub_ctx_config), or NULL */
	unsigned timeout_ms;		/* one message's whole wait */
};

/*
 * Where libunbound's own messages go, a line at a time, with anything but
 * printable ASCII escaped (they may name what the network sent); by
 * default standard error. Set once, before the first resolver_new().
 */
void resolver_log_to(void (*log)(const char *line));

struct resolver;

/*
 * Build the shared resolver: its settings and files are read and checked
 * now (on failure, err says why), libunbound's context is made when a
 * first key record is looked up, or now when it validates (its trust
 * anchors can only be checked by libunbound).
 */
int resolver_new(const struct resolver_opts *o, struct resolver **out, char *err,
    size_t errsize);
/* Drop a reference; the last one frees the resolver. */
void resolver_free(struct resolver *r);

/*
 * A reload keeps the resolver in force, caches and all, when nothing it was
 * built from changed (options, resolv.conf, trust anchor file): then
 * resolver_keep() returns a new reference to old, else NULL.
 */
struct resolver *resolver_keep(struct resolver *old, const struct resolver *fresh);

enum resolver_status {
	RES_FOUND,	/* txt holds the record */
	RES_NONE,	/* no such name, or no TXT record there */
	RES_TEMPFAIL,	/* SERVFAIL, timeout, network trouble */
	RES_BAD,	/* an answer no key record can come from (several, too long) */
};

/* What DNSSEC said, as enum dkim_dnssec (0 unknown, secure, insecure, bogus). */
struct resolver_query {
	const char *domain, *selector;	/* in: the name is selector._domainkey.domain */
	enum resolver_status status;	/* out */
	char *txt;			/* out, RES_FOUND: NUL-terminated, caller frees */
	size_t len;
	int dnssec;
	char reason[160];
};

/*
 * Look up n key records at once and wait for all of them, at most the
 * resolver's timeout in total. Every query gets a status and, unless found,
 * a reason. Safe to call from any number of threads at once.
 */
void resolver_lookup(struct resolver *r, struct resolver_query *q, size_t n);

/* Free what a lookup left in q. */
void resolver_query_clear(struct resolver_query *q);

/*
 * Ask name's records of type rrtype (as numbered in DNS: 6 SOA, 2 NS...)
 * through the same context, its cache and trust anchors, bounded by the
 * resolver's timeout; for dkimrotate, not counted in the metrics. 0 when
 * answered (an NXDOMAIN or an empty answer too): *wire holds the whole
 * answer packet (the caller parses it, and frees it), *dnssec says what
 * DNSSEC said (as in resolver_query). -1 with why on SERVFAIL, a timeout,
 * or, when validating, an answer DNSSEC proves bogus ("DNSSEC validation
 * failed: ..."). Safe to call from any number of threads at once.
 */
int resolver_ask(struct resolver *r, const char *name, int rrtype, unsigned char **wire,
    size_t *len, int *dnssec, char *why, size_t whysize);

/* One question of resolver_ask_all: name and rrtype in, the rest out. */
struct resolver_question {
	const char *name;
	int rrtype;
	int ok;			/* 0: answered, wire, len and dnssec as resolver_ask's; -1: why */
	unsigned char *wire;
	size_t len;
	int dnssec;
	char why[300];
};

/*
 * The n questions of v asked together and waited for once, bounded by the
 * resolver's timeout: from one thread, rather than resolver_ask from many,
 * whose waiters wake each other at every answer.
 */
void resolver_ask_all(struct resolver *r, struct resolver_question *v, size_t n);

/*
 * The health check of the metrics endpoint: ask again for the last key
 * record that got no answer (timeout, SERVFAIL), not counted in the
 * metrics. 1 when DNS answers it now, 0 when it still does not, -1 when
 * nothing went unanswered.
 */
int resolver_probe(struct resolver *r);

#endif
