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
#include "rotprobe.h"

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

/* The zone: the delegated one, or the SOA's owner, asked through d. */
int
rot_zone_with(const struct rotctx *c, struct rotdns *d, const char *name, char *zone,
    size_t size, char *why, size_t whysize)
{
	if (c->rc->delegate != NULL) {
		snprintf(zone, size, "%s", c->rc->delegate);
		return 0;
	}
	return rotdns_zone(d, name, zone, size, why, whysize);
}

/* The zone of name: the chunk's answer, a question for it, or asked now. */
int
rot_zone(struct rotctx *c, const char *name, char *zone, size_t size, char *why,
    size_t whysize)
{
	struct rotprobe *p = c->probe;
	struct rotdns *d;

	if (c->rc->delegate != NULL)
		return rot_zone_with(c, NULL, name, zone, size, why, whysize);
	if (p != NULL && p->state == RP_ANSWERED && p->kind == RP_ZONE &&
	    strcmp(p->name, name) == 0) {
		p->state = RP_NONE;
		if (!p->ok) {
			snprintf(why, whysize, "%s", p->why);
			return -1;
		}
		snprintf(zone, size, "%s", p->zone);
		return 0;
	}
	if (p != NULL && c->collect && p->state == RP_NONE) {
		rotprobe_clear(p);
		p->kind = RP_ZONE;
		snprintf(p->name, sizeof(p->name), "%s", name);
		p->state = RP_WANTED;
		return ROT_DEFER;
	}
	if ((d = rot_dns(c, why, whysize)) == NULL)
		return -1;
	return rot_zone_with(c, d, name, zone, size, why, whysize);
}

/*
 * Whether server s's answer (st, t; over TCP when tcp) at name is want
 * (NULL: no record at all); 0 with why when not. A UDP answer too big
 * passes: what counts is the TCP answer, asked too.
 */
int
rot_judge_txt(const struct rotserver *s, int tcp, const char *name, const char *want,
    enum rotdns_txt_status st, const struct rotdns_txt *t, char *why, size_t whysize)
{
	const char *how = tcp ? "TCP" : "UDP";

	if (st == TXT_TRUNCATED)
		return 1;
	if (st == TXT_FAIL)
		return 0;	/* why says it already */
	if (want == NULL && st == TXT_FOUND)
		snprintf(why, whysize, "%s@%u (%s) still answers a record at %s", s->addr, s->port,
		    how, name);
	else if (want != NULL && st == TXT_NONE)
		snprintf(why, whysize, "%s@%u (%s) has no record at %s yet", s->addr, s->port, how,
		    name);
	else if (want != NULL && (t->total != 1 || t->n != 1))
		snprintf(why, whysize, "%s@%u (%s) answers %zu records at %s", s->addr, s->port, how,
		    t->total, name);
	else if (want != NULL && !rotmatch_record(t->rec[0], want))
		snprintf(why, whysize, "%s@%u (%s) answers another record at %s", s->addr, s->port,
		    how, name);
	else
		return 1;
	return 0;
}

/*
 * The servers to ask about sel's record of domain (its name into name):
 * RotateAuthoritative's, else the NS of its zone. 0, or -1 with why.
 */
int
rot_servers_with(const struct rotctx *c, struct rotdns *d, const char *domain, const char *sel,
    char *name, size_t namesize, struct rotserver *s, size_t *n, char *why, size_t whysize)
{
	char zone[512] = "";

	rot_record_name(c, domain, sel, name, namesize);
	if ((c->rc->authoritative == NULL || c->rc->delegate != NULL) &&
	    rot_zone_with(c, d, name, zone, sizeof(zone), why, whysize) < 0)
		return -1;
	return rotdns_servers(d, c->rc->authoritative, zone, s, n, why, whysize);
}

/* Ask every authoritative server, both transports, through d. */
static int
everywhere_with(struct rotdns *d, const struct rotserver *s, size_t n, const char *name,
    const char *want, char *why, size_t whysize)
{
	struct rotdns_txt t;
	enum rotdns_txt_status st;
	size_t i;
	int tcp, ok = 1;

	for (i = 0; i < n && ok; i++)
		for (tcp = 0; tcp < 2 && ok; tcp++) {
			st = rotdns_txt(d, &s[i], tcp, name, &t, why, whysize);
			ok = rot_judge_txt(&s[i], tcp, name, want, st, &t, why, whysize);
			rotdns_txt_free(&t);
		}
	return ok;
}

/* Whether postdkim's resolver answered want in q; 0 with why when not. */
static int
resolver_judge(const struct resolver_query *q, const char *domain, const char *sel,
    const char *want, char *why, size_t whysize)
{
	if (q->status == RES_FOUND && rotmatch_record(q->txt, want))
		return 1;
	if (q->status == RES_FOUND)
		snprintf(why, whysize, "the resolver answers another record for %s._domainkey.%s",
		    sel, domain);
	else
		snprintf(why, whysize, "the resolver does not answer %s._domainkey.%s yet (%s)", sel,
		    domain, q->reason[0] ? q->reason : "no record");
	return 0;
}

/* What postdkim's own resolver r says. */
static int
resolver_sees(struct resolver *r, const char *domain, const char *sel, const char *want,
    char *why, size_t whysize)
{
	struct resolver_query q;
	int ok;

	memset(&q, 0, sizeof(q));
	q.domain = domain;
	q.selector = sel;
	resolver_lookup(r, &q, 1);
	ok = resolver_judge(&q, domain, sel, want, why, whysize);
	resolver_query_clear(&q);
	return ok;
}

/*
 * The resolver's part of the answered checks of v that the servers passed,
 * asked in one go: the resolver sends them together and waits once (from
 * several threads, its waiters would wake each other for every answer).
 */
void
rot_resolver_batch(struct rotctx *c, struct rotprobe **v, size_t n)
{
	struct resolver_query *q;
	char why[512];
	size_t i, m = 0;
	size_t *at;

	for (i = 0; i < n; i++)
		m += v[i]->state == RP_ANSWERED && v[i]->kind == RP_CHECK && v[i]->resolver &&
		    v[i]->ok;
	if (m == 0)
		return;
	q = calloc(m, sizeof(*q));
	at = calloc(m, sizeof(*at));
	if (q == NULL || at == NULL || rot_resolver(c, why, sizeof(why)) == NULL) {
		for (i = 0; i < n; i++)
			if (v[i]->state == RP_ANSWERED && v[i]->kind == RP_CHECK && v[i]->resolver) {
				v[i]->ok = 0;
				snprintf(v[i]->why, sizeof(v[i]->why), "%s",
				    q == NULL || at == NULL ? "out of memory" : why);
			}
		free(q);
		free(at);
		return;
	}
	for (i = m = 0; i < n; i++)
		if (v[i]->state == RP_ANSWERED && v[i]->kind == RP_CHECK && v[i]->resolver &&
		    v[i]->ok) {
			q[m].domain = v[i]->domain;
			q[m].selector = v[i]->sel;
			at[m++] = i;
		}
	resolver_lookup(c->res, q, m);
	for (i = 0; i < m; i++) {
		v[at[i]]->ok = resolver_judge(&q[i], v[at[i]]->domain, v[at[i]]->sel, v[at[i]]->want,
		    v[at[i]]->why, sizeof(v[at[i]]->why));
		resolver_query_clear(&q[i]);
	}
	free(q);
	free(at);
}

/*
 * The whole check through d (and postdkim's resolver, already made, when
 * resolver): the zone when the servers are its NS, then every server, then
 * the resolver.
 */
int
rot_check_with(const struct rotctx *c, struct rotdns *d, const char *domain, const char *sel,
    const char *want, int resolver, char *why, size_t whysize)
{
	struct rotserver s[ROTDNS_SERVERS_MAX];
	char name[600];
	size_t n;

	if (rot_servers_with(c, d, domain, sel, name, sizeof(name), s, &n, why, whysize) < 0 ||
	    !everywhere_with(d, s, n, name, want, why, whysize))
		return 0;
	return !resolver || resolver_sees(c->res, domain, sel, want, why, whysize);
}

/* Whether a record is visible: the chunk's answer, a question for it, or asked now. */
int
rot_check(struct rotctx *c, const char *domain, const char *sel, const char *want,
    int resolver, char *why, size_t whysize)
{
	struct rotprobe *p = c->probe;
	struct rotdns *d;

	if (p != NULL && p->state == RP_ANSWERED && p->kind == RP_CHECK &&
	    strcmp(p->domain, domain) == 0 && strcmp(p->sel, sel) == 0 &&
	    p->resolver == resolver && (want == NULL ? p->want == NULL :
	    p->want != NULL && strcmp(p->want, want) == 0)) {
		p->state = RP_NONE;
		snprintf(why, whysize, "%s", p->why);
		return p->ok;
	}
	if (p != NULL && c->collect && p->state == RP_NONE && strlen(domain) < sizeof(p->domain) &&
	    strlen(sel) < sizeof(p->sel)) {
		rotprobe_clear(p);
		if (want != NULL && (p->want = strdup(want)) == NULL) {
			snprintf(why, whysize, "out of memory");
			return 0;
		}
		p->kind = RP_CHECK;
		strcpy(p->domain, domain);
		strcpy(p->sel, sel);
		p->resolver = resolver;
		p->state = RP_WANTED;
		return ROT_DEFER;
	}
	if ((d = rot_dns(c, why, whysize)) == NULL ||
	    (resolver && rot_resolver(c, why, whysize) == NULL))
		return 0;
	return rot_check_with(c, d, domain, sel, want, resolver, why, whysize);
}
