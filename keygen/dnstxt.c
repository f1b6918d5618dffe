/*
 * dnstxt.c - TXT lookup with res_nquery on a private resolver state, so a
 * --nameserver can point it at one server (and port) without touching
 * /etc/resolv.conf. No search list is applied: the name is asked as given.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnstxt.h"

#define ANSWER_MAX 65536

/* Parse a decimal port 1-65535. */
static int
parse_port(const char *s, in_port_t *port)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return -1;
	}
	if (v == 0)
		return -1;
	*port = htons((in_port_t)v);
	return 0;
}

/* Turn --nameserver's argument into an address. */
int
dnstxt_parse_server(const char *s, struct sockaddr_storage *ss, char *why, size_t whysize)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *port = NULL, *end;
	size_t hlen;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			goto bad;
		hlen = (size_t)(end - s - 1);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			goto bad;
		s++;
	} else if ((colon = strchr(s, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		hlen = (size_t)(colon - s);	/* one colon: IPv4:PORT */
		port = colon + 1;
	} else
		hlen = strlen(s);		/* IPv4 or a bare IPv6 */
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(NAMESERVER_PORT);
		if (port != NULL && parse_port(port, &sin->sin_port) != 0)
			goto badport;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(NAMESERVER_PORT);
		if (port != NULL && parse_port(port, &sin6->sin6_port) != 0)
			goto badport;
		return 0;
	}
bad:
	snprintf(why, whysize, "not an IP address: give IPv4[:PORT], IPv6 or [IPv6]:PORT");
	return -1;
badport:
	snprintf(why, whysize, "bad port: give a number from 1 to 65535");
	return -1;
}

/* Point the resolver state at one server. */
static int
use_server(res_state rs, const struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *copy;
	int i;

	/* Drop what res_ninit read, so only our server is asked. */
	for (i = 0; i < MAXNS; i++) {
		if (rs->_u._ext.nsaddrs[i] != NULL) {
			free(rs->_u._ext.nsaddrs[i]);
			rs->_u._ext.nsaddrs[i] = NULL;
		}
	}
	rs->nscount = 1;
	if (ss->ss_family == AF_INET) {
		memcpy(&rs->nsaddr_list[0], ss, sizeof(struct sockaddr_in));
		return 0;
	}
	/*
	 * glibc keeps IPv6 servers in _u._ext.nsaddrs (freed by
	 * res_nclose); the IPv4 slot is marked unused by family 0.
	 */
	if ((copy = malloc(sizeof(*copy))) == NULL)
		return -1;
	memcpy(copy, ss, sizeof(*copy));
	memset(&rs->nsaddr_list[0], 0, sizeof(rs->nsaddr_list[0]));
	rs->_u._ext.nsaddrs[0] = copy;
	return 0;
}

/* Split one TXT RDATA into its character-strings. */
static int
add_record(struct dnstxt_answer *ans, const unsigned char *rd, size_t rdlen)
{
	struct dnstxt_record *r = &ans->rec[ans->nrec];
	size_t pos = 0, slen;

	dbuf_init(&r->text);
	r->nstrings = 0;
	ans->nrec++;
	while (pos < rdlen) {
		slen = rd[pos++];
		if (slen > rdlen - pos || r->nstrings == DNSTXT_STRINGS_MAX)
			return -1;
		dbuf_add(&r->text, rd + pos, slen);
		pos += slen;
		r->ends[r->nstrings++] = r->text.len;
	}
	return dbuf_failed(&r->text) ? -1 : 0;
}

/* Collect the TXT records of the answer section. */
static enum dnstxt_status
parse_answer(const unsigned char *buf, int len, struct dnstxt_answer *ans, char *why,
    size_t whysize)
{
	ns_msg msg;
	ns_rr rr;
	int i, n;

	if (ns_initparse(buf, len, &msg) != 0) {
		snprintf(why, whysize, "malformed DNS answer");
		return DNSTXT_FAIL;
	}
	n = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < n; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) != 0) {
			snprintf(why, whysize, "malformed DNS answer record %d", i + 1);
			return DNSTXT_FAIL;
		}
		if (ns_rr_type(rr) != ns_t_txt || ns_rr_class(rr) != ns_c_in) {
			ans->other++;
			continue;
		}
		ans->total++;
		if (ans->nrec == DNSTXT_RECORDS_MAX)
			continue;
		if (add_record(ans, ns_rr_rdata(rr), ns_rr_rdlen(rr)) != 0) {
			snprintf(why, whysize, "malformed TXT record (or out of memory)");
			return DNSTXT_FAIL;
		}
	}
	return ans->total > 0 ? DNSTXT_FOUND : DNSTXT_NODATA;
}

/* Look up the TXT records at name. */
enum dnstxt_status
dnstxt_lookup(const char *name, const struct sockaddr_storage *server,
    struct dnstxt_answer *ans, char *why, size_t whysize)
{
	struct __res_state rs;
	enum dnstxt_status st;
	unsigned char *buf;
	int len;

	memset(ans, 0, sizeof(*ans));
	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) != 0) {
		snprintf(why, whysize, "cannot initialise the resolver (/etc/resolv.conf)");
		return DNSTXT_FAIL;
	}
	/* Large records (RSA 4096) outgrow 512 bytes: ask for EDNS0. */
	rs.options |= RES_USE_EDNS0;
	rs.options &= ~(unsigned long)(RES_DEFNAMES | RES_DNSRCH);
#ifdef RES_NORELOAD
	/* Our server choice must survive a change of /etc/resolv.conf. */
	rs.options |= RES_NORELOAD;
#endif
	if (server != NULL) {
		rs.retrans = 2;
		rs.retry = 2;
		if (use_server(&rs, server) != 0) {
			res_nclose(&rs);
			snprintf(why, whysize, "out of memory");
			return DNSTXT_FAIL;
		}
	}
	if ((buf = malloc(ANSWER_MAX)) == NULL) {
		res_nclose(&rs);
		snprintf(why, whysize, "out of memory");
		return DNSTXT_FAIL;
	}
	errno = 0;
	len = res_nquery(&rs, name, ns_c_in, ns_t_txt, buf, ANSWER_MAX);
	if (len < 0) {
		switch (rs.res_h_errno) {
		case HOST_NOT_FOUND:
			st = DNSTXT_NXDOMAIN;
			break;
		case NO_DATA:
			st = DNSTXT_NODATA;
			break;
		case TRY_AGAIN:
			st = DNSTXT_FAIL;
			if (errno == ETIMEDOUT)
				snprintf(why, whysize, "no answer from the name server "
				    "(timed out)");
			else if (errno == ECONNREFUSED)
				snprintf(why, whysize, "the name server refused the query "
				    "(REFUSED: it is not authoritative for the domain and does "
				    "not recurse), or nothing listens at that address");
			else
				snprintf(why, whysize, "the name server failed (SERVFAIL), or "
				    "did not answer");
			break;
		default:
			st = DNSTXT_FAIL;
			snprintf(why, whysize, "the name server refused the query or "
			    "could not answer it");
			break;
		}
	} else if (len > ANSWER_MAX) {
		st = DNSTXT_FAIL;
		snprintf(why, whysize, "DNS answer larger than %d bytes", ANSWER_MAX);
	} else
		st = parse_answer(buf, len, ans, why, whysize);
	free(buf);
	res_nclose(&rs);
	return st;
}

/* Release the records. */
void
dnstxt_free(struct dnstxt_answer *ans)
{
	size_t i;

	for (i = 0; i < ans->nrec; i++)
		dbuf_free(&ans->rec[i].text);
	ans->nrec = 0;
}
