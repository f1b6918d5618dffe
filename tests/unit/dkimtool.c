/*
 * dkimtool.c - test helper: sign or verify a message file with the core,
 * or print a key's record, so scripts can hold the core's results against
 * independent implementations (dkimpy in crosscheck.py).
 *
 *   dkimtool sign -k KEY -d DOMAIN -s SELECTOR [-c HC/BC] [-t TIME] [-h a:b:c] [FILE]
 *   dkimtool verify -z ZONE [-t NOW] [FILE]
 *   dkimtool record -k KEY
 *
 * sign writes "DKIM-Signature: ...CRLF" followed by the message. verify reads
 * key records from ZONE (lines "NAME TXT", NAME being
 * selector._domainkey.domain), prints one line per signature and exits 0
 * only when there is at least one and every one passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../../dkim/dbuf.h"
#include "../../dkim/sign.h"
#include "../../dkim/verify.h"

#define INPUT_MAX (64 * 1024 * 1024)
#define MAX_LIST 64

static void
usage(void)
{
	fprintf(stderr, "usage: dkimtool sign -k KEY -d DOMAIN -s SELECTOR [-c HC/BC] "
	    "[-t TIME] [-h a:b:c] [FILE]\n"
	    "       dkimtool verify -z ZONE [-t NOW] [FILE]\n"
	    "       dkimtool record -k KEY\n");
	exit(2);
}

/* Read a whole file (or stdin for NULL) into b; exits on failure. */
static void
read_all(const char *path, dbuf *b)
{
	FILE *fp = path ? fopen(path, "rb") : stdin;
	char buf[65536];
	size_t n;

	if (fp == NULL) {
		perror(path);
		exit(2);
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		if (b->len + n > INPUT_MAX) {
			fprintf(stderr, "dkimtool: input larger than %d bytes\n", INPUT_MAX);
			exit(2);
		}
		dbuf_add(b, buf, n);
	}
	if (ferror(fp) || dbuf_failed(b)) {
		fprintf(stderr, "dkimtool: cannot read %s\n", path ? path : "stdin");
		exit(2);
	}
	if (path)
		fclose(fp);
}

static dkim_key *
load_key(const char *path)
{
	dkim_key *k = NULL;
	dkim_err err;

	if (dkim_key_load_file(path, &k, &err) != DKIM_OK) {
		fprintf(stderr, "dkimtool: %s\n", err.msg);
		exit(2);
	}
	return k;
}

/* Split "a:b:c" in place into a NULL-terminated list. */
static const char **
split_list(char *s, const char **list)
{
	size_t n = 0;
	char *save = NULL, *p;

	for (p = strtok_r(s, ":", &save); p && n < MAX_LIST - 1; p = strtok_r(NULL, ":", &save))
		list[n++] = p;
	list[n] = NULL;
	return list;
}

static int
cmd_sign(int argc, char **argv)
{
	static const char *none[] = { NULL };
	const char *keyfile = NULL, *heads[MAX_LIST];
	const dkim_signer *sv[1];
	dkim_signer_opts o;
	dkim_signer *s;
	dkim_msg *m;
	dkim_key *k;
	dkim_err err;
	time_t when = time(NULL);
	char *slash;
	dbuf msg;
	int c;

	memset(&o, 0, sizeof(o));
	o.hcanon = DKIM_CANON_RELAXED;
	o.bcanon = DKIM_CANON_SIMPLE;
	while ((c = getopt(argc, argv, "k:d:s:c:t:h:")) != -1) {
		switch (c) {
		case 'k': keyfile = optarg; break;
		case 'd': o.domain = optarg; break;
		case 's': o.selector = optarg; break;
		case 't': when = (time_t)strtoll(optarg, NULL, 10); break;
		case 'h':
			o.sign_headers = split_list(optarg, heads);
			o.oversign_headers = none;
			break;
		case 'c':
			slash = strchr(optarg, '/');
			if (dkim_canon_parse(optarg, slash ? (size_t)(slash - optarg) :
			    strlen(optarg), &o.hcanon) != 0 ||
			    (slash && dkim_canon_parse(slash + 1, strlen(slash + 1), &o.bcanon) != 0))
				usage();
			if (!slash)
				o.bcanon = DKIM_CANON_SIMPLE;
			break;
		default: usage();
		}
	}
	if (keyfile == NULL || o.domain == NULL || o.selector == NULL || argc - optind > 1)
		usage();
	k = load_key(keyfile);
	if (dkim_signer_new(&o, k, &s, &err) != DKIM_OK) {
		fprintf(stderr, "dkimtool: %s\n", err.msg);
		return 2;
	}
	dbuf_init(&msg);
	read_all(argv[optind], &msg);
	sv[0] = s;
	if (dkim_sign_buffer(sv, 1, when, msg.data, msg.len, &m, &err) != DKIM_OK) {
		fprintf(stderr, "dkimtool: %s\n", err.msg);
		return 1;
	}
	printf("DKIM-Signature: %s\r\n", dkim_msg_signature(m, 0));
	fwrite(msg.data, 1, msg.len, stdout);
	dkim_msg_free(m);
	dkim_signer_free(s);
	dkim_key_free(k);
	dbuf_free(&msg);
	return fflush(stdout) == 0 ? 0 : 2;
}

/* The zone: "name text" lines. */
struct zone {
	char *data;
};

/* Lookup callback: find selector._domainkey.domain in the zone text. */
static int
zone_lookup(void *arg, const char *domain, const char *selector, char *txt, size_t size)
{
	struct zone *z = arg;
	char name[512], *line, *copy, *save = NULL, *sp;
	int found = 1;

	snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain);
	if ((copy = strdup(z->data)) == NULL)
		return -1;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp = '\0';
		if (strcasecmp(line, name) == 0) {
			snprintf(txt, size, "%s", sp + 1);
			found = 0;
			break;
		}
	}
	free(copy);
	return found;
}

static int
cmd_verify(int argc, char **argv)
{
	dkim_vresult res[16];
	const char *zonefile = NULL;
	time_t now = time(NULL);
	struct zone z;
	dbuf msg, zone;
	int c, n, i, bad = 0;

	while ((c = getopt(argc, argv, "z:t:")) != -1) {
		switch (c) {
		case 'z': zonefile = optarg; break;
		case 't': now = (time_t)strtoll(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (zonefile == NULL || argc - optind > 1)
		usage();
	dbuf_init(&zone);
	dbuf_init(&msg);
	read_all(zonefile, &zone);
	read_all(argv[optind], &msg);
	z.data = zone.data;
	n = dkim_verify_message(msg.data, msg.len, zone_lookup, &z, now, res, 16);
	if (n < 0) {
		printf("unparsable message\n");
		return 1;
	}
	for (i = 0; i < n && i < 16; i++) {
		printf("%s d=%s s=%s: %s\n", res[i].status == DKIM_V_PASS ? "PASS" : "FAIL",
		    res[i].domain, res[i].selector, res[i].reason);
		bad |= res[i].status != DKIM_V_PASS;
	}
	if (n == 0)
		printf("no signature\n");
	dbuf_free(&zone);
	dbuf_free(&msg);
	return n > 0 && !bad ? 0 : 1;
}

static int
cmd_record(int argc, char **argv)
{
	dkim_key *k;
	char *p;

	if (argc != 3 || strcmp(argv[1], "-k") != 0)
		usage();
	k = load_key(argv[2]);
	if ((p = dkim_key_public_b64(k, NULL)) == NULL)
		return 2;
	printf("v=DKIM1; k=%s; p=%s\n", dkim_alg_keytype(dkim_key_alg(k)), p);
	free(p);
	dkim_key_free(k);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "sign") == 0)
		return cmd_sign(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "record") == 0)
		return cmd_record(argc - 1, argv + 1);
	usage();
	return 2;
}
