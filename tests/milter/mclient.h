/*
 * mclient.h - the MTA side of the milter protocol (version 6), spoken the
 * way Postfix 3.x speaks it, for tests and benchmarks.
 *
 * A connection offers every action (0x1FF) and every protocol step
 * (0x1FFFFF), then honours what the milter negotiates: skipped stages are
 * not sent, no-reply stages are not waited for, SMFIP_HDR_LEADSPC decides
 * whether header values keep their leading space. Macros are sent per stage
 * from Postfix's default lists or from the lists the milter asked for.
 * A message goes out as one SMFIC_HEADER per field (folded lines joined by a
 * bare LF) and CRLF body chunks of at most 65535 bytes; the modifications
 * the milter returns are applied to give the message Postfix would queue.
 * Every read and write is bounded by a timeout.
 */
#ifndef MCLIENT_H
#define MCLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What the milter finally said about a message (or a connection). */
enum mclient_verdict {
	MC_NONE = 0,		/* no verdict yet / transaction not finished */
	MC_ACCEPT,		/* SMFIR_ACCEPT or SMFIR_CONTINUE at end of message */
	MC_REJECT,		/* SMFIR_REJECT or a 5xx SMFIR_REPLYCODE */
	MC_TEMPFAIL,		/* SMFIR_TEMPFAIL or a 4xx SMFIR_REPLYCODE */
	MC_DISCARD,		/* SMFIR_DISCARD */
	MC_SHUTDOWN,		/* SMFIR_SHUTDOWN (421) */
	MC_CONNFAIL,		/* SMFIR_CONN_FAIL */
	MC_CLOSED,		/* we closed the connection on purpose mid-way */
};

const char *mclient_verdict_name(enum mclient_verdict v);

/* Protocol stages, in the order an MTA sends them. */
enum mclient_stage {
	MC_ST_NONE = 0, MC_ST_OPTNEG, MC_ST_CONNECT, MC_ST_HELO, MC_ST_MAIL,
	MC_ST_RCPT, MC_ST_DATA, MC_ST_HEADER, MC_ST_EOH, MC_ST_BODY, MC_ST_EOM,
};

/* Parse "connect", "helo", ... ; returns MC_ST_NONE when unknown. */
enum mclient_stage mclient_stage_parse(const char *s);

/* The SMTP session as the MTA sees it; NULL fields take Postfix-like defaults. */
typedef struct mclient_env {
	const char *myhostname;		/* macro j, default mail.example.org */
	const char *daemon_name;	/* {daemon_name}, default = myhostname */
	const char *daemon_addr;	/* {daemon_addr}, default 127.0.0.1 */
	const char *client_addr;	/* default 127.0.0.1 */
	const char *client_name;	/* default localhost (or "unknown") */
	unsigned client_port;		/* default 0 = 49152 */
	const char *helo;		/* default client_name */
	const char *auth_type;		/* {auth_type}; set with auth_authen */
	const char *auth_authen;	/* {auth_authen}: SASL user, or NULL */
	const char *auth_author;	/* {auth_author}, or NULL */
	/* Mimic non_smtpd_milters (sendmail(1)/pickup): localhost 127.0.0.1
	 * port 0, HELO localhost, no SASL, sender without angle brackets, i
	 * known from the start. */
	int pickup;
	/* Extra or overriding macros: "name=value" (name with or without {}). */
	const char *const *macros;
	size_t nmacros;
} mclient_env;

typedef struct mclient_opts {
	int timeout_ms;			/* per read/write; 0 = 30000 */
	int no_leadspc;			/* do not offer SMFIP_HDR_LEADSPC */
	size_t chunk;			/* body chunk size; 0 = 65535 */
	FILE *trace;			/* protocol trace, or NULL */
	int no_output;			/* do not build result messages (load tests) */
	int eom_delay_ms;		/* pause before end of message (a message in flight) */
} mclient_opts;

/* One parsed RFC 5322 message. */
typedef struct mclient_field {
	char *name;		/* field name, trailing blanks removed */
	size_t nlen;
	char *raw;		/* whole field as queued, lines joined by "\n" */
	size_t rlen;
	size_t vofs;		/* offset in raw of the byte after the colon */
} mclient_field;

typedef struct mclient_mail {
	mclient_field *f;
	size_t nf;
	size_t fcap;
	char *body;		/* body in CRLF form */
	size_t blen;
} mclient_mail;

/* Parse a message with LF or CRLF line ends; 0 or -1 (out of memory). */
int mclient_mail_parse(const char *data, size_t len, mclient_mail *m);
/* Append a field to m (name, raw text with "\n" between lines). */
int mclient_mail_add(mclient_mail *m, size_t at, const char *name, size_t nlen,
    const char *raw, size_t rlen);
void mclient_mail_del(mclient_mail *m, size_t at);
/* The message in CRLF form (what Postfix would queue). Caller frees. */
char *mclient_mail_render(const mclient_mail *m, size_t *len);
/* The same with another body (CRLF form). */
char *mclient_mail_render_body(const mclient_mail *m, const char *body,
    size_t blen, size_t *len);
void mclient_mail_free(mclient_mail *m);

/* The envelope of one transaction. */
typedef struct mclient_txn {
	const char *sender;		/* default sender@example.com */
	const char *const *rcpts;	/* default rcpt@example.net */
	size_t nrcpts;
	const char *queue_id;		/* macro i; default generated */
	const char *const *mail_args;	/* ESMTP MAIL parameters, or NULL */
	size_t nmail_args;
	/* Stop after sending this stage and return MC_CLOSED (the caller
	 * then closes or aborts); MC_ST_NONE = run to the end. */
	enum mclient_stage stop_after;
} mclient_txn;

/* What came back for one message. */
typedef struct mclient_result {
	enum mclient_verdict verdict;
	enum mclient_stage stage;	/* stage that produced the verdict */
	char reply[512];		/* SMFIR_REPLYCODE text, if any */
	char quarantine[256];		/* SMFIR_QUARANTINE reason, if any */
	unsigned ninsert, nadd, nchange, ndelete, nreplbody, nrcptmods;
	char *msg;			/* resulting message (CRLF), malloc'd;
					 * NULL unless accepted (or no_output) */
	size_t msglen;
} mclient_result;

void mclient_result_free(mclient_result *r);

typedef struct mclient mclient;

/*
 * Connect to "unix:/path", "/path", "inet:PORT@HOST", "inet6:PORT@HOST" or
 * "PORT@HOST" and negotiate options. Returns 0, or -1 with a message in err.
 */
int mclient_open(mclient **out, const char *sock, const mclient_env *env,
    const mclient_opts *opts, char *err, size_t errsize);
/* Send CONNECT (unless skipped); the verdict applies to the whole connection. */
int mclient_connect(mclient *c, enum mclient_verdict *v);
/* Send HELO (unless skipped). */
int mclient_helo(mclient *c, enum mclient_verdict *v);
/*
 * Run one transaction: MAIL, RCPT, DATA, headers, EOH, body, EOB. With a
 * connection-level verdict from CONNECT/HELO nothing is sent and that
 * verdict is returned. Returns 0 (see res) or -1 on a protocol/I/O error.
 */
int mclient_message(mclient *c, const mclient_mail *m, const mclient_txn *t,
    mclient_result *res);
/* SMFIC_ABORT: end the transaction, as Postfix does after every message. */
int mclient_abort(mclient *c);
/* Send SMFIC_QUIT when quit is nonzero, then close and free. */
void mclient_close(mclient *c, int quit);
/* The last error message. */
const char *mclient_error(const mclient *c);
/* The negotiated version, actions and protocol mask. */
void mclient_negotiated(const mclient *c, uint32_t *version, uint32_t *actions,
    uint32_t *proto);

#endif
