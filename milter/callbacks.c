/*
 * callbacks.c - libmilter callbacks: what is known of a connection goes in
 * one struct conn (smfi_setpriv); the message itself is a struct session
 * shared with the offline mode. The MTA is asked for nothing postdkim does
 * not use (no HELO, RCPT, DATA, unknown commands) and for no replies where
 * postdkim never says anything but "continue".
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "../dkim/dbuf.h"
#include "../config/config_verify.h"
#include "../verify/verdict.h"
#include "../verify/verifier.h"
#include "callbacks.h"
#include "log.h"
#include "logpolicy.h"
#include "progress.h"
#include "msgstats.h"
#include "reload.h"
#include "session.h"

struct conn {
	struct runcfg *rc;		/* configuration for this connection */
	int counted;			/* in the connection metrics (an MTA's, not a probe) */
	unsigned long pflags;		/* protocol flags we asked for */
	int leadspc;			/* SMFIP_HDR_LEADSPC negotiated */
	int conn_internal;		/* a copy failed at connect: every message fails */
	int internal;			/* a copy failed in this message */
	struct sockaddr_storage sa;
	int have_sa;
	char *client_name;
	char *client_addr;
	char *daemon_name;
	char *auth_type;
	char *auth_authen;
	int in_msg;			/* session holds a message */
	int signing;			/* past the end of header, counted in cb_busy */
	int hold;			/* quarantine decided before the end of message */
	int peer;			/* client in PeerList: passed on untouched */
	unsigned ndkim;			/* DKIM-Signature fields in the message */
	size_t hdrbytes;		/* header bytes, for MaximumHeaders */
	char *nosign_rcpt;		/* a recipient in DontSignMailTo, or NULL */
	struct session sess;
	dbuf hval;			/* header value with the space restored */
};

static time_t cb_fixed_time;
static atomic_long cb_busy;		/* messages being signed, for a clean stop */
static atomic_int cb_stopping;		/* stop requested: start no new signature */

/* The daemon is stopping: messages not yet signing are let go. */
void callbacks_stopping(void)
{
	atomic_store(&cb_stopping, 1);
}

/* How many messages are being signed right now (end of header to end). */
long callbacks_busy(void)
{
	return atomic_load(&cb_busy);
}

/* Sign with a fixed time instead of the clock. */
void callbacks_set_time(time_t fixed)
{
	cb_fixed_time = fixed;
}

/* Replace a copied string with a copy of a new one (NULL allowed). */
static int cb_setstr(char **dst, const char *src)
{
	free(*dst);
	*dst = NULL;
	if (src == NULL)
		return 0;
	if ((*dst = strdup(src)) == NULL)
		return -1;
	return 0;
}

/* The connection's struct, created on first use. */
static struct conn *cb_conn(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		return c;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_msg(LOG_ERR, "out of memory for a new connection");
		return NULL;
	}
	if ((c->rc = reload_acquire()) == NULL) {
		free(c);
		return NULL;
	}
	dbuf_init(&c->hval);
	session_init(&c->sess, c->rc);
	if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
		reload_release(c->rc);
		free(c);
		return NULL;
	}
	return c;
}

/* A message starts. */
static void cb_begin_message(struct conn *c)
{
	if (!c->in_msg) {
		session_init(&c->sess, c->rc);
		c->in_msg = 1;
		c->ndkim = 0;
		c->hdrbytes = 0;
	}
}

/* Forget the message in progress, if any. */
static void cb_end_message(struct conn *c)
{
	if (c->in_msg)
		session_reset(&c->sess);
	if (c->signing)
		atomic_fetch_sub(&cb_busy, 1);
	c->in_msg = 0;
	c->signing = 0;
	c->internal = 0;
	cb_setstr(&c->nosign_rcpt, NULL);
	cb_setstr(&c->auth_type, NULL);
	cb_setstr(&c->auth_authen, NULL);
}

/* Reply for a stage where we asked not to reply (libmilter needs NOREPLY). */
static sfsistat cb_continue(const struct conn *c, unsigned long nr_bit)
{
	return c != NULL && (c->pflags & nr_bit) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static const char *cb_qid(SMFICTX *ctx);
static void cb_software_header(SMFICTX *ctx, const struct conn *c);

/*
 * Quarantine: accept and ask the MTA to hold the message (Postfix's hold
 * queue). libmilter allows this only at the end of the message.
 */
static sfsistat cb_quarantine(SMFICTX *ctx, const char *reason)
{
	if (smfi_quarantine(ctx, (char *)reason) != MI_SUCCESS)
		log_msg(LOG_WARNING, "%s: the MTA refused to quarantine the message; accepted",
		    cb_qid(ctx));
	return SMFIS_ACCEPT;
}

/*
 * The libmilter status for a configured action. skipped: the message is
 * not one postdkim signs (On-Default), rather than one it failed to sign.
 * c, when not NULL, is the connection: a quarantine decided before the end
 * of the message is carried out there (cb_eom).
 */
static sfsistat cb_action(SMFICTX *ctx, struct conn *c, enum config_action a, int skipped,
    int eom)
{
	switch (a) {
	case ACTION_DISCARD:
		return SMFIS_DISCARD;
	case ACTION_QUARANTINE:
		if (eom || c == NULL)
			return cb_quarantine(ctx, skipped ? "DKIM: not signed" :
			    "DKIM signing failed");
		c->hold = 1 + skipped;
		return SMFIS_CONTINUE;
	case ACTION_TEMPFAIL:
		(void)smfi_setreply(ctx, "451", "4.7.0", skipped ?
		    "Message not accepted for DKIM signing, try again later" :
		    "DKIM signing failed, try again later");
		return SMFIS_TEMPFAIL;
	case ACTION_REJECT:
		(void)smfi_setreply(ctx, "550", "5.7.0", skipped ?
		    "Message not accepted for DKIM signing" : "DKIM signing failed");
		return SMFIS_REJECT;
	case ACTION_ACCEPT:
	default:
		return SMFIS_ACCEPT;
	}
}

/* The queue id for log lines. */
static const char *cb_qid(SMFICTX *ctx)
{
	const char *q = smfi_getsymval(ctx, "i");

	return q != NULL && *q != '\0' ? q : "NOQUEUE";
}

/* Append a macro name to a symbol list, in the {name} form the MTA knows. */
static void cb_addsym(dbuf *b, const char *name)
{
	if (b->len > 0)
		dbuf_addc(b, ' ');
	if (strlen(name) > 1 && name[0] != '{') {
		dbuf_addc(b, '{');
		dbuf_adds(b, name);
		dbuf_addc(b, '}');
	} else {
		dbuf_adds(b, name);
	}
}

/* Ask for exactly the macros postdkim reads, at the stages it reads them. */
static void cb_symlists(SMFICTX *ctx, const struct config *cfg)
{
	dbuf eoh;
	size_t i;

	/* j: $myhostname, the default authserv-id of our Authentication-Results. */
	(void)smfi_setsymlist(ctx, SMFIM_CONNECT, "j {daemon_name} {client_addr} {client_name}");
	(void)smfi_setsymlist(ctx, SMFIM_ENVFROM, "{auth_type} {auth_authen}");
	/* MacroList names are read at the end of the header, with the queue id. */
	dbuf_init(&eoh);
	dbuf_adds(&eoh, "i");
	for (i = 0; i < cfg->nmacros; i++)
		cb_addsym(&eoh, cfg->macros[i].name);
	if (!dbuf_failed(&eoh))
		(void)smfi_setsymlist(ctx, SMFIM_EOH, eoh.data);
	dbuf_free(&eoh);
	(void)smfi_setsymlist(ctx, SMFIM_EOM, "i");
}

/* Option negotiation: what the MTA sends and where it waits for replies. */
static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	/* Stages postdkim has no use for. */
	unsigned long skip = SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NOUNKNOWN | SMFIP_NODATA;
	/*
	 * Stages where postdkim only ever says "continue": connect, MAIL, each
	 * header and body chunk. Not the end of the header, where it accepts
	 * mail it does not sign.
	 */
	unsigned long noreply = SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR | SMFIP_NR_BODY;
	struct conn *c;

	(void)f2;
	(void)f3;
	if ((c = cb_conn(ctx)) == NULL)
		return SMFIS_REJECT;	/* libmilter drops the connection */
	/* DontSignMailTo needs the recipients. */
	if (c->rc->cfg->dont_sign_to != NULL) {
		skip &= ~(unsigned long)SMFIP_NORCPT;
		noreply |= SMFIP_NR_RCPT;
	}
	if ((f0 & SMFIF_ADDHDRS) == 0) {
		log_msg(LOG_ERR, "the MTA does not allow adding header fields; cannot sign");
		return SMFIS_REJECT;
	}
	/* CHGHDRS: forged Authentication-Results fields are removed (Mode v/sv). */
	/* QUARANTINE: for the On-* action quarantine (Postfix's hold queue). */
	*pf0 = SMFIF_ADDHDRS | (f0 & (SMFIF_SETSYMLIST | SMFIF_CHGHDRS | SMFIF_QUARANTINE));
	c->pflags = (skip | noreply) & f1;
	/* Simple header canonicalization needs the value exactly as written. */
	if (f1 & SMFIP_HDR_LEADSPC)
		c->pflags |= SMFIP_HDR_LEADSPC;
	c->leadspc = (c->pflags & SMFIP_HDR_LEADSPC) != 0;
	*pf1 = c->pflags;
	*pf2 = 0;
	*pf3 = 0;
	if (f0 & SMFIF_SETSYMLIST)
		cb_symlists(ctx, c->rc->cfg);
	return SMFIS_CONTINUE;
}

/* New SMTP client: remember who it is. */
static sfsistat cb_connect(SMFICTX *ctx, char *hostname, struct sockaddr *sa)
{
	struct conn *c;
	size_t salen = 0;

	if ((c = cb_conn(ctx)) == NULL)
		return SMFIS_CONTINUE;	/* nothing to reply with a NR stage; EOH acts */
	/*
	 * Counted here, not at the negotiation: the daemon's own probes
	 * (readiness, watchdog) negotiate and quit, and are no MTA connection.
	 */
	if (!c->counted) {
		c->counted = 1;
		stats_add(STATS_CONN_TOTAL, 1);
		stats_gauge_add(STATS_G_CONN_OPEN, 1);
	}
	if (sa != NULL) {
		if (sa->sa_family == AF_INET)
			salen = sizeof(struct sockaddr_in);
		else if (sa->sa_family == AF_INET6)
			salen = sizeof(struct sockaddr_in6);
	}
	if (salen > 0) {
		memcpy(&c->sa, sa, salen);
		c->have_sa = 1;
	}
	if (cb_setstr(&c->client_name, hostname) != 0 ||
	    cb_setstr(&c->client_addr, smfi_getsymval(ctx, "{client_addr}")) != 0 ||
	    cb_setstr(&c->daemon_name, smfi_getsymval(ctx, "{daemon_name}")) != 0)
		c->conn_internal = 1;
	/* PeerList (OpenDKIM): neither signed nor verified, said at the end of the header. */
	c->peer = c->rc->cfg->peer_list.n > 0 && cidr_match(&c->rc->cfg->peer_list,
	    c->have_sa ? (const struct sockaddr *)&c->sa : NULL,
	    hostname != NULL && hostname[0] != '[' ? hostname : NULL);
	return cb_continue(c, SMFIP_NR_CONN);
}

/* MAIL FROM: a new message; remember how the client authenticated. */
static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);

	(void)argv;
	if (c == NULL)
		return SMFIS_CONTINUE;
	cb_end_message(c);
	cb_begin_message(c);
	if (cb_setstr(&c->auth_type, smfi_getsymval(ctx, "{auth_type}")) != 0 ||
	    cb_setstr(&c->auth_authen, smfi_getsymval(ctx, "{auth_authen}")) != 0)
		c->internal = 1;
	return cb_continue(c, SMFIP_NR_MAIL);
}

/* RCPT TO: with DontSignMailTo, remember the first listed recipient. */
static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);
	const struct config *cfg;
	char addr[512], err[256];
	size_t n;

	if (c == NULL || c->nosign_rcpt != NULL || argv == NULL || argv[0] == NULL)
		return cb_continue(c, SMFIP_NR_RCPT);
	cfg = c->rc->cfg;
	if (cfg->dont_sign_to == NULL)
		return cb_continue(c, SMFIP_NR_RCPT);
	/* "<user@domain>" as the MTA passes it. */
	snprintf(addr, sizeof(addr), "%s", argv[0][0] == '<' ? argv[0] + 1 : argv[0]);
	n = strlen(addr);
	if (n > 0 && addr[n - 1] == '>')
		addr[--n] = '\0';
	if (n > 0 && dataset_has(cfg->dont_sign_to, addr, err, sizeof(err)) > 0 &&
	    cb_setstr(&c->nosign_rcpt, addr) != 0)
		c->internal = 1;
	return cb_continue(c, SMFIP_NR_RCPT);
}

/* One header field. */
static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL || c->peer)
		return cb_continue(c, SMFIP_NR_HDR);
	cb_begin_message(c);
	/* MaximumHeaders (OpenDKIM): counted as name, value and ": ". */
	c->hdrbytes += strlen(name) + strlen(value) + 2;
	/* RemoveOldSignatures: how many there are to remove. */
	if (strcasecmp(name, "DKIM-Signature") == 0 && c->ndkim < UINT_MAX)
		c->ndkim++;
	if (c->leadspc) {
		session_header(&c->sess, name, strlen(name), value, strlen(value));
		return cb_continue(c, SMFIP_NR_HDR);
	}
	/*
	 * Without SMFIP_HDR_LEADSPC the MTA removed the space after the colon;
	 * put it back, or simple header canonicalization signs other bytes
	 * than the recipient sees.
	 */
	dbuf_reset(&c->hval);
	dbuf_addc(&c->hval, ' ');
	dbuf_adds(&c->hval, value);
	if (dbuf_failed(&c->hval))
		c->internal = 1;
	else
		session_header(&c->sess, name, strlen(name), c->hval.data, c->hval.len);
	/* Header values can be large; do not keep a big buffer between messages. */
	if (c->hval.cap > 65536) {
		dbuf_free(&c->hval);
		dbuf_init(&c->hval);
	}
	return cb_continue(c, SMFIP_NR_HDR);
}

/* The value of any macro, for MacroList. */
static const char *cb_macro(void *arg, const char *name)
{
	return smfi_getsymval(arg, (char *)name);
}

/* Log and act on a message that will not be signed (eom: at its end). */
static sfsistat cb_not_signed(SMFICTX *ctx, struct conn *c, int eom)
{
	const struct session *s = &c->sess;
	sfsistat r;

	char facts[512] = "";

	/* LogWhy: what policy saw, to answer "why was this (not) signed?". */
	if (c->rc->cfg->log_why)
		snprintf(facts, sizeof(facts), " [client %s %s, daemon %s, auth %s]",
		    c->client_name ? c->client_name : "-", c->client_addr ? c->client_addr : "-",
		    c->daemon_name ? c->daemon_name : "-", c->auth_authen ? c->auth_authen : "-");
	if (s->verdict == SESSION_SKIP && s->action == ACTION_ACCEPT) {
		if (logpolicy_skipped(c->rc->cfg, s->not_ours))
			log_msg(LOG_INFO, "%s: not signed: %s%s", cb_qid(ctx), s->why, facts);
	} else {
		log_msg(s->verdict == SESSION_SKIP ? LOG_INFO : LOG_WARNING,
		    "%s: not signed: %s (action %s)%s", cb_qid(ctx), s->why,
		    config_action_name(s->action), facts);
	}
	msgstats_not_signed(s, s->action);
	r = cb_action(ctx, c, s->action, s->verdict == SESSION_SKIP, eom);
	cb_end_message(c);
	return r;
}

/* End of header: decide whether and with which keys to sign. */
static sfsistat cb_eoh(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	struct policy_facts f;
	sfsistat r;
	enum config_action a;

	if (c != NULL && c->peer) {
		log_msg(LOG_DEBUG, "%s: not signed or verified: client in PeerList", cb_qid(ctx));
		msgstats_early(STATS_MODE_NONE, ACTION_ACCEPT, STATS_NS_NONE);
		cb_end_message(c);
		return SMFIS_ACCEPT;
	}
	if (c == NULL || c->internal || c->conn_internal) {
		struct runcfg *rc = c != NULL ? c->rc : reload_acquire();

		a = rc != NULL ? rc->cfg->on_internal_error : ACTION_TEMPFAIL;
		log_msg(LOG_ERR, "%s: not signed: out of memory (action %s)", cb_qid(ctx),
		    config_action_name(a));
		msgstats_early(STATS_MODE_SIGN, a, STATS_NS_INTERNAL);
		if (c == NULL)
			reload_release(rc);
		else
			cb_end_message(c);
		return cb_action(ctx, c, a, 0, 0);
	}
	cb_begin_message(c);
	if (c->rc->cfg->max_headers > 0 && c->hdrbytes > c->rc->cfg->max_headers) {
		a = c->rc->cfg->verify->on_security;
		log_msg(LOG_NOTICE, "%s: not signed or verified: %zu bytes of header, over "
		    "MaximumHeaders %zu (action %s)", cb_qid(ctx), c->hdrbytes,
		    c->rc->cfg->max_headers, config_action_name(a));
		msgstats_early(STATS_MODE_NONE, a, STATS_NS_NONE);
		cb_end_message(c);
		return cb_action(ctx, c, a, 1, 0);
	}
	/*
	 * While stopping, a connection may keep sending messages; start no
	 * new signature, so that the process can exit once the messages
	 * already being signed are done. Counted first, checked second: the
	 * main thread sets the flag first and reads the count second.
	 */
	c->signing = 1;
	atomic_fetch_add(&cb_busy, 1);
	if (atomic_load(&cb_stopping)) {
		/* Tempfail, not accept: the MTA retries and the message leaves signed. */
		log_msg(LOG_INFO, "%s: not signed: postdkim is stopping (tempfail)", cb_qid(ctx));
		msgstats_early(STATS_MODE_NONE, ACTION_TEMPFAIL, STATS_NS_NONE);
		cb_end_message(c);
		return cb_action(ctx, c, ACTION_TEMPFAIL, 0, 0);
	}
	memset(&f, 0, sizeof(f));
	f.client_sa = c->have_sa ? (const struct sockaddr *)&c->sa : NULL;
	f.client_addr = c->client_addr;
	f.client_name = c->client_name;
	f.daemon_name = c->daemon_name;
	f.auth_type = c->auth_type;
	f.auth_authen = c->auth_authen;
	f.macro = cb_macro;
	f.macro_arg = ctx;
	switch (session_eoh(&c->sess, &f, cb_fixed_time ? cb_fixed_time : time(NULL))) {
	case SESSION_CONTINUE:
		/* DontSignMailTo (OpenDKIM): mail it would sign goes on untouched. */
		if (c->nosign_rcpt != NULL) {
			if (logpolicy_skipped(c->rc->cfg, 1))
				log_msg(LOG_INFO, "%s: not signed: recipient %s in DontSignMailTo",
				    cb_qid(ctx), c->nosign_rcpt);
			msgstats_ours_failed(&c->sess, STATS_NS_DONT_SIGN_TO, ACTION_ACCEPT);
			cb_end_message(c);
			return SMFIS_ACCEPT;
		}
		return SMFIS_CONTINUE;
	case SESSION_VERIFY:
		return SMFIS_CONTINUE;
	default:
		break;
	}
	r = cb_not_signed(ctx, c, 0);
	return r;
}

/* A body chunk (CRLF lines, up to 64 KB): straight into the body hash. */
static sfsistat cb_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL && c->in_msg)
		session_body(&c->sess, data, len);
	return cb_continue(c, SMFIP_NR_BODY);
}

/*
 * End of a verified message: remove the forged Authentication-Results
 * fields, last first (each deletion shifts the indexes of the later ones),
 * add ours at the top, log one line, act.
 */
static sfsistat cb_verified(SMFICTX *ctx, struct conn *c)
{
	const struct config *cfg = c->rc->cfg;
	const struct verify_cfg *vc = cfg->verify;
	struct verifier *v = c->sess.ver;
	const char *j = smfi_getsymval(ctx, "j"), *ours;
	struct verdict vd;
	size_t i, removed = 0;
	enum config_action a;
	dbuf id, line;
	int prio, why;

	ours = vc->authserv_id ? vc->authserv_id : j != NULL && *j ? j : "localhost";
	dbuf_init(&id);
	dbuf_init(&line);
	if (vc->authserv_jobid)
		dbuf_printf(&id, "%s/%s", ours, cb_qid(ctx));
	else
		dbuf_adds(&id, ours);
	verdict_make(&vd, v, ours, dbuf_failed(&id) ? NULL : id.data, "\n\t", c->leadspc,
	    cfg->on_internal_error);
	for (i = 0; i < vd.nforged; i++)
		removed += smfi_chgheader(ctx, "Authentication-Results",
		    (int)verdict_forged(&vd, i), NULL) == MI_SUCCESS;
	if (vd.ar_rc > 0 &&
	    smfi_insheader(ctx, 0, "Authentication-Results", vd.ar.data) != MI_SUCCESS)
		vd.ar_rc = -1;
	if (cfg->software_header)
		cb_software_header(ctx, c);
	a = vd.action;
	/* Problems always; the rest as LogResults, SyslogSuccess and LogWhy ask (logpolicy.c). */
	if ((prio = logpolicy_verified(cfg, c->sess.not_ours, v, &vd, removed, &why)) >= 0) {
		verifier_logline(v, removed, vd.nforged, vd.unparsable, vd.ar_rc, a, vd.what,
		    &line);
		log_msg(prio, "%s: %s%s%sverified: %s", cb_qid(ctx), why ? "not signed: " : "",
		    why ? c->sess.why : "", why ? "; " : "",
		    dbuf_failed(&line) ? "(out of memory)" : line.data);
	}
	msgstats_verified(&c->sess, v, removed, a);
	verdict_free(&vd);
	dbuf_free(&id);
	dbuf_free(&line);
	cb_end_message(c);
	switch (a) {
	case ACTION_DISCARD:
		return SMFIS_DISCARD;
	case ACTION_QUARANTINE:
		return cb_quarantine(ctx, "DKIM verification failed");
	case ACTION_TEMPFAIL:
		(void)smfi_setreply(ctx, "451", "4.7.5", "DKIM verification: try again later");
		return SMFIS_TEMPFAIL;
	case ACTION_REJECT:
		(void)smfi_setreply(ctx, "550", "5.7.20", "DKIM verification failed");
		return SMFIS_REJECT;
	default:
		return SMFIS_ACCEPT;
	}
}

/* SoftwareHeader: a DKIM-Filter field at the top, as OpenDKIM adds its own. */
static void cb_software_header(SMFICTX *ctx, const struct conn *c)
{
	const char *j = smfi_getsymval(ctx, "j");
	char host[256], v[600];

	if (j == NULL || *j == '\0') {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		j = host;
	}
	session_filter_value(v, sizeof(v), j, cb_qid(ctx), c->leadspc);
	if (smfi_insheader(ctx, 0, "DKIM-Filter", v) != MI_SUCCESS)
		log_msg(LOG_WARNING, "%s: the MTA refused the DKIM-Filter field", cb_qid(ctx));
}

/* Free the signature fields built for one message. */
static void cb_free_fields(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * End of message: finish the signatures and add them at the top. Every
 * field is built before the first is inserted, so that running out of
 * memory never leaves part of a set; an insertion that fails after
 * another succeeded tempfails the message whatever the configured action,
 * because accepting it would let a partial set of signatures leave (the
 * MTA retries, and the retry is signed in full).
 */
static sfsistat cb_eom(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	const struct config *cfg;
	sfsistat r;
	char desc[512];
	size_t i, n;
	char **v;

	if (c != NULL && c->hold) {	/* quarantine decided at the end of the header */
		r = cb_quarantine(ctx, c->hold > 1 ? "DKIM: not signed" : "DKIM signing failed");
		c->hold = 0;
		return r;
	}
	if (c == NULL || !c->in_msg)
		return SMFIS_CONTINUE;
	cfg = c->rc->cfg;
	switch (session_eom(&c->sess)) {
	case SESSION_SIGNED:
		break;
	case SESSION_VERIFY:
		return cb_verified(ctx, c);
	default:
		return cb_not_signed(ctx, c, 1);
	}
	n = session_nsignatures(&c->sess);
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		if ((v[i] = session_signature(&c->sess, i, "\n", c->leadspc)) == NULL) {
			cb_free_fields(v, n);
			goto nomem;
		}
	/*
	 * RemoveOldSignatures (OpenDKIM): the message's own DKIM-Signature
	 * fields go, last first (each deletion shifts the later indexes).
	 */
	if (cfg->remove_old_signatures)
		for (i = c->ndkim; i > 0; i--)
			if (smfi_chgheader(ctx, "DKIM-Signature", (int)i, NULL) != MI_SUCCESS)
				log_msg(LOG_WARNING, "%s: the MTA refused to remove DKIM-Signature "
				    "%zu", cb_qid(ctx), i);
	/*
	 * Each insertion goes to the very top (RFC 6376 5.6 wants signatures
	 * above the fields they cover): insert the last first, so the final
	 * order is the order of the signers.
	 */
	for (i = n; i-- > 0;) {
		if (smfi_insheader(ctx, 0, "DKIM-Signature", v[i]) == MI_SUCCESS)
			continue;
		cb_free_fields(v, n);
		msgstats_ours_failed(&c->sess, STATS_NS_INTERNAL, i + 1 < n ? ACTION_TEMPFAIL :
		    cfg->on_internal_error);
		cb_end_message(c);
		if (i + 1 < n) {
			log_msg(LOG_ERR, "%s: the MTA refused signature %zu of %zu after accepting "
			    "the others (action tempfail: no partial set of signatures)",
			    cb_qid(ctx), n - i, n);
			return cb_action(ctx, c, ACTION_TEMPFAIL, 0, 1);
		}
		log_msg(LOG_ERR, "%s: not signed: the MTA refused the header (action %s)",
		    cb_qid(ctx), config_action_name(cfg->on_internal_error));
		return cb_action(ctx, c, cfg->on_internal_error, 0, 1);
	}
	cb_free_fields(v, n);
	if (cfg->software_header)
		cb_software_header(ctx, c);
	/* On-KeyError accept: signed with the keys that worked; say which did not. */
	if (c->sess.found.failed)
		log_msg(LOG_WARNING, "%s: not signed with every key: %s", cb_qid(ctx),
		    c->sess.found.why);
	if (cfg->syslog_success) {
		for (i = 0; i < n; i++) {
			session_describe(&c->sess, i, desc, sizeof(desc));
			log_msg(LOG_INFO, "%s: signed %s", cb_qid(ctx), desc);
		}
	}
	msgstats_signed(&c->sess, n);
	cb_end_message(c);
	return SMFIS_CONTINUE;
nomem:
	log_msg(LOG_ERR, "%s: not signed: out of memory (action %s)", cb_qid(ctx),
	    config_action_name(cfg->on_internal_error));
	msgstats_ours_failed(&c->sess, STATS_NS_INTERNAL, cfg->on_internal_error);
	cb_end_message(c);
	return cb_action(ctx, c, cfg->on_internal_error, 0, 1);
}

/* The MTA abandoned the message (RSET, error, end of transaction). */
static sfsistat cb_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL) {
		if (c->in_msg)
			stats_add(STATS_CONN_ABORTED, 1);
		cb_end_message(c);
		c->hold = 0;
	}
	return SMFIS_CONTINUE;
}

/* The connection is gone: free everything. */
static sfsistat cb_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	if (c->in_msg)
		stats_add(STATS_CONN_ABORTED, 1);
	if (c->counted)
		stats_gauge_add(STATS_G_CONN_OPEN, -1);
	cb_end_message(c);
	free(c->client_name);
	free(c->client_addr);
	free(c->daemon_name);
	free(c->nosign_rcpt);
	dbuf_free(&c->hval);
	reload_release(c->rc);
	free(c);
	(void)smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

/* Register the filter with libmilter. */
int callbacks_register(const char *name)
{
	struct smfiDesc desc;

	memset(&desc, 0, sizeof(desc));
	desc.xxfi_name = (char *)name;
	desc.xxfi_version = SMFI_VERSION;
	desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE;
	desc.xxfi_connect = cb_connect;
	desc.xxfi_envfrom = cb_envfrom;
	desc.xxfi_envrcpt = cb_envrcpt;
	desc.xxfi_header = cb_header;
	desc.xxfi_eoh = cb_eoh;
	desc.xxfi_body = cb_body;
	desc.xxfi_eom = cb_eom;
	desc.xxfi_abort = cb_abort;
	desc.xxfi_close = cb_close;
	desc.xxfi_negotiate = cb_negotiate;
	/* The watchdog's view of the message path (daemon/notify.c). */
	progress_wrap(&desc);
	return smfi_register(desc) == MI_SUCCESS ? 0 : -1;
}
