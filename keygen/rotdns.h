/*
 * rotdns.h - the DNS dkimrotate needs beyond key records: the zone of a
 * name (from the SOA answered for it, as nsupdate finds it) and the zone's
 * authoritative servers (its NS and their addresses, or
 * RotateAuthoritative), asked through postdkim's own resolver (verify/
 * resolver.h: Nameservers, DNSSEC-validated with a TrustAnchorFile, so a
 * forged NS cannot choose the servers checked or updated); the TXT
 * records one server answers over UDP or TCP, for many names at once
 * (rottxt.c); and, through libldns, RFC 2136 UPDATE signed with TSIG.
 *
 * Everything a server says is hostile: answers are bounded, and any text
 * taken from them is escaped before it reaches a message.
 */
#ifndef DKIMROTATE_ROTDNS_H
#define DKIMROTATE_ROTDNS_H

#include <stddef.h>
#include "tsigkey.h"

#define ROTDNS_SERVERS_MAX 16
#define ROTDNS_TXT_MAX 8	/* records kept from one answer */
#define ROTDNS_TXT_LEN 8192	/* bytes of one record kept */

struct rotserver {
	char addr[64];		/* numeric IPv4 or IPv6 */
	unsigned port;
};

struct rotdns;
struct resolver;

/*
 * The helpers, asking res (which must outlive them, and stays the
 * caller's) for SOA, NS, addresses and CNAME; timeout_ms bounds each
 * question to one server. They hold no libldns object: any number of
 * threads may use one at once. 0, or -1 with err.
 */
int rotdns_new(struct resolver *res, unsigned timeout_ms, struct rotdns **out, char *err,
    size_t errsize);
void rotdns_free(struct rotdns *d);
/* The bound of a question to one server, in milliseconds. */
unsigned rotdns_timeout(const struct rotdns *d);

/* Parse "ADDR[@PORT]" (port 53 by default); 0, or -1. */
int rotdns_parse_server(const char *s, struct rotserver *out);

/*
 * The zone holding name, from the SOA answered for it (the answer's, else
 * the authority section's); 0, or -1 with why (a bogus answer: "DNSSEC
 * validation failed").
 */
int rotdns_zone(struct rotdns *d, const char *name, char *zone, size_t zonesize, char *why,
    size_t whysize);

/* One question of rotdns_zone_all: name in; the zone, or why, into the caller's buffers. */
struct rotdns_zoneq {
	const char *name;
	char *zone, *why;
	size_t zonesize, whysize;
	int ok;			/* 0, or -1 with why */
};

/* rotdns_zone for the n names of v, asked of the resolver together, from one thread. */
void rotdns_zone_all(struct rotdns *d, struct rotdns_zoneq *v, size_t n);

/*
 * The zone's authoritative servers: RotateAuthoritative's list when list is
 * not NULL, else the addresses of the zone's NS (port 53). 0, or -1 with
 * why, also when the address of one NS cannot be known.
 */
int rotdns_servers(struct rotdns *d, const char *list, const char *zone,
    struct rotserver *out, size_t *n, char *why, size_t whysize);

/* TXT_TRUNCATED: over UDP, the answer did not fit (resolvers then ask over TCP). */
enum rotdns_txt_status { TXT_FOUND, TXT_NONE, TXT_FAIL, TXT_TRUNCATED };

struct rotdns_txt {
	char *rec[ROTDNS_TXT_MAX];	/* each record's strings joined */
	size_t n;			/* records kept */
	size_t total;			/* TXT records answered */
};

/* One name of rotdns_txt_all: name in, the rest out. */
struct rotdns_txtq {
	const char *name;
	enum rotdns_txt_status st;
	struct rotdns_txt txt;		/* TXT_FOUND: free with rotdns_txt_free */
	char why[256];			/* TXT_FAIL */
};

/*
 * Ask server s (not recursively) for the TXT records at each name of v,
 * over one UDP socket or one TCP connection, the n questions at once,
 * bounded by timeout_ms (a group of 1,024). TXT_FAIL with why when there
 * is no authoritative answer. Any number of threads may call it at once.
 */
void rotdns_txt_all(const struct rotserver *s, int tcp, unsigned timeout_ms,
    struct rotdns_txtq *v, size_t n);

/* The same for one name, bounded by the helpers' timeout. */
enum rotdns_txt_status rotdns_txt(struct rotdns *d, const struct rotserver *s, int tcp,
    const char *name, struct rotdns_txt *out, char *why, size_t whysize);
void rotdns_txt_free(struct rotdns_txt *t);

/* One change of an UPDATE: record replaces the TXT records at name (NULL: removes them). */
struct rotdns_op {
	const char *name;
	const char *record;
};

/*
 * The n changes of ops, all in zone, by one UPDATE to server (over TCP),
 * signed with key; records split in 255-byte strings. The server applies
 * all of them or none. 0, or -1 with why and, in *rcode, the server's
 * refusal (REFUSED, NOTAUTH for a TSIG error...) or -1 when it did not
 * answer.
 */
int rotdns_update(struct rotdns *d, const struct rotserver *server, const struct tsigkey *key,
    const char *zone, const struct rotdns_op *ops, size_t n, unsigned ttl, int *rcode,
    char *why, size_t whysize);

/* The target of the CNAME at name, through the resolver; 0, or -1 with why. */
int rotdns_cname(struct rotdns *d, const char *name, char *out, size_t size, char *why,
    size_t whysize);

#endif
