/*
 * mclient.c - the MTA side of milter protocol 6, as Postfix 3.x speaks it:
 * option negotiation, macros per stage, the SMTP events, and the replies.
 * The packet layer is in mclient_io.c, the message model in mclient_mail.c,
 * one transaction in mclient_txn.c, the end-of-message modifications in
 * mclient_eom.c.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "mclient_int.h"
#include "mclient_pkt.h"

/* Postfix's default macro lists per stage (postconf -d milter_*_macros). */
static const char *const default_symlist[MC_NSTAGES] = {
	"j {daemon_name} {daemon_addr} v _",				/* connect */
	"{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}", /* helo */
	"i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}",
	"i {rcpt_addr} {rcpt_host} {rcpt_mailer}",			/* rcpt */
	"i",								/* data */
	"i",								/* eom */
	"i",								/* eoh */
};

/* The verdict as a word: accept, reject, ... */
const char *
mclient_verdict_name(enum mclient_verdict v)
{
	static const char *const names[] = { "none", "accept", "reject",
	    "tempfail", "discard", "shutdown", "connfail", "closed" };

	return (size_t)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

/* A stage from its name ("connect", "helo", ...). */
enum mclient_stage
mclient_stage_parse(const char *s)
{
	static const char *const names[] = { "", "optneg", "connect", "helo",
	    "mail", "rcpt", "data", "header", "eoh", "body", "eom" };
	size_t i;

	for (i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (enum mclient_stage)i;
	return MC_ST_NONE;
}

/* The last error of a connection. */
const char *
mclient_error(const mclient *c)
{
	return c->err;
}

/* What the milter negotiated. */
void
mclient_negotiated(const mclient *c, uint32_t *version, uint32_t *actions,
    uint32_t *proto)
{
	*version = c->version;
	*actions = c->actions;
	*proto = c->proto;
}

/* The domain part of an address, without a closing bracket. */
static const char *
addr_domain(const char *a, char *buf, size_t size)
{
	const char *at = a ? strrchr(a, '@') : NULL;
	size_t n;

	if (at == NULL)
		return NULL;
	n = strcspn(at + 1, ">");
	if (n >= size)
		n = size - 1;
	memcpy(buf, at + 1, n);
	buf[n] = '\0';
	return buf;
}

/* An address without its angle brackets. */
static const char *
addr_bare(const char *a, char *buf, size_t size)
{
	size_t n;

	if (a == NULL)
		return NULL;
	if (*a == '<')
		a++;
	n = strcspn(a, ">");
	if (n >= size)
		n = size - 1;
	memcpy(buf, a, n);
	buf[n] = '\0';
	return buf;
}

/*
 * The value of one macro now, or NULL when Postfix would not define it
 * (undefined macros are left out of SMFIC_MACRO, as Postfix does).
 */
static const char *
macro_value(struct mclient *c, const char *name, char *buf, size_t size)
{
	char key[64];
	size_t n = strlen(name), i;
	const mclient_env *e = &c->env;

	if (n >= 2 && name[0] == '{' && name[n - 1] == '}') {
		name++;
		n -= 2;
	}
	if (n >= sizeof(key))
		return NULL;
	memcpy(key, name, n);
	key[n] = '\0';
	for (i = 0; i < e->nmacros; i++) {
		const char *m = e->macros[i], *eq = strchr(m, '=');
		const char *mn = m;
		size_t ml;

		if (eq == NULL)
			continue;
		ml = (size_t)(eq - m);
		if (ml >= 2 && m[0] == '{' && m[ml - 1] == '}') {
			mn++;
			ml -= 2;
		}
		if (ml == n && memcmp(mn, key, n) == 0)
			return eq + 1;
	}
	if (strcmp(key, "j") == 0)
		return e->myhostname;
	if (strcmp(key, "v") == 0)
		return "Postfix 3.7.11";
	if (strcmp(key, "_") == 0)
		return c->underscore;
	if (strcmp(key, "daemon_name") == 0)
		return e->daemon_name;
	if (strcmp(key, "daemon_addr") == 0)
		return e->daemon_addr;
	if (strcmp(key, "daemon_port") == 0)
		return e->pickup ? NULL : "25";
	if (strcmp(key, "client_addr") == 0)
		return e->client_addr;
	if (strcmp(key, "client_name") == 0 || strcmp(key, "client_ptr") == 0)
		return e->client_name;
	if (strcmp(key, "client_port") == 0)
		return c->client_port;
	if (strcmp(key, "i") == 0)
		return c->qid;
	if (strcmp(key, "auth_type") == 0)
		return e->auth_authen ? e->auth_type : NULL;
	if (strcmp(key, "auth_authen") == 0)
		return e->auth_authen;
	if (strcmp(key, "auth_author") == 0)
		return e->auth_author;
	if (strcmp(key, "mail_addr") == 0)
		return c->sender ? addr_bare(c->sender, buf, size) : NULL;
	if (strcmp(key, "mail_host") == 0)
		return c->sender ? addr_domain(c->sender, buf, size) : NULL;
	if (strcmp(key, "rcpt_addr") == 0)
		return c->rcpt ? addr_bare(c->rcpt, buf, size) : NULL;
	if (strcmp(key, "rcpt_host") == 0)
		return c->rcpt ? addr_domain(c->rcpt, buf, size) : NULL;
	if (strcmp(key, "mail_mailer") == 0)
		return c->sender ? "smtp" : NULL;
	if (strcmp(key, "rcpt_mailer") == 0)
		return c->rcpt ? "smtp" : NULL;
	return NULL;
}

/*
 * SMFIC_MACRO for the command about to be sent: the milter's list for the
 * stage if it asked for one, else Postfix's default list.
 */
int
mc_send_macros(struct mclient *c, char cmd, int stage)
{
	const char *list = c->symlist[stage] ? c->symlist[stage] : default_symlist[stage];
	struct pkt p;
	const char *s = list;
	char name[128], vbuf[512];
	int r;

	pkt_init(&p);
	if (pkt_add(&p, &cmd, 1) != 0)
		goto nomem;
	while (*s) {
		size_t n = strcspn(s, " \t,");
		const char *v;

		if (n > 0 && n < sizeof(name)) {
			memcpy(name, s, n);
			name[n] = '\0';
			if ((v = macro_value(c, name, vbuf, sizeof(vbuf))) != NULL
			    && (pkt_str(&p, name) != 0 || pkt_str(&p, v) != 0))
				goto nomem;
		}
		s += n;
		s += strspn(s, " \t,");
	}
	if (*list == '\0') {
		pkt_free(&p);
		return 0;
	}
	r = mc_send(c, SMFIC_MACRO, p.p, p.len);
	pkt_free(&p);
	return r;
nomem:
	pkt_free(&p);
	return mc_fail(c, "out of memory");
}

/* Map a final reply command to a verdict; MC_NONE for continue. */
static enum mclient_verdict
reply_verdict(struct mclient *c, char cmd, const unsigned char *d, size_t len,
    char *reply, size_t rsize)
{
	switch (cmd) {
	case SMFIR_CONTINUE:
		return MC_NONE;
	case SMFIR_ACCEPT:
		return MC_ACCEPT;
	case SMFIR_REJECT:
		return MC_REJECT;
	case SMFIR_TEMPFAIL:
		return MC_TEMPFAIL;
	case SMFIR_DISCARD:
		return MC_DISCARD;
	case SMFIR_SHUTDOWN:
		return MC_SHUTDOWN;
	case SMFIR_CONN_FAIL:
		return MC_CONNFAIL;
	case SMFIR_REPLYCODE:
		/* Postfix insists on "4xx 4..." or "5xx 5..." here. */
		if (len < 5 || d[len - 1] != '\0' || (d[0] != '4' && d[0] != '5')
		    || d[1] < '0' || d[1] > '9' || d[2] < '0' || d[2] > '9'
		    || (d[3] != ' ' && d[3] != '-') || d[4] != d[0]) {
			mc_fail(c, "malformed SMFIR_REPLYCODE");
			return MC_NONE;
		}
		snprintf(reply, rsize, "%s", (const char *)d);
		return d[0] == '4' ? MC_TEMPFAIL : MC_REJECT;
	}
	return MC_NONE;
}

/*
 * Send one event (with its macros first) unless the milter skipped the
 * stage, and read its reply unless the milter said it sends none. *v gets
 * the verdict (MC_NONE = continue); *skip is set on SMFIR_SKIP.
 */
int
mc_event(struct mclient *c, char cmd, uint32_t skipbit, uint32_t nrbit, int mstage,
    const void *data, size_t len, enum mclient_verdict *v, int *skip,
    char *reply, size_t rsize)
{
	char rc;
	const unsigned char *rd;
	size_t rl;

	*v = MC_NONE;
	if (skip)
		*skip = 0;
	if (skipbit && (c->proto & skipbit))
		return 0;
	if (mstage >= 0 && mc_send_macros(c, cmd, mstage) != 0)
		return -1;
	if (mc_send(c, cmd, data, len) != 0)
		return -1;
	if (nrbit && (c->proto & nrbit))
		return 0;
	for (;;) {
		if (mc_recv(c, &rc, &rd, &rl) != 0)
			return -1;
		if (rc == SMFIR_PROGRESS)
			continue;
		break;
	}
	if (rc == SMFIR_SKIP && skip != NULL && rl == 0) {
		*skip = 1;
		return 0;
	}
	if (rc == SMFIR_REPLYCODE) {
		*v = reply_verdict(c, rc, rd, rl, reply, rsize);
		return *v == MC_NONE ? -1 : 0;
	}
	if (rc == '\0' || strchr("cartdf4", rc) == NULL)
		return mc_fail(c, "unexpected reply '%c' after event '%c'", rc, cmd);
	if (rl != 0)
		return mc_fail(c, "reply '%c' followed by %zu data bytes", rc, rl);
	*v = reply_verdict(c, rc, rd, rl, reply, rsize);
	return 0;
}

/* Read the milter's OPTNEG reply: masks, then the optional macro lists. */
static int
optneg(struct mclient *c, uint32_t offer_proto)
{
	unsigned char o[12];
	uint32_t w[3], x;
	char rc;
	const unsigned char *d;
	size_t len, off;
	int i;

	w[0] = htonl(SMFI_PROT_VERSION);
	w[1] = htonl(SMFI_CURR_ACTS);
	w[2] = htonl(offer_proto);
	memcpy(o, w, sizeof(o));
	if (mc_send(c, SMFIC_OPTNEG, o, sizeof(o)) != 0)
		return -1;
	if (mc_recv(c, &rc, &d, &len) != 0)
		return -1;
	if (rc != SMFIC_OPTNEG || len < 12)
		return mc_fail(c, "bad OPTNEG reply '%c' (%zu bytes)", rc, len);
	memcpy(&x, d, 4); c->version = ntohl(x);
	memcpy(&x, d + 4, 4); c->actions = ntohl(x);
	memcpy(&x, d + 8, 4); c->proto = ntohl(x);
	if (c->version < 2 || c->version > SMFI_PROT_VERSION)
		return mc_fail(c, "milter protocol version %u not supported", c->version);
	if (c->actions & ~(uint32_t)SMFI_CURR_ACTS)
		return mc_fail(c, "milter asks for actions 0x%x beyond 0x%x",
		    c->actions, (unsigned)SMFI_CURR_ACTS);
	if (c->proto & ~offer_proto)
		return mc_fail(c, "milter protocol mask 0x%x has steps not offered (0x%x)",
		    c->proto, offer_proto);
	for (off = 12; off < len;) {
		size_t n;

		if (len - off < 5)
			return mc_fail(c, "truncated macro list in OPTNEG reply");
		memcpy(&x, d + off, 4);
		x = ntohl(x);
		off += 4;
		if (x >= MC_NSTAGES)
			return mc_fail(c, "macro list for unknown stage %u", x);
		if ((n = strnlen((const char *)d + off, len - off)) == len - off)
			return mc_fail(c, "unterminated macro list in OPTNEG reply");
		free(c->symlist[x]);
		if ((c->symlist[x] = strdup((const char *)d + off)) == NULL)
			return mc_fail(c, "out of memory");
		off += n + 1;
	}
	if (c->trace) {
		fprintf(c->trace, "optneg: version %u actions 0x%x proto 0x%x\n",
		    c->version, c->actions, c->proto);
		for (i = 0; i < MC_NSTAGES; i++)
			if (c->symlist[i])
				fprintf(c->trace, "optneg: macros[%d] = %s\n", i, c->symlist[i]);
	}
	return 0;
}

/* Fill in the session defaults Postfix would use. */
static void
set_env(struct mclient *c, const mclient_env *env)
{
	mclient_env *e = &c->env;

	if (env)
		*e = *env;
	if (e->myhostname == NULL)
		e->myhostname = "mail.example.org";
	if (e->daemon_name == NULL)
		e->daemon_name = e->myhostname;
	if (e->pickup) {
		/* What cleanup(8) reports for sendmail(1)/pickup mail. */
		e->client_addr = "127.0.0.1";
		e->client_name = "localhost";
		e->client_port = 0;
		e->helo = "localhost";
		e->auth_type = e->auth_authen = e->auth_author = NULL;
	} else if (e->client_port == 0) {
		e->client_port = 49152;
	}
	if (e->daemon_addr == NULL)
		e->daemon_addr = "127.0.0.1";
	if (e->client_addr == NULL)
		e->client_addr = "127.0.0.1";
	if (e->client_name == NULL)
		e->client_name = strcmp(e->client_addr, "127.0.0.1") == 0 ? "localhost" : "unknown";
	if (e->helo == NULL)
		e->helo = e->client_name;
	if (e->auth_authen && e->auth_type == NULL)
		e->auth_type = "PLAIN";
	snprintf(c->client_port, sizeof(c->client_port), "%u", e->client_port);
	snprintf(c->underscore, sizeof(c->underscore), "%s [%s]",
	    e->client_name, e->client_addr);
}

/* Connect and negotiate options (see mclient.h). */
int
mclient_open(mclient **out, const char *sock, const mclient_env *env,
    const mclient_opts *opts, char *err, size_t errsize)
{
	struct mclient *c;
	uint32_t offer = SMFI_CURR_PROT;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	c->fd = -1;
	c->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
	c->chunk = opts && opts->chunk > 0 && opts->chunk <= 65535 ? opts->chunk : 65535;
	c->trace = opts ? opts->trace : NULL;
	c->no_output = opts ? opts->no_output : 0;
	c->eom_delay_ms = opts ? opts->eom_delay_ms : 0;
	if (opts && opts->no_leadspc)
		offer &= ~(uint32_t)SMFIP_HDR_LEADSPC;
	set_env(c, env);
	if (mc_dial(c, sock) != 0 || optneg(c, offer) != 0) {
		snprintf(err, errsize, "%s", c->err);
		mclient_close(c, 0);
		return -1;
	}
	*out = c;
	return 0;
}

/* Record a connection-level verdict; Postfix stops talking to the milter. */
static void
conn_verdict(struct mclient *c, enum mclient_verdict v, enum mclient_stage st)
{
	if (v == MC_NONE)
		return;
	c->conn_verdict = v;
	c->conn_stage = st;
}

/* SMFIC_CONNECT with the client's name, family, port and address. */
int
mclient_connect(mclient *c, enum mclient_verdict *v)
{
	struct pkt p;
	const mclient_env *e = &c->env;
	char fam = strchr(e->client_addr, ':') ? SMFIA_INET6 : SMFIA_INET;
	uint16_t port = htons((uint16_t)e->client_port);
	int r;

	*v = MC_NONE;
	pkt_init(&p);
	if (pkt_str(&p, e->client_name) != 0 || pkt_add(&p, &fam, 1) != 0
	    || pkt_add(&p, &port, 2) != 0 || pkt_str(&p, e->client_addr) != 0) {
		pkt_free(&p);
		return mc_fail(c, "out of memory");
	}
	r = mc_event(c, SMFIC_CONNECT, SMFIP_NOCONNECT, SMFIP_NR_CONN, 0, p.p, p.len,
	    v, NULL, c->conn_reply, sizeof(c->conn_reply));
	pkt_free(&p);
	if (r == 0)
		conn_verdict(c, *v, MC_ST_CONNECT);
	return r;
}

/* SMFIC_HELO, unless the connection already has a verdict. */
int
mclient_helo(mclient *c, enum mclient_verdict *v)
{
	int r;

	*v = c->conn_verdict;
	if (c->conn_verdict != MC_NONE)
		return 0;
	r = mc_event(c, SMFIC_HELO, SMFIP_NOHELO, SMFIP_NR_HELO, 1, c->env.helo,
	    strlen(c->env.helo) + 1, v, NULL, c->conn_reply, sizeof(c->conn_reply));
	if (r == 0)
		conn_verdict(c, *v, MC_ST_HELO);
	return r;
}

/* End the transaction: SMFIC_ABORT, as Postfix sends after each one. */
int
mclient_abort(mclient *c)
{
	c->in_txn = 0;
	c->sender = c->rcpt = c->qid = NULL;
	if (c->conn_verdict != MC_NONE || c->dead)
		return 0;
	return mc_send(c, SMFIC_ABORT, NULL, 0);
}

/* Optionally say QUIT, then close the socket and free the connection. */
void
mclient_close(mclient *c, int quit)
{
	int i;

	if (c == NULL)
		return;
	/* After a connection-level verdict Postfix closes without QUIT. */
	if (quit && c->fd >= 0 && !c->dead && c->conn_verdict == MC_NONE)
		(void)mc_send(c, SMFIC_QUIT, NULL, 0);
	/* Even an abrupt close delivers what was sent (a half transaction). */
	if (c->fd >= 0 && !c->dead)
		(void)mc_flush(c);
	if (c->fd >= 0)
		close(c->fd);
	for (i = 0; i < MC_NSTAGES; i++)
		free(c->symlist[i]);
	free(c->rbuf);
	free(c);
}

/* Free the message held by a result. */
void
mclient_result_free(mclient_result *r)
{
	free(r->msg);
	r->msg = NULL;
	r->msglen = 0;
}

