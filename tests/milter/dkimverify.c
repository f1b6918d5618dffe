/*
 * dkimverify.c - check the DKIM signatures of messages with the project's
 * own verifier (libdkim), keys taken from a zone file instead of DNS.
 *
 *   dkimverify --zone ZONE [--nsig N | --none] MSG...
 *
 * ZONE lines: "sel._domainkey.domain [IN] TXT ( "v=DKIM1; ..." "..." )";
 * quoted strings are joined. Every signature of every message must pass;
 * with --nsig exactly N must be there, with --none there must be none.
 * One line per message; exit 0 when all are as wanted, 1 if not, 2 usage.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../../dkim/verify.h"

#define MAX_RECORDS 64
#define MAX_SIGS 16

struct record {
	char name[300];
	char txt[4096];
};

static struct record zone[MAX_RECORDS];
static size_t nzone;

/* Read a whole file; NULL on error. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	do {
		if (n + 65536 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Parse the zone text: one record per name, strings joined across lines. */
static int
load_zone(const char *path)
{
	size_t len, i = 0;
	char *z = slurp(path, &len);

	if (z == NULL)
		return -1;
	while (i < len) {
		struct record *r;
		size_t n = 0, t = 0;
		int paren = 0;

		while (i < len && isspace((unsigned char)z[i]))
			i++;
		if (i >= len)
			break;
		if (z[i] == '#' || z[i] == ';') {
			while (i < len && z[i] != '\n')
				i++;
			continue;
		}
		if (nzone >= MAX_RECORDS)
			break;
		r = &zone[nzone];
		while (i < len && !isspace((unsigned char)z[i]) && n + 1 < sizeof(r->name))
			r->name[n++] = (char)tolower((unsigned char)z[i++]);
		if (n > 0 && r->name[n - 1] == '.')
			n--;
		r->name[n] = '\0';
		/* Collect quoted strings until the end of the line (or the ")"). */
		for (; i < len; i++) {
			if (z[i] == '(')
				paren = 1;
			else if (z[i] == ')')
				paren = 0;
			else if (z[i] == ';' && !paren) {
				while (i < len && z[i] != '\n')
					i++;
				break;
			} else if (z[i] == '\n' && !paren)
				break;
			else if (z[i] == '"') {
				for (i++; i < len && z[i] != '"'; i++)
					if (t + 1 < sizeof(r->txt))
						r->txt[t++] = z[i];
			}
		}
		r->txt[t] = '\0';
		if (t > 0)
			nzone++;
	}
	free(z);
	return 0;
}

/* The key lookup callback: selector._domainkey.domain from the zone. */
static int
lookup(void *arg, const char *domain, const char *selector, char *txt, size_t size)
{
	char name[600];
	size_t i;

	(void)arg;
	snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain);
	for (i = 0; i < nzone; i++)
		if (strcasecmp(zone[i].name, name) == 0) {
			snprintf(txt, size, "%s", zone[i].txt);
			return 0;
		}
	return 1;
}

/* The message with every bare LF made CRLF (the verifier wants CRLF). */
static char *
to_crlf(const char *m, size_t len, size_t *olen)
{
	char *o = malloc(len * 2 + 1);
	size_t i, n = 0;

	if (o == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r'))
			o[n++] = '\r';
		o[n++] = m[i];
	}
	o[n] = '\0';
	*olen = n;
	return o;
}

/* Verify each message named on the command line. */
int
main(int argc, char **argv)
{
	const char *zpath = NULL;
	long want = -1;
	int i, bad = 0, none = 0;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (strcmp(argv[i], "--zone") == 0 && i + 1 < argc)
			zpath = argv[++i];
		else if (strcmp(argv[i], "--nsig") == 0 && i + 1 < argc)
			want = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--none") == 0)
			none = 1;
		else
			break;
	}
	if (zpath == NULL || i >= argc) {
		fprintf(stderr, "usage: dkimverify --zone ZONE [--nsig N | --none] MSG...\n");
		return 2;
	}
	if (load_zone(zpath) != 0) {
		fprintf(stderr, "dkimverify: cannot read %s\n", zpath);
		return 2;
	}
	for (; i < argc; i++) {
		dkim_vresult res[MAX_SIGS];
		size_t len, clen, k;
		char *raw = slurp(argv[i], &len), *msg;
		int n, ok;

		if (raw == NULL || (msg = to_crlf(raw, len, &clen)) == NULL) {
			fprintf(stderr, "dkimverify: cannot read %s\n", argv[i]);
			free(raw);
			bad++;
			continue;
		}
		free(raw);
		n = dkim_verify_message(msg, clen, lookup, NULL, time(NULL), res, MAX_SIGS);
		ok = n >= 0;
		if (none)
			ok = ok && n == 0;
		else
			ok = ok && n > 0 && (want < 0 || n == want);
		for (k = 0; !none && n > 0 && k < (size_t)n && k < MAX_SIGS; k++)
			if (res[k].status != DKIM_V_PASS)
				ok = 0;
		printf("%s %s nsig=%d", ok ? "OK" : "BAD", argv[i], n);
		for (k = 0; n > 0 && k < (size_t)n && k < MAX_SIGS; k++)
			printf(" [d=%s s=%s %s %s%s%s]", res[k].domain, res[k].selector,
			    dkim_alg_name(res[k].alg), dkim_vstatus_name(res[k].status),
			    res[k].reason[0] ? ": " : "", res[k].reason);
		printf("\n");
		bad += ok ? 0 : 1;
		free(msg);
	}
	return bad ? 1 : 0;
}
