/*
 * rotcheck.c - is a record visible? Asked of every authoritative server of
 * the zone, over UDP and over TCP (a long RSA record may only come whole
 * over TCP), and of the resolver postdkim verifies with, built by the same
 * code from the same settings (verify/). Records are compared on the tags
 * that make a key (rotmatch.h), not byte for byte: servers may split the
 * strings differently.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../verify/resolver.h"
#include "../verify/verifier.h"
#include "rotctx.h"
#include "rotmatch.h"

/* The record's name. */
void
rot_record_name(const struct rotctx *c, const char *domain, const char *sel, char *out,
    size_t size)
{
	if (c->rc->delegate != NULL)
		snprintf(out, size, "%s.%s.%s", sel, domain, c->rc->delegate);
	else
		snprintf(out, size, "%s._domainkey.%s", sel, domain);
}

/* The zone: the delegated one, or the SOA's owner. */
int
rot_zone(struct rotctx *c, const char *name, char *zone, size_t size, char *why,
    size_t whysize)
{
	struct rotdns *d;

	if (c->rc->delegate != NULL) {
		snprintf(zone, size, "%s", c->rc->delegate);
		return 0;
	}
	if ((d = rot_dns(c, why, whysize)) == NULL)
		return -1;
	return rotdns_zone(d, name, zone, size, why, whysize);
}

/* Ask every authoritative server, both transports. */
int
rot_everywhere(struct rotctx *c, const char *zone, const char *name, const char *want,
    char *why, size_t whysize)
{
	struct rotserver s[ROTDNS_SERVERS_MAX];
	struct rotdns_txt t;
	enum rotdns_txt_status st;
	struct rotdns *d;
	size_t n, i;
	int tcp, ok = 1;

	if ((d = rot_dns(c, why, whysize)) == NULL ||
	    rotdns_servers(d, c->rc->authoritative, zone, s, &n, why, whysize) < 0)
		return 0;
	for (i = 0; i < n && ok; i++)
		for (tcp = 0; tcp < 2 && ok; tcp++) {
			st = rotdns_txt(d, &s[i], tcp, name, &t, why, whysize);
			/* Too big for UDP: what counts is the TCP answer, asked next. */
			if (st == TXT_TRUNCATED)
				continue;
			if (st == TXT_FAIL)
				ok = 0;
			else if (want == NULL && st == TXT_FOUND) {
				snprintf(why, whysize, "%s@%u (%s) still answers a record at %s",
				    s[i].addr, s[i].port, tcp ? "TCP" : "UDP", name);
				ok = 0;
			} else if (want != NULL && st == TXT_NONE) {
				snprintf(why, whysize, "%s@%u (%s) has no record at %s yet", s[i].addr,
				    s[i].port, tcp ? "TCP" : "UDP", name);
				ok = 0;
			} else if (want != NULL && (t.total != 1 || t.n != 1)) {
				snprintf(why, whysize, "%s@%u (%s) answers %zu records at %s", s[i].addr,
				    s[i].port, tcp ? "TCP" : "UDP", t.total, name);
				ok = 0;
			} else if (want != NULL && !rotmatch_record(t.rec[0], want)) {
				snprintf(why, whysize, "%s@%u (%s) answers another record at %s",
				    s[i].addr, s[i].port, tcp ? "TCP" : "UDP", name);
				ok = 0;
			}
			rotdns_txt_free(&t);
		}
	return ok;
}

/* What postdkim's own resolver says. */
int
rot_resolver_sees(struct rotctx *c, const char *domain, const char *sel, const char *want,
    char *why, size_t whysize)
{
	struct resolver_query q;
	struct resolver *r;
	int ok = 0;

	if ((r = rot_resolver(c, why, whysize)) == NULL)
		return 0;
	memset(&q, 0, sizeof(q));
	q.domain = domain;
	q.selector = sel;
	resolver_lookup(r, &q, 1);
	if (q.status == RES_FOUND && rotmatch_record(q.txt, want))
		ok = 1;
	else if (q.status == RES_FOUND)
		snprintf(why, whysize, "the resolver answers another record for %s._domainkey.%s",
		    sel, domain);
	else
		snprintf(why, whysize, "the resolver does not answer %s._domainkey.%s yet (%s)", sel,
		    domain, q.reason[0] ? q.reason : "no record");
	resolver_query_clear(&q);
	return ok;
}
