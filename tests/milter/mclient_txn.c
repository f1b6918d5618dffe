/*
 * mclient_txn.c - one mail transaction as Postfix's smtpd sends it to a
 * milter: MAIL, RCPT, DATA, the header fields, EOH, the body in chunks,
 * and the end of message (mclient_eom.c). A verdict before the end stops
 * the transaction, as it stops Postfix's.
 */
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "mclient_int.h"
#include "mclient_pkt.h"

static atomic_ulong qid_counter;

/* Generate a Postfix-looking queue id (upper-case hex). */
static const char *
make_qid(struct mclient *c)
{
	unsigned long n = atomic_fetch_add(&qid_counter, 1);

	snprintf(c->qidbuf, sizeof(c->qidbuf), "%05lX%05lX",
	    (unsigned long)getpid() & 0xFFFFFUL, n & 0xFFFFFUL);
	return c->qidbuf;
}

/* Send MAIL and RCPT; returns -1 on error, else sets res->verdict. */
static int
envelope(struct mclient *c, const mclient_txn *t, mclient_result *res)
{
	static const char *const defrcpt[] = { "rcpt@example.net" };
	const char *const *rcpts = t->nrcpts ? t->rcpts : defrcpt;
	size_t nrcpts = t->nrcpts ? t->nrcpts : 1, i, ok = 0;
	enum mclient_verdict v, lastbad = MC_NONE;
	struct pkt p;
	char addr[1024];
	const char *sender = t->sender ? t->sender : "sender@example.com";
	int r;

	/* smtpd passes "<addr>"; cleanup (pickup) passes the bare address. */
	snprintf(addr, sizeof(addr), c->env.pickup ? "%s" : "<%s>", sender);
	c->sender = sender;
	pkt_init(&p);
	if (pkt_str(&p, addr) != 0)
		goto nomem;
	for (i = 0; i < t->nmail_args; i++)
		if (pkt_str(&p, t->mail_args[i]) != 0)
			goto nomem;
	r = mc_event(c, SMFIC_MAIL, SMFIP_NOMAIL, SMFIP_NR_MAIL, 2, p.p, p.len, &v,
	    NULL, res->reply, sizeof(res->reply));
	pkt_free(&p);
	if (r != 0)
		return -1;
	res->stage = MC_ST_MAIL;
	if ((res->verdict = v) != MC_NONE || t->stop_after == MC_ST_MAIL)
		return 0;
	for (i = 0; i < nrcpts; i++) {
		snprintf(addr, sizeof(addr), c->env.pickup ? "%s" : "<%s>", rcpts[i]);
		c->rcpt = rcpts[i];
		r = mc_event(c, SMFIC_RCPT, SMFIP_NORCPT, SMFIP_NR_RCPT, 3, addr,
		    strlen(addr) + 1, &v, NULL, res->reply, sizeof(res->reply));
		if (r != 0)
			return -1;
		res->stage = MC_ST_RCPT;
		if (v == MC_REJECT || v == MC_TEMPFAIL) {
			lastbad = v;	/* this recipient only */
			continue;
		}
		if (v != MC_NONE) {
			res->verdict = v;
			return 0;
		}
		ok++;
	}
	c->rcpt = NULL;
	if (ok == 0)
		res->verdict = lastbad;
	return 0;
nomem:
	pkt_free(&p);
	return mc_fail(c, "out of memory");
}

/* Send the header fields and (unless stopping after the fields) EOH. */
static int
headers(struct mclient *c, const mclient_mail *m, const mclient_txn *t,
    mclient_result *res)
{
	enum mclient_verdict v;
	struct pkt p;
	size_t i;
	int r;

	for (i = 0; i < m->nf; i++) {
		const mclient_field *f = &m->f[i];
		const char *val = f->raw + f->vofs;

		/* Sendmail compatibility: eat one space (not a tab) after the colon. */
		if (!(c->proto & SMFIP_HDR_LEADSPC) && *val == ' ')
			val++;
		pkt_init(&p);
		if (pkt_str(&p, f->name) != 0 || pkt_str(&p, val) != 0) {
			pkt_free(&p);
			return mc_fail(c, "out of memory");
		}
		r = mc_event(c, SMFIC_HEADER, SMFIP_NOHDRS, SMFIP_NR_HDR, 6, p.p, p.len,
		    &v, NULL, res->reply, sizeof(res->reply));
		pkt_free(&p);
		if (r != 0)
			return -1;
		res->stage = MC_ST_HEADER;
		if ((res->verdict = v) != MC_NONE)
			return 0;
	}
	if (t->stop_after == MC_ST_HEADER)
		return 0;
	if (mc_event(c, SMFIC_EOH, SMFIP_NOEOH, SMFIP_NR_EOH, 6, NULL, 0, &v, NULL,
	    res->reply, sizeof(res->reply)) != 0)
		return -1;
	res->stage = MC_ST_EOH;
	res->verdict = v;
	return 0;
}

/* Send the body in chunks; SMFIR_SKIP ends it early. */
static int
body(struct mclient *c, const mclient_mail *m, mclient_result *res)
{
	enum mclient_verdict v;
	size_t off, n;
	int skip;

	for (off = 0; off < m->blen; off += n) {
		n = m->blen - off < c->chunk ? m->blen - off : c->chunk;
		if (mc_event(c, SMFIC_BODY, SMFIP_NOBODY, SMFIP_NR_BODY, 5, m->body + off,
		    n, &v, &skip, res->reply, sizeof(res->reply)) != 0)
			return -1;
		res->stage = MC_ST_BODY;
		if ((res->verdict = v) != MC_NONE || skip)
			return 0;
	}
	return 0;
}

/* Run one transaction (see mclient.h). */
int
mclient_message(mclient *c, const mclient_mail *m, const mclient_txn *t,
    mclient_result *res)
{
	enum mclient_verdict v;
	static const mclient_txn deftxn;

	memset(res, 0, sizeof(*res));
	if (t == NULL)
		t = &deftxn;
	if (c->conn_verdict != MC_NONE) {
		res->verdict = c->conn_verdict;
		res->stage = c->conn_stage;
		snprintf(res->reply, sizeof(res->reply), "%s", c->conn_reply);
		goto unchanged;
	}
	c->in_txn = 1;
	c->qid = NULL;
	if (c->env.pickup)
		c->qid = t->queue_id ? t->queue_id : make_qid(c);
	if (envelope(c, t, res) != 0)
		return -1;
	if (res->verdict != MC_NONE)
		goto early;
	if (t->stop_after == MC_ST_MAIL || t->stop_after == MC_ST_RCPT)
		goto closed;
	/* The queue id exists from DATA on (smtpd_delay_open_until_valid_rcpt). */
	if (c->qid == NULL)
		c->qid = t->queue_id ? t->queue_id : make_qid(c);
	if (mc_event(c, SMFIC_DATA, SMFIP_NODATA, SMFIP_NR_DATA, 4, NULL, 0, &v, NULL,
	    res->reply, sizeof(res->reply)) != 0)
		return -1;
	res->stage = MC_ST_DATA;
	if ((res->verdict = v) != MC_NONE)
		goto early;
	if (t->stop_after == MC_ST_DATA)
		goto closed;
	if (headers(c, m, t, res) != 0)
		return -1;
	if (res->verdict != MC_NONE)
		goto early;
	if (t->stop_after == MC_ST_HEADER || t->stop_after == MC_ST_EOH)
		goto closed;
	if (body(c, m, res) != 0)
		return -1;
	if (res->verdict != MC_NONE)
		goto early;
	if (t->stop_after == MC_ST_BODY)
		goto closed;
	if (c->eom_delay_ms > 0)
		(void)poll(NULL, 0, c->eom_delay_ms);
	return mclient_eom(c, m, res);
closed:
	res->verdict = MC_CLOSED;
	return 0;
early:
	if (res->verdict != MC_ACCEPT)
		return 0;
unchanged:
	/* Accepted before the end: Postfix queues the message as received. */
	if (res->verdict == MC_ACCEPT && !c->no_output
	    && (res->msg = mclient_mail_render(m, &res->msglen)) == NULL)
		return mc_fail(c, "out of memory");
	return 0;
}
