/*
 * nullfilter.c - a libmilter filter that does nothing and accepts every
 * message: the floor of what any libmilter-based milter can reach on this
 * machine. It asks for the same protocol steps as postdkim (connection,
 * sender, headers without replies, end of headers, body, end of message)
 * so that the MTA side sends it the same bytes.
 *
 *	nullfilter -p unix:/path | inet:PORT@127.0.0.1
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

/* Take what postdkim takes: skip HELO, RCPT, DATA, unknown; no header replies. */
static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	unsigned long want = SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NOUNKNOWN |
	    SMFIP_NODATA | SMFIP_NR_HDR | SMFIP_HDR_LEADSPC;

	(void)ctx;
	(void)f2;
	(void)f3;
	*pf0 = f0 & SMFIF_ADDHDRS;
	*pf1 = f1 & want;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

/* Nothing to remember about a connection. */
static sfsistat
null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return SMFIS_CONTINUE;
}

/* Nothing to check about a sender. */
static sfsistat
null_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

/* Headers are negotiated without a reply. */
static sfsistat
null_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_NOREPLY;
}

/* End of headers: keep going so that the body is sent. */
static sfsistat
null_eoh(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

/* Body chunks are read and dropped. */
static sfsistat
null_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return SMFIS_CONTINUE;
}

/* End of message: accept it unchanged. */
static sfsistat
null_eom(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_ACCEPT;
}

static struct smfiDesc null_desc = {
	.xxfi_name = "nullfilter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS,
	.xxfi_connect = null_connect,
	.xxfi_envfrom = null_envfrom,
	.xxfi_header = null_header,
	.xxfi_eoh = null_eoh,
	.xxfi_body = null_body,
	.xxfi_eom = null_eom,
	.xxfi_negotiate = null_negotiate,
};

/* Parse -p, open the socket, run libmilter until a signal stops it. */
int
main(int argc, char **argv)
{
	const char *sock = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "p:")) != -1) {
		switch (ch) {
		case 'p':
			sock = optarg;
			break;
		default:
			fprintf(stderr, "usage: nullfilter -p SOCKET\n");
			return 2;
		}
	}
	if (sock == NULL || optind != argc) {
		fprintf(stderr, "usage: nullfilter -p SOCKET\n");
		return 2;
	}
	if (smfi_register(null_desc) == MI_FAILURE) {
		fprintf(stderr, "nullfilter: smfi_register failed\n");
		return 1;
	}
	if (smfi_setconn((char *)sock) == MI_FAILURE ||
	    smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "nullfilter: cannot open socket %s\n", sock);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
