/*
 * rottxt.c - the TXT records one authoritative server answers for many
 * names (rotdns.h): all asked over one UDP socket, or pipelined over one
 * TCP connection (RFC 7766 6.2.1), instead of a socket per question, which
 * cost a check of 100,000 domains 400,000 sockets. libldns builds and
 * parses the messages. An answer counts only for the question whose ID
 * and name it carries; anything else that arrives is dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "rotdns.h"

#define GROUP 1024		/* questions on one socket: their IDs stay distinct */
#define WINDOW 64		/* UDP questions unanswered at once */
#define TCP_BUF 65537		/* one whole TCP message, with its length */

/* The questions of one group, on one socket. */
struct group {
	const struct rotserver *s;
	int tcp;
	struct rotdns_txtq *v;
	size_t n, left;		/* questions, and those still unanswered */
	uint16_t base;		/* the first question's ID; the others follow */
	uint8_t **wire;		/* each question as sent */
	size_t *len;
	ldns_rdf **dn;		/* each question's name */
	char *done;
};

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What the transport is called in messages. */
static const char *
proto(int tcp)
{
	return tcp ? "TCP" : "UDP";
}

/* Join a TXT record's strings. */
static char *
txt_join(const ldns_rr *rr)
{
	const ldns_rdf *f;
	size_t i, total = 0, len;
	char *s;

	for (i = 0; i < ldns_rr_rd_count(rr); i++)
		total += ldns_rdf_size(ldns_rr_rdf(rr, i));
	if (total > ROTDNS_TXT_LEN || (s = malloc(total + 1)) == NULL)
		return NULL;
	total = 0;
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		f = ldns_rr_rdf(rr, i);
		if (ldns_rdf_size(f) == 0)
			continue;
		len = ldns_rdf_data(f)[0];
		if (len > ldns_rdf_size(f) - 1)
			len = ldns_rdf_size(f) - 1;
		memcpy(s + total, ldns_rdf_data(f) + 1, len);
		total += len;
	}
	s[total] = '\0';
	return s;
}

/* What answer p says of question q. */
static void
classify(const struct rotserver *s, int tcp, const ldns_pkt *p, struct rotdns_txtq *q)
{
	ldns_rr_list *l;
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(p);
	size_t i;
	char *t;

	if ((rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) || !ldns_pkt_aa(p)) {
		q->st = TXT_FAIL;
		snprintf(q->why, sizeof(q->why), "%s@%u (%s) gave no authoritative answer (rcode %d)",
		    s->addr, s->port, proto(tcp), (int)rc);
		return;
	}
	if (!tcp && ldns_pkt_tc(p)) {
		q->st = TXT_TRUNCATED;
		return;
	}
	l = ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_TXT, LDNS_SECTION_ANSWER);
	for (i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		q->txt.total++;
		if (q->txt.n < ROTDNS_TXT_MAX && (t = txt_join(ldns_rr_list_rr(l, i))) != NULL)
			q->txt.rec[q->txt.n++] = t;
	}
	ldns_rr_list_deep_free(l);
	q->st = q->txt.total > 0 ? TXT_FOUND : TXT_NONE;
}

/* An answer that arrived: kept for its question, if it is one's (then 1). */
static int
take(struct group *g, const uint8_t *buf, size_t len)
{
	ldns_pkt *p = NULL;
	const ldns_rr *qr;
	size_t i;

	if (len < 12)
		return 0;
	i = (uint16_t)(((unsigned)buf[0] << 8 | buf[1]) - g->base);
	if (i >= g->n || g->done[i] || ldns_wire2pkt(&p, buf, len) != LDNS_STATUS_OK)
		return 0;
	qr = ldns_pkt_question(p) != NULL && ldns_rr_list_rr_count(ldns_pkt_question(p)) == 1 ?
	    ldns_rr_list_rr(ldns_pkt_question(p), 0) : NULL;
	if (ldns_pkt_qr(p) && qr != NULL && ldns_rr_get_type(qr) == LDNS_RR_TYPE_TXT &&
	    ldns_dname_compare(ldns_rr_owner(qr), g->dn[i]) == 0) {
		classify(g->s, g->tcp, p, &g->v[i]);
		g->done[i] = 1;
		g->left--;
	}
	ldns_pkt_free(p);
	return g->done[i];
}

/* A socket to s, not blocking; -1 with why. */
static int
connect_to(const struct rotserver *s, int tcp, char *why, size_t whysize)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, s->addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)s->port);
		sl = sizeof(*a4);
	} else if (inet_pton(AF_INET6, s->addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)s->port);
		sl = sizeof(*a6);
	} else {
		snprintf(why, whysize, "%s: not an address", s->addr);
		return -1;
	}
	fd = socket(ss.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0 || (connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS)) {
		snprintf(why, whysize, "%s@%u (%s) did not answer: %s", s->addr, s->port, proto(tcp),
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Over UDP: at most WINDOW questions unanswered at once (a burst of
 * answers larger than the socket's receive buffer would be lost), each
 * sent again when unanswered after a third of the timeout.
 */
static void
ask_udp(struct group *g, long long deadline, unsigned timeout_ms, char *why, size_t whysize)
{
	uint8_t buf[65536];
	struct pollfd pfd;
	long long now, *sent, again = timeout_ms / 3 + 1, wait;
	size_t i, next = 0, out = 0;
	ssize_t got;
	int fd;

	if ((sent = calloc(g->n, sizeof(*sent))) == NULL) {
		snprintf(why, whysize, "out of memory");
		return;
	}
	if ((fd = connect_to(g->s, 0, why, whysize)) < 0) {
		free(sent);
		return;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (g->left > 0 && (now = mono_ms()) < deadline) {
		for (; next < g->n && out < WINDOW; next++)
			if (!g->done[next]) {
				sent[next] = now;
				out++;
				(void)send(fd, g->wire[next], g->len[next], 0);
			}
		wait = deadline - now;
		for (i = 0; i < next; i++)
			if (!g->done[i] && sent[i] + again <= now) {
				sent[i] = now;
				(void)send(fd, g->wire[i], g->len[i], 0);
			} else if (!g->done[i] && sent[i] + again - now < wait)
				wait = sent[i] + again - now;
		if (poll(&pfd, 1, (int)wait) <= 0)
			continue;
		/* Everything waiting, then back to poll. */
		while ((got = recv(fd, buf, sizeof(buf), 0)) >= 0)
			out -= (size_t)take(g, buf, (size_t)got);
		/* Nothing listens there (ICMP port unreachable): no use waiting. */
		if (errno == ECONNREFUSED) {
			snprintf(why, whysize, "%s@%u (UDP) did not answer: %s", g->s->addr,
			    g->s->port, strerror(errno));
			break;
		}
	}
	close(fd);
	free(sent);
	if (g->left > 0 && why[0] == '\0')
		snprintf(why, whysize, "%s@%u (UDP) did not answer: no answer within %u ms",
		    g->s->addr, g->s->port, timeout_ms);
}

/*
 * Over TCP: the questions written one after the other on one connection
 * (each with its length), the answers read in whatever order they come
 * (RFC 7766 6.2.1). A server may close a connection after any answer: the
 * rest is asked on new ones, one question at a time from then on (what
 * was written past a close may be lost with it); a question whose
 * connection closes unanswered then is given up, so that each connection
 * settles one question at least.
 */
static void
ask_tcp(struct group *g, long long deadline, unsigned timeout_ms, char *why, size_t whysize)
{
	uint8_t *in;
	struct pollfd pfd;
	size_t have = 0, next = 0, off = 0, mlen, asked = 0, got = 0, most = GROUP;
	size_t last = 0;	/* the question written last */
	long long now;
	ssize_t k;
	int fd = -1, opened = 0;

	if ((in = malloc(TCP_BUF)) == NULL) {
		snprintf(why, whysize, "out of memory");
		return;
	}
	while (g->left > 0 && (now = mono_ms()) < deadline) {
		if (fd < 0) {
			/* Refused, or closed before a question went: no use trying again. */
			if (opened && asked == 0)
				break;
			/*
			 * One at a time, and closed before answering its first question:
			 * that question is given up. (One written after an answer may
			 * only have met the close: it is asked again.)
			 */
			if (most == 1 && got == 0 && !g->done[last]) {
				snprintf(g->v[last].why, sizeof(g->v[last].why),
				    "%s@%u (TCP) did not answer: connection closed", g->s->addr,
				    g->s->port);
				g->done[last] = 2;
				if (--g->left == 0)
					break;
			}
			if (opened)
				most = 1;
			if ((fd = connect_to(g->s, 1, why, whysize)) < 0)
				break;
			opened = 1;
			have = next = off = asked = got = 0;
		}
		/* Skip what was answered: after a reconnect, only the rest is asked. */
		while (next < g->n && g->done[next])
			next++;
		pfd.fd = fd;
		pfd.events = POLLIN | (next < g->n && asked - got < most ? POLLOUT : 0);
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		if ((pfd.events & POLLOUT) && (pfd.revents & POLLOUT)) {
			uint8_t hdr[2] = { (uint8_t)(g->len[next] >> 8), (uint8_t)g->len[next] };
			struct iovec iov[2];
			struct msghdr mh;

			memset(&mh, 0, sizeof(mh));
			iov[0].iov_base = hdr + (off < 2 ? off : 2);
			iov[0].iov_len = off < 2 ? 2 - off : 0;
			iov[1].iov_base = g->wire[next] + (off > 2 ? off - 2 : 0);
			iov[1].iov_len = g->len[next] - (off > 2 ? off - 2 : 0);
			mh.msg_iov = iov;
			mh.msg_iovlen = 2;
			if ((k = sendmsg(fd, &mh, MSG_NOSIGNAL)) > 0 && (off += (size_t)k) ==
			    g->len[next] + 2) {
				last = next++;
				asked++;
				off = 0;
			} else if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
				snprintf(why, whysize, "%s@%u (TCP) did not answer: %s", g->s->addr,
				    g->s->port, strerror(errno));
				close(fd);
				fd = -1;
				continue;
			}
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		k = recv(fd, in + have, TCP_BUF - have, 0);
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (k <= 0) {
			snprintf(why, whysize, "%s@%u (TCP) did not answer: %s", g->s->addr,
			    g->s->port, k == 0 ? "connection closed" : strerror(errno));
			close(fd);
			fd = -1;
			continue;
		}
		have += (size_t)k;
		/* Every whole message read. */
		while (have >= 2 && have >= 2 + (mlen = (size_t)in[0] << 8 | in[1])) {
			got += (size_t)take(g, in + 2, mlen);
			memmove(in, in + 2 + mlen, have - 2 - mlen);
			have -= 2 + mlen;
		}
	}
	if (fd >= 0)
		close(fd);
	free(in);
	if (g->left > 0 && (why[0] == '\0' || mono_ms() >= deadline))
		snprintf(why, whysize, "%s@%u (TCP) did not answer: no answer within %u ms",
		    g->s->addr, g->s->port, timeout_ms);
}

/* Ask the n (at most GROUP) questions of v. */
static void
ask_group(const struct rotserver *s, int tcp, unsigned timeout_ms, struct rotdns_txtq *v,
    size_t n)
{
	struct group g;
	ldns_pkt *q;
	char why[256] = "";
	size_t i;

	memset(&g, 0, sizeof(g));
	g.s = s;
	g.tcp = tcp;
	g.v = v;
	g.n = n;
	g.base = (uint16_t)ldns_get_random();
	g.wire = calloc(n, sizeof(*g.wire));
	g.len = calloc(n, sizeof(*g.len));
	g.dn = calloc(n, sizeof(*g.dn));
	g.done = calloc(n, 1);
	if (g.wire == NULL || g.len == NULL || g.dn == NULL || g.done == NULL) {
		for (i = 0; i < n; i++)
			snprintf(v[i].why, sizeof(v[i].why), "out of memory");
		n = 0;
	}
	for (i = 0; i < n; i++) {
		g.done[i] = 1;
		if ((g.dn[i] = ldns_dname_new_frm_str(v[i].name)) == NULL ||
		    (q = ldns_pkt_query_new(ldns_rdf_clone(g.dn[i]), LDNS_RR_TYPE_TXT,
		    LDNS_RR_CLASS_IN, 0)) == NULL) {
			snprintf(v[i].why, sizeof(v[i].why), "%.200s: not a DNS name", v[i].name);
			continue;
		}
		ldns_pkt_set_id(q, (uint16_t)(g.base + i));
		ldns_pkt_set_edns_udp_size(q, 4096);
		if (ldns_pkt2wire(&g.wire[i], q, &g.len[i]) == LDNS_STATUS_OK) {
			g.done[i] = 0;
			g.left++;
		} else
			snprintf(v[i].why, sizeof(v[i].why), "out of memory");
		ldns_pkt_free(q);
	}
	if (g.left > 0) {
		why[0] = '\0';
		(tcp ? ask_tcp : ask_udp)(&g, mono_ms() + timeout_ms, timeout_ms, why, sizeof(why));
	}
	for (i = 0; i < n; i++) {
		if (!g.done[i])
			snprintf(v[i].why, sizeof(v[i].why), "%s", why);
		if (g.done[i] == 2)	/* given up (ask_tcp): its why is its own */
			v[i].st = TXT_FAIL;
		free(g.wire[i]);
		ldns_rdf_deep_free(g.dn[i]);
	}
	free(g.wire);
	free(g.len);
	free(g.dn);
	free(g.done);
}

/* Free the records of an answer. */
void
rotdns_txt_free(struct rotdns_txt *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->rec[i]);
	t->n = t->total = 0;
}

void
rotdns_txt_all(const struct rotserver *s, int tcp, unsigned timeout_ms, struct rotdns_txtq *v,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&v[i].txt, 0, sizeof(v[i].txt));
		v[i].st = TXT_FAIL;
		v[i].why[0] = '\0';
	}
	for (i = 0; i < n; i += GROUP)
		ask_group(s, tcp, timeout_ms, v + i, n - i < GROUP ? n - i : GROUP);
}
