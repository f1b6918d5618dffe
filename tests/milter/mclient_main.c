/*
 * mclient_main.c - mclient(1): send messages to a milter the way Postfix
 * does and write out the messages Postfix would queue.
 *
 *   mclient -s SOCKET [options] msg.eml...
 *
 * One line per message: "N VERDICT stage=S ins=I add=A chg=C del=D [reply]"
 * (on stdout with -o, else on stderr while the message goes to stdout).
 * Exit 0, 1 on a protocol or I/O error, 2 on usage, 3 when --expect fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mclient.h"

#define MAX_LIST 64

/* Print the usage and exit 2. */
static void
usage(void)
{
	fprintf(stderr,
	    "usage: mclient -s SOCKET [options] msg.eml... (- = stdin)\n"
	    "  -s unix:/path | inet:PORT@ADDR | inet6:PORT@ADDR\n"
	    "  --client-addr IP  --client-name NAME  --client-port N\n"
	    "  --daemon-name NAME  --daemon-addr IP  --hostname NAME (macro j)\n"
	    "  --helo NAME  --auth USER [--auth-type T] [--auth-author A]\n"
	    "  --pickup (sendmail/pickup path: localhost, no SASL, bare sender)\n"
	    "  --from ADDR  --rcpt ADDR...  --mail-arg ARG...  -m NAME=VALUE...\n"
	    "  --queue-id ID  --no-leadspc  --chunk N  -t SECONDS  -v\n"
	    "  -o OUTDIR (write N.eml)  -n REPEAT  -r (new connection per message)\n"
	    "  --abort-first (an aborted transaction before each message)\n"
	    "  --stop-after optneg|connect|helo|mail|rcpt|data|header|eoh|body\n"
	    "  --hangup (with --stop-after: close without QUIT/ABORT)\n"
	    "  --eom-delay MS (wait before end of message: a message in flight)\n"
	    "  --expect VERDICT (exit 3 unless every message gets it)  -q\n");
	exit(2);
}

/* Read a whole file (or stdin for "-"). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n + 65536 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f)) {
				free(buf);
				buf = NULL;
			}
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

/* Write a result message to OUTDIR/N.eml or stdout. */
static int
write_out(const char *outdir, unsigned long n, const mclient_result *res)
{
	char path[4096];
	FILE *f;

	if (res->msg == NULL)
		return 0;
	if (outdir == NULL)
		f = stdout;
	else {
		snprintf(path, sizeof(path), "%s/%lu.eml", outdir, n);
		if ((f = fopen(path, "wb")) == NULL) {
			fprintf(stderr, "mclient: %s: %s\n", path, strerror(errno));
			return -1;
		}
	}
	if (fwrite(res->msg, 1, res->msglen, f) != res->msglen || fflush(f) != 0) {
		fprintf(stderr, "mclient: write error: %s\n", strerror(errno));
		if (f != stdout)
			fclose(f);
		return -1;
	}
	if (f != stdout && fclose(f) != 0)
		return -1;
	return 0;
}

static const char *stage_names[] = { "-", "optneg", "connect", "helo", "mail",
    "rcpt", "data", "header", "eoh", "body", "eom" };

enum { O_CADDR = 256, O_CNAME, O_CPORT, O_DNAME, O_DADDR, O_HOST, O_HELO,
	O_AUTH, O_AUTHTYPE, O_AUTHOR, O_PICKUP, O_FROM, O_RCPT, O_MARG, O_QID,
	O_NOLEAD, O_CHUNK, O_ABORT1, O_STOP, O_HANGUP, O_EXPECT, O_EOMDELAY };

static const struct option longopts[] = {
	{ "client-addr", 1, NULL, O_CADDR }, { "client-name", 1, NULL, O_CNAME },
	{ "client-port", 1, NULL, O_CPORT }, { "daemon-name", 1, NULL, O_DNAME },
	{ "daemon-addr", 1, NULL, O_DADDR }, { "hostname", 1, NULL, O_HOST },
	{ "helo", 1, NULL, O_HELO }, { "auth", 1, NULL, O_AUTH },
	{ "auth-type", 1, NULL, O_AUTHTYPE }, { "auth-author", 1, NULL, O_AUTHOR },
	{ "pickup", 0, NULL, O_PICKUP }, { "from", 1, NULL, O_FROM },
	{ "rcpt", 1, NULL, O_RCPT }, { "mail-arg", 1, NULL, O_MARG },
	{ "queue-id", 1, NULL, O_QID }, { "no-leadspc", 0, NULL, O_NOLEAD },
	{ "chunk", 1, NULL, O_CHUNK }, { "abort-first", 0, NULL, O_ABORT1 },
	{ "stop-after", 1, NULL, O_STOP }, { "hangup", 0, NULL, O_HANGUP },
	{ "expect", 1, NULL, O_EXPECT }, { "eom-delay", 1, NULL, O_EOMDELAY },
	{ NULL, 0, NULL, 0 },
};

/* Everything the command line sets. */
struct cli {
	const char *sock, *outdir, *expect;
	mclient_env env;
	mclient_opts opts;
	mclient_txn txn;
	const char *rcpts[MAX_LIST], *margs[MAX_LIST], *macros[MAX_LIST];
	unsigned long repeat;
	int reconnect, abort_first, hangup, quiet;
	enum mclient_stage stop;
};

/* Add to a bounded option list. */
static void
push(const char **list, size_t *n, const char *v)
{
	if (*n >= MAX_LIST) {
		fprintf(stderr, "mclient: too many list options\n");
		exit(2);
	}
	list[(*n)++] = v;
}

/* Read the command line into a. */
static void
parse_args(struct cli *a, int argc, char **argv)
{
	int ch;

	memset(a, 0, sizeof(*a));
	a->repeat = 1;
	a->env.macros = a->macros;
	a->txn.rcpts = a->rcpts;
	a->txn.mail_args = a->margs;
	while ((ch = getopt_long(argc, argv, "s:o:n:rt:m:vqh", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': a->sock = optarg; break;
		case 'o': a->outdir = optarg; break;
		case 'n': a->repeat = strtoul(optarg, NULL, 10); break;
		case 'r': a->reconnect = 1; break;
		case 't': a->opts.timeout_ms = atoi(optarg) * 1000; break;
		case 'm': push(a->macros, &a->env.nmacros, optarg); break;
		case 'v': a->opts.trace = stderr; break;
		case 'q': a->quiet = 1; break;
		case O_CADDR: a->env.client_addr = optarg; break;
		case O_CNAME: a->env.client_name = optarg; break;
		case O_CPORT: a->env.client_port = (unsigned)atoi(optarg); break;
		case O_DNAME: a->env.daemon_name = optarg; break;
		case O_DADDR: a->env.daemon_addr = optarg; break;
		case O_HOST: a->env.myhostname = optarg; break;
		case O_HELO: a->env.helo = optarg; break;
		case O_AUTH: a->env.auth_authen = optarg; break;
		case O_AUTHTYPE: a->env.auth_type = optarg; break;
		case O_AUTHOR: a->env.auth_author = optarg; break;
		case O_PICKUP: a->env.pickup = 1; break;
		case O_FROM: a->txn.sender = optarg; break;
		case O_RCPT: push(a->rcpts, &a->txn.nrcpts, optarg); break;
		case O_MARG: push(a->margs, &a->txn.nmail_args, optarg); break;
		case O_QID: a->txn.queue_id = optarg; break;
		case O_NOLEAD: a->opts.no_leadspc = 1; break;
		case O_CHUNK: a->opts.chunk = strtoul(optarg, NULL, 10); break;
		case O_ABORT1: a->abort_first = 1; break;
		case O_STOP:
			if ((a->stop = mclient_stage_parse(optarg)) == MC_ST_NONE
			    || a->stop == MC_ST_EOM)
				usage();
			break;
		case O_HANGUP: a->hangup = 1; break;
		case O_EXPECT: a->expect = optarg; break;
		case O_EOMDELAY: a->opts.eom_delay_ms = atoi(optarg); break;
		default: usage();
		}
	}
	if (a->sock == NULL)
		usage();
}

/* Open a connection and say CONNECT and HELO (as far as asked). */
static mclient *
session(struct cli *a)
{
	mclient *c;
	char err[512];
	enum mclient_verdict v;

	if (mclient_open(&c, a->sock, &a->env, &a->opts, err, sizeof(err)) != 0) {
		fprintf(stderr, "mclient: %s\n", err);
		return NULL;
	}
	if (a->stop == MC_ST_OPTNEG)
		return c;
	if (mclient_connect(c, &v) != 0)
		goto fail;
	if (a->stop == MC_ST_CONNECT)
		return c;
	if (mclient_helo(c, &v) != 0)
		goto fail;
	return c;
fail:
	fprintf(stderr, "mclient: %s\n", mclient_error(c));
	mclient_close(c, 0);
	return NULL;
}

/* Send each message, write what comes back, print the verdicts. */
int
main(int argc, char **argv)
{
	struct cli a;
	mclient_mail *mails;
	mclient *c = NULL;
	mclient_result res;
	FILE *vout;
	unsigned long k, total, nfiles;
	int i, rc = 0, early;

	parse_args(&a, argc, argv);
	nfiles = (unsigned long)(argc - optind);
	early = a.stop == MC_ST_OPTNEG || a.stop == MC_ST_CONNECT || a.stop == MC_ST_HELO;
	if (nfiles == 0 && !early)
		usage();
	vout = a.outdir ? stdout : stderr;
	if ((mails = calloc(nfiles ? nfiles : 1, sizeof(*mails))) == NULL)
		return 1;
	for (i = optind; i < argc; i++) {
		size_t len;
		char *data = slurp(argv[i], &len);

		if (data == NULL || mclient_mail_parse(data, len, &mails[i - optind]) != 0) {
			fprintf(stderr, "mclient: %s: %s\n", argv[i],
			    data ? "out of memory" : strerror(errno));
			return 1;
		}
		free(data);
	}
	total = a.repeat * (nfiles ? nfiles : 1);
	for (k = 0; k < total && rc == 0; k++) {
		const mclient_mail *m = &mails[nfiles ? k % nfiles : 0];

		if (c == NULL && (c = session(&a)) == NULL) {
			rc = 1;
			break;
		}
		if (early) {
			/* A client that goes away before sending any mail. */
			mclient_close(c, !a.hangup);
			c = NULL;
			if (!a.quiet)
				fprintf(vout, "%lu closed stage=%s\n", k + 1, stage_names[a.stop]);
			if (a.expect && strcmp(a.expect, "closed") != 0)
				rc = 3;
			continue;
		}
		if (a.abort_first) {
			mclient_txn t = a.txn;

			t.stop_after = MC_ST_HEADER;
			if (mclient_message(c, m, &t, &res) != 0 || mclient_abort(c) != 0) {
				fprintf(stderr, "mclient: message %lu (aborted one): %s\n",
				    k + 1, mclient_error(c));
				rc = 1;
				break;
			}
			mclient_result_free(&res);
		}
		a.txn.stop_after = a.stop;
		if (mclient_message(c, m, &a.txn, &res) != 0) {
			fprintf(stderr, "mclient: message %lu: %s\n", k + 1, mclient_error(c));
			rc = 1;
			break;
		}
		if (!a.quiet)
			fprintf(vout, "%lu %s stage=%s ins=%u add=%u chg=%u del=%u%s%s%s%s\n",
			    k + 1, mclient_verdict_name(res.verdict), stage_names[res.stage],
			    res.ninsert, res.nadd, res.nchange, res.ndelete,
			    res.reply[0] ? " reply=" : "", res.reply,
			    res.quarantine[0] ? " quarantine=" : "", res.quarantine);
		fflush(vout);
		if (write_out(a.outdir, k + 1, &res) != 0)
			rc = 1;
		if (a.expect && strcmp(a.expect, mclient_verdict_name(res.verdict)) != 0)
			rc = 3;
		mclient_result_free(&res);
		if (a.stop != MC_ST_NONE && a.hangup) {
			mclient_close(c, 0);
			c = NULL;
			continue;
		}
		if (mclient_abort(c) != 0) {
			fprintf(stderr, "mclient: abort: %s\n", mclient_error(c));
			rc = 1;
		}
		if (a.reconnect) {
			mclient_close(c, 1);
			c = NULL;
		}
	}
	mclient_close(c, 1);
	for (k = 0; k < nfiles; k++)
		mclient_mail_free(&mails[k]);
	free(mails);
	return rc;
}
