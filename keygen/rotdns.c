/*
 * rotdns.c - zone discovery through postdkim's resolver, libldns for
 * signed UPDATE (rotdns.h). One ldns resolver per UPDATE, since a port
 * belongs to a resolver in ldns, not to a server; so a struct rotdns holds
 * no libldns object, and threads share it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "../dkim/dbuf.h"
#include "../verify/resolver.h"
#include "rotdns.h"

struct rotdns {
	struct resolver *res;	/* postdkim's: SOA, NS, addresses, CNAME */
	unsigned timeout_ms;	/* of a question to one server */
};

/* Parse "ADDR[@PORT]". */
int
rotdns_parse_server(const char *s, struct rotserver *out)
{
	const char *at = strchr(s, '@');
	size_t alen = at ? (size_t)(at - s) : strlen(s);
	unsigned long port = 53;
	char *end;
	ldns_rdf *a;

	if (alen == 0 || alen >= sizeof(out->addr))
		return -1;
	memcpy(out->addr, s, alen);
	out->addr[alen] = '\0';
	if (at != NULL) {
		port = strtoul(at + 1, &end, 10);
		if (at[1] == '\0' || *end != '\0' || port == 0 || port > 65535)
			return -1;
	}
	out->port = (unsigned)port;
	a = ldns_rdf_new_frm_str(strchr(out->addr, ':') ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A,
	    out->addr);
	if (a == NULL)
		return -1;
	ldns_rdf_deep_free(a);
	return 0;
}

/* Apply the timeout to a resolver. */
static void
set_timeout(ldns_resolver *r, unsigned ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	ldns_resolver_set_timeout(r, tv);
	ldns_resolver_set_retry(r, 2);
	ldns_resolver_set_retrans(r, 1);
}

/* A resolver sending UPDATE messages to one server, over TCP. */
static ldns_resolver *
server_res(const struct rotserver *s, unsigned timeout_ms)
{
	ldns_resolver *r;
	ldns_rdf *a;

	if ((r = ldns_resolver_new()) == NULL)
		return NULL;
	a = ldns_rdf_new_frm_str(strchr(s->addr, ':') ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A,
	    s->addr);
	if (a == NULL || ldns_resolver_push_nameserver(r, a) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(a);
		ldns_resolver_deep_free(r);
		return NULL;
	}
	ldns_rdf_deep_free(a);
	ldns_resolver_set_port(r, (uint16_t)s->port);
	ldns_resolver_set_usevc(r, true);
	ldns_resolver_set_fallback(r, false);
	ldns_resolver_set_recursive(r, false);
	set_timeout(r, timeout_ms);
	return r;
}

/* The DNS helpers over postdkim's resolver res. */
int
rotdns_new(struct resolver *res, unsigned timeout_ms, struct rotdns **out, char *err,
    size_t errsize)
{
	struct rotdns *d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	d->res = res;
	d->timeout_ms = timeout_ms ? timeout_ms : 5000;
	*out = d;
	return 0;
}

unsigned
rotdns_timeout(const struct rotdns *d)
{
	return d->timeout_ms;
}

/* Free the helpers (not the resolver, which is the caller's). */
void
rotdns_free(struct rotdns *d)
{
	free(d);
}

/* A name as text without its final dot, escaped for messages. */
static void
dname_text(const ldns_rdf *r, char *out, size_t size)
{
	char *s = ldns_rdf2str(r);
	size_t n;
	dbuf b;

	out[0] = '\0';
	if (s == NULL)
		return;
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		s[--n] = '\0';
	dbuf_init(&b);
	dbuf_add_escaped(&b, s, n);
	snprintf(out, size, "%s", b.data ? b.data : "");
	dbuf_free(&b);
	free(s);
}

/* The name of the types asked through the resolver, for messages. */
static const char *
type_name(ldns_rr_type t)
{
	switch (t) {
	case LDNS_RR_TYPE_SOA: return "SOA";
	case LDNS_RR_TYPE_NS: return "NS";
	case LDNS_RR_TYPE_A: return "A";
	case LDNS_RR_TYPE_AAAA: return "AAAA";
	default: return "CNAME";
	}
}

/* The resolver's answer to a question (ok, wire, len), parsed; NULL with why. */
static ldns_pkt *
res_packet(const char *name, ldns_rr_type type, int ok, unsigned char *wire, size_t len,
    const char *err, char *why, size_t whysize)
{
	ldns_pkt *p = NULL;

	if (ok < 0) {
		/* The reason first: a state keeps only the head of a long one. */
		snprintf(why, whysize, "%s (the resolver, asked for the %s of %s)", err,
		    type_name(type), name);
		return NULL;
	}
	if (ldns_wire2pkt(&p, wire, len) != LDNS_STATUS_OK) {
		snprintf(why, whysize, "the resolver's answer for the %s of %s does not parse",
		    type_name(type), name);
		p = NULL;
	}
	free(wire);
	return p;
}

/*
 * Ask postdkim's resolver (validating when it has trust anchors): the
 * answer (NXDOMAIN and empty answers included), or NULL with why.
 */
static ldns_pkt *
res_query(struct rotdns *d, const char *name, ldns_rr_type type, char *why, size_t whysize)
{
	unsigned char *wire;
	char err[300];
	size_t len;
	int dnssec, ok;

	ok = resolver_ask(d->res, name, (int)type, &wire, &len, &dnssec, err, sizeof(err));
	return res_packet(name, type, ok, wire, len, err, why, whysize);
}

/*
 * The first record of type t answered for name in p (in the answer
 * section, else, for a SOA, the authority section): its owner when owner,
 * else its first field, as a name. 0, or -1 with why. Frees p.
 */
static int
first_name_in(ldns_pkt *p, const char *name, ldns_rr_type t, int owner, char *out,
    size_t size, char *why, size_t whysize)
{
	ldns_rr_list *l;
	ldns_rr *rr;

	out[0] = '\0';
	if (p == NULL)
		return -1;
	l = ldns_pkt_rr_list_by_type(p, t, LDNS_SECTION_ANSWER);
	if (l == NULL && t == LDNS_RR_TYPE_SOA)
		l = ldns_pkt_rr_list_by_type(p, t, LDNS_SECTION_AUTHORITY);
	if (l != NULL && ldns_rr_list_rr_count(l) > 0) {
		rr = ldns_rr_list_rr(l, 0);
		dname_text(owner ? ldns_rr_owner(rr) : ldns_rr_rdf(rr, 0), out, size);
	}
	ldns_rr_list_deep_free(l);
	ldns_pkt_free(p);
	if (out[0] == '\0') {
		snprintf(why, whysize, "no %s answered for %s", type_name(t), name);
		return -1;
	}
	return 0;
}

/* first_name_in of the resolver's answer for name. */
static int
first_name(struct rotdns *d, const char *name, ldns_rr_type t, int owner, char *out,
    size_t size, char *why, size_t whysize)
{
	return first_name_in(res_query(d, name, t, why, whysize), name, t, owner, out, size, why,
	    whysize);
}

/* The zone: rotdns_zone_all of one. */
int
rotdns_zone(struct rotdns *d, const char *name, char *zone, size_t zonesize, char *why,
    size_t whysize)
{
	struct rotdns_zoneq q = { name, zone, why, zonesize, whysize, 0 };

	rotdns_zone_all(d, &q, 1);
	return q.ok;
}

/* The zones of many names (the owners of the SOAs answered for them), asked together. */
void
rotdns_zone_all(struct rotdns *d, struct rotdns_zoneq *v, size_t n)
{
	struct resolver_question *q;
	size_t i;

	if ((q = calloc(n ? n : 1, sizeof(*q))) == NULL) {
		for (i = 0; i < n; i++) {
			v[i].ok = -1;
			snprintf(v[i].why, v[i].whysize, "out of memory");
		}
		return;
	}
	for (i = 0; i < n; i++) {
		q[i].name = v[i].name;
		q[i].rrtype = LDNS_RR_TYPE_SOA;
	}
	resolver_ask_all(d->res, q, n);
	for (i = 0; i < n; i++)
		v[i].ok = first_name_in(res_packet(v[i].name, LDNS_RR_TYPE_SOA, q[i].ok, q[i].wire,
		    q[i].len, q[i].why, v[i].why, v[i].whysize), v[i].name, LDNS_RR_TYPE_SOA, 1,
		    v[i].zone, v[i].zonesize, v[i].why, v[i].whysize);
	free(q);
}

/*
 * Add the addresses the resolver has for host; -1 with why when it could
 * not say (a server whose address is unknown cannot be checked).
 */
static int
add_addrs(struct rotdns *d, const char *host, struct rotserver *out, size_t *n, char *why,
    size_t whysize)
{
	static const ldns_rr_type types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
	ldns_rr_list *l;
	ldns_pkt *p;
	size_t t, i;
	char *s;

	for (t = 0; t < 2; t++) {
		if ((p = res_query(d, host, types[t], why, whysize)) == NULL)
			return -1;
		l = ldns_pkt_rr_list_by_type(p, types[t], LDNS_SECTION_ANSWER);
		for (i = 0; l != NULL && i < ldns_rr_list_rr_count(l) && *n < ROTDNS_SERVERS_MAX;
		    i++) {
			s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(l, i), 0));
			if (s != NULL && strlen(s) < sizeof(out[*n].addr)) {
				strcpy(out[*n].addr, s);
				out[(*n)++].port = 53;
			}
			free(s);
		}
		ldns_rr_list_deep_free(l);
		ldns_pkt_free(p);
	}
	return 0;
}

/* RotateAuthoritative's list, or the zone's NS. */
int
rotdns_servers(struct rotdns *d, const char *list, const char *zone,
    struct rotserver *out, size_t *n, char *why, size_t whysize)
{
	char item[128], host[512];
	const char *p;
	ldns_rr_list *l;
	ldns_pkt *pkt;
	size_t len, i;
	int failed = 0;

	*n = 0;
	if (list != NULL) {
		for (p = list; *p != '\0' && *n < ROTDNS_SERVERS_MAX; p += len) {
			p += strspn(p, ", \t");
			if ((len = strcspn(p, ", \t")) == 0)
				break;
			if (len >= sizeof(item) || (memcpy(item, p, len), item[len] = '\0',
			    rotdns_parse_server(item, &out[*n]) < 0)) {
				snprintf(why, whysize, "RotateAuthoritative: '%.*s' is not ADDR[@PORT]",
				    (int)(len > 60 ? 60 : len), p);
				return -1;
			}
			(*n)++;
		}
		return 0;
	}
	if ((pkt = res_query(d, zone, LDNS_RR_TYPE_NS, why, whysize)) == NULL)
		return -1;
	l = ldns_pkt_rr_list_by_type(pkt, LDNS_RR_TYPE_NS, LDNS_SECTION_ANSWER);
	for (i = 0; l != NULL && i < ldns_rr_list_rr_count(l) && i < ROTDNS_SERVERS_MAX &&
	    failed == 0; i++) {
		dname_text(ldns_rr_rdf(ldns_rr_list_rr(l, i), 0), host, sizeof(host));
		failed = add_addrs(d, host, out, n, why, whysize);
	}
	ldns_rr_list_deep_free(l);
	ldns_pkt_free(pkt);
	if (failed)
		return -1;
	if (*n == 0) {
		snprintf(why, whysize, "no address found for the NS of %s", zone);
		return -1;
	}
	return 0;
}

/* The TXT records one server answers with authority: rotdns_txt_all of one. */
enum rotdns_txt_status
rotdns_txt(struct rotdns *d, const struct rotserver *s, int tcp, const char *name,
    struct rotdns_txt *out, char *why, size_t whysize)
{
	struct rotdns_txtq q;

	memset(&q, 0, sizeof(q));
	q.name = name;
	rotdns_txt_all(s, tcp, d->timeout_ms, &q, 1);
	*out = q.txt;
	if (q.st == TXT_FAIL)
		snprintf(why, whysize, "%s", q.why);
	return q.st;
}

/* The TXT record to add, in 255-byte strings. */
static ldns_rr *
txt_rr(const char *name, const char *record, unsigned ttl)
{
	unsigned char chunk[256];
	size_t len = strlen(record), off = 0, n;
	ldns_rdf *f;
	ldns_rr *rr;

	if ((rr = ldns_rr_new()) == NULL)
		return NULL;
	ldns_rr_set_owner(rr, ldns_dname_new_frm_str(name));
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	do {
		n = len - off > 255 ? 255 : len - off;
		chunk[0] = (unsigned char)n;
		memcpy(chunk + 1, record + off, n);
		if ((f = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, n + 1, chunk)) == NULL ||
		    !ldns_rr_push_rdf(rr, f)) {
			ldns_rdf_deep_free(f);
			ldns_rr_free(rr);
			return NULL;
		}
		off += n;
	} while (off < len);
	if (ldns_rr_owner(rr) == NULL) {
		ldns_rr_free(rr);
		return NULL;
	}
	return rr;
}

/* The deletion of the TXT RRset at name (class ANY). */
static ldns_rr *
txt_del(const char *name)
{
	ldns_rr *rr;

	if ((rr = ldns_rr_new()) == NULL)
		return NULL;
	ldns_rr_set_owner(rr, ldns_dname_new_frm_str(name));
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_ANY);
	ldns_rr_set_ttl(rr, 0);
	if (ldns_rr_owner(rr) == NULL) {
		ldns_rr_free(rr);
		return NULL;
	}
	return rr;
}

/* What a batch's message names: its one name, or how many. */
static void
what(const struct rotdns_op *ops, size_t n, char *out, size_t size)
{
	if (n == 1)
		snprintf(out, size, "%.300s", ops[0].name);
	else
		snprintf(out, size, "%zu records", n);
}

/*
 * What a refused UPDATE's answer a says beyond its rcode, in out: the
 * error field of its TSIG RR (RFC 8945 5.3: BADSIG, BADKEY, BADTIME...;
 * such an answer comes unsigned, which ldns calls a bogus signature), or,
 * the error being 0 in a NOTAUTH, that the server is not authoritative or
 * its policy refuses this change to the key; else ldns's own status st.
 * Knot answers BADKEY both for a key it does not know and for a name its
 * ACL denies the key.
 */
static void
refusal_detail(const ldns_pkt *a, ldns_status st, char *out, size_t size)
{
	static const char *const tsig_err[] = {
		"BADSIG: the server's secret for the key is another",
		"BADKEY: key unknown, or not allowed for this name",
		"BADTIME: the clocks differ",
		"BADMODE", "BADNAME", "BADALG", "BADTRUNC" };
	const ldns_rr *t = ldns_pkt_tsig(a);
	const ldns_rdf *e;
	unsigned err;

	out[0] = '\0';
	/* TSIG rdata: algorithm, time, fudge, MAC, original ID, error, other data. */
	if (t != NULL && ldns_rr_rd_count(t) > 5 && (e = ldns_rr_rdf(t, 5)) != NULL &&
	    ldns_rdf_size(e) == 2) {
		err = ldns_rdf2native_int16(e);
		if (err >= 16 && err < 16 + sizeof(tsig_err) / sizeof(tsig_err[0]))
			snprintf(out, size, " (TSIG error %s)", tsig_err[err - 16]);
		else if (err != 0)
			snprintf(out, size, " (TSIG error %u)", err);
		else if (ldns_pkt_get_rcode(a) == LDNS_RCODE_NOTAUTH)
			snprintf(out, size, " (not authoritative, or not authorised for this name)");
		if (err != 0 || ldns_pkt_get_rcode(a) == LDNS_RCODE_NOTAUTH)
			return;
	}
	if (st != LDNS_STATUS_OK)
		snprintf(out, size, " (%s)", ldns_get_errorstr_by_id(st));
}

/* For each change, delete the TXT RRset at its name, then add its record: one signed UPDATE. */
int
rotdns_update(struct rotdns *d, const struct rotserver *server, const struct tsigkey *key,
    const char *zone, const struct rotdns_op *ops, size_t n, unsigned ttl, int *rcode,
    char *why, size_t whysize)
{
	ldns_resolver *r = NULL;
	ldns_rr_list *up = NULL;
	ldns_pkt *q = NULL, *a = NULL;
	ldns_rr *rr;
	ldns_rdf *zr = NULL;
	ldns_status st;
	char names[320];
	size_t i;
	int rc = -1;

	*rcode = -1;
	what(ops, n, names, sizeof(names));
	if ((r = server_res(server, d->timeout_ms)) == NULL ||
	    (up = ldns_rr_list_new()) == NULL || (zr = ldns_dname_new_frm_str(zone)) == NULL) {
		snprintf(why, whysize, "cannot build the update of %s", names);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((rr = txt_del(ops[i].name)) == NULL || !ldns_rr_list_push_rr(up, rr) ||
		    (ops[i].record != NULL && ((rr = txt_rr(ops[i].name, ops[i].record, ttl)) ==
		    NULL || !ldns_rr_list_push_rr(up, rr)))) {
			ldns_rr_free(rr);
			snprintf(why, whysize, "cannot build the record for %.300s", ops[i].name);
			goto out;
		}
	}
	/* The packet owns zr from here. */
	q = ldns_update_pkt_new(zr, LDNS_RR_CLASS_IN, NULL, up, NULL);
	zr = NULL;
	if (q == NULL) {
		snprintf(why, whysize, "cannot build the update of %s", names);
		goto out;
	}
	ldns_pkt_set_random_id(q);
	ldns_resolver_set_tsig_keyname(r, key->name);
	ldns_resolver_set_tsig_algorithm(r, key->algorithm);
	ldns_resolver_set_tsig_keydata(r, key->secret);
	if ((st = ldns_update_pkt_tsig_add(q, r)) != LDNS_STATUS_OK) {
		snprintf(why, whysize, "cannot sign the update: %s", ldns_get_errorstr_by_id(st));
		goto out;
	}
	st = ldns_send(&a, r, q);
	if (a != NULL && ldns_pkt_get_rcode(a) != LDNS_RCODE_NOERROR) {
		char *rs = ldns_pkt_rcode2str(ldns_pkt_get_rcode(a)), detail[128];

		*rcode = (int)ldns_pkt_get_rcode(a);
		refusal_detail(a, st, detail, sizeof(detail));
		snprintf(why, whysize, "update of %s refused by %s@%u: %s%s", names,
		    server->addr, server->port, rs ? rs : "error", detail);
		free(rs);
	} else if (st != LDNS_STATUS_OK || a == NULL)
		snprintf(why, whysize, "update of %s sent to %s@%u failed: %s", names, server->addr,
		    server->port, ldns_get_errorstr_by_id(st));
	else
		rc = 0;
out:
	ldns_rdf_deep_free(zr);
	ldns_pkt_free(a);
	ldns_pkt_free(q);
	ldns_rr_list_deep_free(up);
	if (r != NULL)
		ldns_resolver_deep_free(r);
	return rc;
}

/* A CNAME's target, through the resolver. */
int
rotdns_cname(struct rotdns *d, const char *name, char *out, size_t size, char *why,
    size_t whysize)
{
	return first_name(d, name, LDNS_RR_TYPE_CNAME, 0, out, size, why, whysize);
}
