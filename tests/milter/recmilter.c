/*
 * recmilter.c - a recording libmilter filter for testing the client side.
 *
 * It writes down exactly what the MTA sent (stages, header names and
 * values with every byte visible, macros, body bytes) and answers at end
 * of message with the modifications it is told to make, so a test can
 * check that mclient speaks like Postfix and applies the replies right.
 *
 *   recmilter -s SOCKET -o LOG [-b BODYFILE] [-l] [-P HEXFLAGS] [-M]
 *             [-a ACTION]... [-r accept|continue|reject|tempfail|discard]
 *
 * -l asks for SMFIP_HDR_LEADSPC when offered; -P asks for more protocol
 * flags (SMFIP_NR_HDR, SMFIP_NOHDRS, SMFIP_SKIP...); -M asks for macro lists.
 * ACTION: "i:IDX:NAME:VALUE" insert, "h:NAME:VALUE" add, "c:IDX:NAME:VALUE"
 * change (empty VALUE deletes), "b:TEXT" replace body, "q:REASON"
 * quarantine, "p" progress, "k" skip the rest of the body (SMFIS_SKIP).
 * In VALUE and TEXT, "\n" "\r" "\t" are escapes. Runs until SIGTERM.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#define MAX_ACTIONS 32

static FILE *recf;
static const char *bodypath;
static pthread_mutex_t loglock = PTHREAD_MUTEX_INITIALIZER;
static int want_leadspc, want_symlists;
static unsigned long want_flags;
static char *actions[MAX_ACTIONS];
static size_t nactions;
static sfsistat final = SMFIS_ACCEPT;

/* The macros recorded at every stage, when defined. */
static const char *const macros[] = { "j", "_", "v", "{daemon_name}", "{daemon_addr}",
    "{client_addr}", "{client_name}", "{client_port}", "{auth_type}", "{auth_authen}",
    "{mail_addr}", "{rcpt_addr}", "i", NULL };

/* Per-connection state: the body being collected. */
struct conn {
	unsigned char *body;
	size_t blen, bcap;
	int skip_sent;
};

/* Write one log line with bytes made visible (\n, \r, \t, \xNN). */
static void
logv(const char *tag, const char *s, size_t len)
{
	size_t i;

	pthread_mutex_lock(&loglock);
	fprintf(recf, "%s", tag);
	for (i = 0; s != NULL && i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\n')
			fputs("\\n", recf);
		else if (ch == '\r')
			fputs("\\r", recf);
		else if (ch == '\t')
			fputs("\\t", recf);
		else if (ch == '\\')
			fputs("\\\\", recf);
		else if (ch < 32 || ch == 127)
			fprintf(recf, "\\x%02x", ch);
		else
			fputc(ch, recf);
	}
	fputc('\n', recf);
	fflush(recf);
	pthread_mutex_unlock(&loglock);
}

/* Log a stage and the macros known at it. */
static void
stage(SMFICTX *ctx, const char *name)
{
	char tag[256];
	size_t i;
	char *v;

	logv(name, "", 0);
	for (i = 0; macros[i] != NULL; i++)
		if ((v = smfi_getsymval(ctx, (char *)macros[i])) != NULL) {
			snprintf(tag, sizeof(tag), "  %s %s=", name, macros[i]);
			logv(tag, v, strlen(v));
		}
}

/* Undo the escapes of an action argument in place. */
static char *
unescape(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		if (r[0] == '\\' && r[1] != '\0') {
			*w++ = r[1] == 'n' ? '\n' : r[1] == 'r' ? '\r' : r[1] == 't' ? '\t' : r[1];
			r += 2;
		} else
			*w++ = *r++;
	}
	*w = '\0';
	return s;
}

/* Ask for the actions and protocol steps the options name. */
static sfsistat
rm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "actions=0x%lx protocol=0x%lx", f0, f1);
	logv("negotiate ", buf, strlen(buf));
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_QUARANTINE);
	*pf1 = f1 & want_flags;
	if (want_leadspc)
		*pf1 |= f1 & SMFIP_HDR_LEADSPC;
	*pf2 = f2 & 0;
	*pf3 = f3 & 0;
	if (want_symlists) {
		smfi_setsymlist(ctx, SMFIM_CONNECT, "{daemon_name} {client_addr} j");
		smfi_setsymlist(ctx, SMFIM_ENVFROM, "{auth_authen} {mail_addr} i");
		smfi_setsymlist(ctx, SMFIM_EOM, "i {client_name}");
	}
	return SMFIS_CONTINUE;
}

/* A new connection: log the client. */
static sfsistat
rm_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	smfi_setpriv(ctx, c);
	logv("connect host=", host, strlen(host));
	logv("connect family=", sa ? (sa->sa_family == AF_INET6 ? "inet6" : "inet") : "none",
	    sa ? (sa->sa_family == AF_INET6 ? 5 : 4) : 4);
	stage(ctx, "connect");
	return SMFIS_CONTINUE;
}

/* Log HELO. */
static sfsistat
rm_helo(SMFICTX *ctx, char *helo)
{
	logv("helo ", helo, strlen(helo));
	stage(ctx, "helo");
	return SMFIS_CONTINUE;
}

/* Log MAIL and its arguments. */
static sfsistat
rm_envfrom(SMFICTX *ctx, char **argv)
{
	size_t i;

	for (i = 0; argv[i] != NULL; i++)
		logv("mail arg=", argv[i], strlen(argv[i]));
	stage(ctx, "mail");
	return SMFIS_CONTINUE;
}

/* Log RCPT. */
static sfsistat
rm_envrcpt(SMFICTX *ctx, char **argv)
{
	logv("rcpt arg=", argv[0], strlen(argv[0]));
	stage(ctx, "rcpt");
	return SMFIS_CONTINUE;
}

/* Log DATA. */
static sfsistat
rm_data(SMFICTX *ctx)
{
	stage(ctx, "data");
	return SMFIS_CONTINUE;
}

/* Log one header field, value byte for byte. */
static sfsistat
rm_header(SMFICTX *ctx, char *name, char *value)
{
	char tag[512];

	(void)ctx;
	snprintf(tag, sizeof(tag), "header %s=", name);
	logv(tag, value, strlen(value));
	return SMFIS_CONTINUE;
}

/* Log the end of the header. */
static sfsistat
rm_eoh(SMFICTX *ctx)
{
	stage(ctx, "eoh");
	return SMFIS_CONTINUE;
}

/* Keep a body chunk and log its size; -a k answers SMFIS_SKIP. */
static sfsistat
rm_body(SMFICTX *ctx, unsigned char *b, size_t len)
{
	struct conn *c = smfi_getpriv(ctx);
	char buf[64];
	size_t i;

	snprintf(buf, sizeof(buf), "%zu", len);
	logv("body chunk=", buf, strlen(buf));
	if (c->blen + len > c->bcap) {
		size_t cap = (c->blen + len) * 2;
		unsigned char *nb = realloc(c->body, cap);

		if (nb == NULL)
			return SMFIS_TEMPFAIL;
		c->body = nb;
		c->bcap = cap;
	}
	memcpy(c->body + c->blen, b, len);
	c->blen += len;
	for (i = 0; i < nactions; i++)
		if (strcmp(actions[i], "k") == 0) {
			c->skip_sent = 1;
			return SMFIS_SKIP;
		}
	return SMFIS_CONTINUE;
}

/* Carry out one -a action at end of message. */
static int
act(SMFICTX *ctx, const char *spec)
{
	char *s = strdup(spec), *f[4] = { NULL, NULL, NULL, NULL };
	int r = MI_SUCCESS, n = 0;
	char *p;

	if (s == NULL)
		return MI_FAILURE;
	/* Split into at most 4 fields; the last keeps its colons. */
	p = s;
	while (n < 4) {
		f[n++] = p;
		if (n == (s[0] == 'i' || s[0] == 'c' ? 4 : s[0] == 'h' ? 3 : 2))
			break;
		if ((p = strchr(p, ':')) == NULL)
			break;
		*p++ = '\0';
	}
	switch (s[0]) {
	case 'i':
		r = f[3] ? smfi_insheader(ctx, atoi(f[1]), f[2], unescape(f[3])) : MI_FAILURE;
		break;
	case 'h':
		r = f[2] ? smfi_addheader(ctx, f[1], unescape(f[2])) : MI_FAILURE;
		break;
	case 'c':
		r = f[3] ? smfi_chgheader(ctx, f[2], atoi(f[1]), *f[3] ? unescape(f[3]) : NULL)
		    : MI_FAILURE;
		break;
	case 'b':
		if (f[1] != NULL) {
			unescape(f[1]);
			r = smfi_replacebody(ctx, (unsigned char *)f[1], (int)strlen(f[1]));
		}
		break;
	case 'q':
		r = smfi_quarantine(ctx, f[1] ? f[1] : "held");
		break;
	case 'p':
		r = smfi_progress(ctx);
		break;
	}
	free(s);
	return r;
}

/* Save the body, make the modifications, give the final verdict. */
static sfsistat
rm_eom(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	size_t i;
	FILE *f;

	stage(ctx, "eom");
	if (bodypath && (f = fopen(bodypath, "wb")) != NULL) {
		if (c->blen > 0)
			fwrite(c->body, 1, c->blen, f);
		fclose(f);
	}
	for (i = 0; i < nactions; i++)
		if (act(ctx, actions[i]) != MI_SUCCESS)
			logv("action failed: ", actions[i], strlen(actions[i]));
	c->blen = 0;
	return final;
}

/* Log an aborted transaction and forget its body. */
static sfsistat
rm_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c)
		c->blen = 0;
	logv("abort", "", 0);
	return SMFIS_CONTINUE;
}

/* Free the connection state. */
static sfsistat
rm_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c) {
		free(c->body);
		free(c);
	}
	smfi_setpriv(ctx, NULL);
	logv("close", "", 0);
	return SMFIS_CONTINUE;
}

/* Register the filter and serve until SIGTERM. */
int
main(int argc, char **argv)
{
	struct smfiDesc d;
	const char *sock = NULL, *logpath = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "s:o:b:lP:Ma:r:")) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 'o': logpath = optarg; break;
		case 'b': bodypath = optarg; break;
		case 'l': want_leadspc = 1; break;
		case 'P': want_flags = strtoul(optarg, NULL, 16); break;
		case 'M': want_symlists = 1; break;
		case 'a':
			if (nactions < MAX_ACTIONS)
				actions[nactions++] = optarg;
			break;
		case 'r':
			final = strcmp(optarg, "reject") == 0 ? SMFIS_REJECT
			    : strcmp(optarg, "tempfail") == 0 ? SMFIS_TEMPFAIL
			    : strcmp(optarg, "discard") == 0 ? SMFIS_DISCARD
			    : strcmp(optarg, "continue") == 0 ? SMFIS_CONTINUE : SMFIS_ACCEPT;
			break;
		default:
			fprintf(stderr, "usage: recmilter -s SOCKET -o LOG [-b BODY] [-l] "
			    "[-P HEX] [-M] [-a ACTION]... [-r VERDICT]\n");
			return 2;
		}
	}
	if (sock == NULL || logpath == NULL || (recf = fopen(logpath, "w")) == NULL) {
		fprintf(stderr, "recmilter: need -s SOCKET and a writable -o LOG\n");
		return 2;
	}
	memset(&d, 0, sizeof(d));
	d.xxfi_name = "recmilter";
	d.xxfi_version = SMFI_VERSION;
	d.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_QUARANTINE;
	d.xxfi_connect = rm_connect;
	d.xxfi_helo = rm_helo;
	d.xxfi_envfrom = rm_envfrom;
	d.xxfi_envrcpt = rm_envrcpt;
	d.xxfi_data = rm_data;
	d.xxfi_header = rm_header;
	d.xxfi_eoh = rm_eoh;
	d.xxfi_body = rm_body;
	d.xxfi_eom = rm_eom;
	d.xxfi_abort = rm_abort;
	d.xxfi_close = rm_close;
	d.xxfi_negotiate = rm_negotiate;
	if (smfi_setconn((char *)sock) == MI_FAILURE || smfi_register(d) == MI_FAILURE
	    || smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "recmilter: cannot set up %s\n", sock);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
