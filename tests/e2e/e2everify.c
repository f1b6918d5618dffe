/*
 * e2everify.c - postdkim's own verifier for the end-to-end test.
 *
 * usage: e2everify ZONE MESSAGE...
 *
 * Verifies every DKIM-Signature of each message (CRLF form, as e2e_mail.py
 * collect writes them) with the core's dkim_verify_message, taking keys from
 * the test's zone snippet (lines "sel._domainkey.dom IN TXT "..." "..."",
 * quoted strings joined). One line per signature; exit 0 only when every
 * message has at least one signature and every signature passes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../dkim/verify.h"

#define ZONE_MAX 64		/* records in the zone snippet */
#define NAME_MAX_LEN 256
#define TXT_MAX 4096
#define MSG_MAX (64UL * 1024 * 1024)
#define SIGS_MAX 8

struct record {
	char name[NAME_MAX_LEN];
	char txt[TXT_MAX];
};

struct zone {
	struct record rec[ZONE_MAX];
	size_t n;
};

/* Append the quoted strings of s to out; returns -1 when out is too small. */
static int
zone_strings(const char *s, char *out, size_t outsize)
{
	size_t len = 0;

	for (; *s; s++) {
		if (*s != '"')
			continue;
		for (s++; *s && *s != '"'; s++) {
			if (len + 1 >= outsize)
				return -1;
			out[len++] = *s;
		}
		if (*s == '\0')
			break;
	}
	out[len] = '\0';
	return 0;
}

/* Read the zone snippet: name, optional IN, TXT, quoted strings. */
static int
zone_load(const char *path, struct zone *z)
{
	FILE *fp;
	char line[TXT_MAX + NAME_MAX_LEN + 64];
	unsigned lineno = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "e2everify: %s: %s\n", path, strerror(errno));
		return -1;
	}
	z->n = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *name, *p, *txt;

		lineno++;
		name = line + strspn(line, " \t");
		if (*name == '\0' || *name == '\n' || *name == '#' || *name == ';')
			continue;
		p = name + strcspn(name, " \t");
		if (*p == '\0' || (txt = strstr(p, "TXT")) == NULL || z->n == ZONE_MAX ||
		    (size_t)(p - name) >= NAME_MAX_LEN) {
			fprintf(stderr, "e2everify: %s:%u: not a TXT record (or too many)\n",
			    path, lineno);
			fclose(fp);
			return -1;
		}
		*p = '\0';
		if (p > name && p[-1] == '.')
			p[-1] = '\0';
		snprintf(z->rec[z->n].name, NAME_MAX_LEN, "%s", name);
		for (p = z->rec[z->n].name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (zone_strings(txt + 3, z->rec[z->n].txt, TXT_MAX) < 0) {
			fprintf(stderr, "e2everify: %s:%u: record too long\n", path, lineno);
			fclose(fp);
			return -1;
		}
		z->n++;
	}
	fclose(fp);
	return 0;
}

/* Key lookup callback: the record for selector._domainkey.domain, if any. */
static int
zone_lookup(void *arg, const char *domain, const char *selector, char *txt, size_t txtsize)
{
	const struct zone *z = arg;
	char name[NAME_MAX_LEN];
	char *p;
	size_t i;
	int n;

	n = snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain);
	if (n < 0 || (size_t)n >= sizeof(name))
		return 1;
	for (p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (i = 0; i < z->n; i++) {
		if (strcmp(z->rec[i].name, name) != 0)
			continue;
		if (strlen(z->rec[i].txt) >= txtsize)
			return -1;
		memcpy(txt, z->rec[i].txt, strlen(z->rec[i].txt) + 1);
		return 0;
	}
	return 1;
}

/* Read a whole file of at most MSG_MAX bytes; caller frees. */
static char *
read_file(const char *path, size_t *lenp)
{
	FILE *fp;
	char *buf = NULL, *nbuf;
	size_t len = 0, cap = 0, got;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "e2everify: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 65536) {
			if (cap >= MSG_MAX) {
				fprintf(stderr, "e2everify: %s: larger than %lu bytes\n", path, MSG_MAX);
				goto fail;
			}
			cap = cap ? cap * 2 : 1 << 20;
			if ((nbuf = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "e2everify: %s: out of memory\n", path);
				goto fail;
			}
			buf = nbuf;
		}
		got = fread(buf + len, 1, cap - len, fp);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		fprintf(stderr, "e2everify: %s: read error\n", path);
		goto fail;
	}
	fclose(fp);
	*lenp = len;
	return buf;
fail:
	free(buf);
	fclose(fp);
	return NULL;
}

/* Verify one message; returns 0 when it has signatures and all pass. */
static int
verify_file(const char *path, struct zone *z)
{
	dkim_vresult res[SIGS_MAX];
	size_t len, i, shown;
	char *msg;
	int n, bad = 0;

	if ((msg = read_file(path, &len)) == NULL)
		return 1;
	memset(res, 0, sizeof(res));
	n = dkim_verify_message(msg, len, zone_lookup, z, time(NULL), res, SIGS_MAX);
	free(msg);
	if (n < 0) {
		printf("FAIL %s: message cannot be parsed\n", path);
		return 1;
	}
	if (n == 0) {
		printf("FAIL %s: no DKIM-Signature\n", path);
		return 1;
	}
	shown = (size_t)n < SIGS_MAX ? (size_t)n : SIGS_MAX;
	for (i = 0; i < shown; i++) {
		if (res[i].status == DKIM_V_PASS) {
			printf("PASS %s [%zu] d=%s s=%s a=%s\n", path, i, res[i].domain,
			    res[i].selector, dkim_alg_name(res[i].alg));
			continue;
		}
		bad = 1;
		printf("FAIL %s [%zu] d=%s s=%s: %s: %s\n", path, i, res[i].domain,
		    res[i].selector, dkim_vstatus_name(res[i].status), res[i].reason);
	}
	if ((size_t)n > SIGS_MAX) {
		printf("FAIL %s: %d signatures, more than this tool checks\n", path, n);
		bad = 1;
	}
	return bad;
}

int
main(int argc, char **argv)
{
	static struct zone z;
	int i, bad = 0, npass = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: e2everify ZONE MESSAGE...\n");
		return 2;
	}
	if (zone_load(argv[1], &z) < 0)
		return 2;
	for (i = 2; i < argc; i++) {
		if (verify_file(argv[i], &z) == 0)
			npass++;
		else
			bad = 1;
	}
	printf("e2everify: %d of %d messages pass\n", npass, argc - 2);
	return bad;
}
