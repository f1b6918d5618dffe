/*
 * dkimgen.c - make a DKIM key pair and print the DNS record that publishes
 * it; print the record of an existing key; check a published record.
 *
 * Exit status: 0 success, 1 failure (or an unusable record with --check),
 * 2 bad arguments.
 *
 * The room keygen/ holds the key tools beside the daemon. They use dkim/
 * only: no configuration, no milter.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../dkim/dbuf.h"
#include "../dkim/idna.h"
#include "../dkim/name.h"
#include "../dkim/key.h"
#include "check.h"
#include "dnstxt.h"
#include "keyfile.h"
#include "record.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define EXIT_USAGE 2
#define SELECTOR_MAX 63
#define DOMAIN_MAX 253

enum mode { MODE_GENERATE, MODE_FROM_KEY, MODE_CHECK };

enum {
	OPT_FORCE = 256, OPT_KEYTABLE, OPT_FROM_KEY, OPT_CHECK, OPT_NAMESERVER,
};

struct opts {
	enum mode mode;
	const char *selector;
	char *domain;			/* trailing dot removed */
	const char *dir;
	dkim_alg alg;
	int alg_given;
	int bits;			/* 0: not given */
	int restrict_email, testing, strict, force;
	const char *note;
	const char *keytable;
	const char *from_key;
	const char *keyfile;		/* --check -k */
	const char *nameserver;
	struct sockaddr_storage ns;
};

static const struct option longopts[] = {
	{ "selector", required_argument, NULL, 's' },
	{ "domain", required_argument, NULL, 'd' },
	{ "directory", required_argument, NULL, 'D' },
	{ "algorithm", required_argument, NULL, 'a' },
	{ "bits", required_argument, NULL, 'b' },
	{ "restrict", no_argument, NULL, 'r' },
	{ "testing", no_argument, NULL, 't' },
	{ "strict", no_argument, NULL, 'S' },
	{ "note", required_argument, NULL, 'n' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "keytable", required_argument, NULL, OPT_KEYTABLE },
	{ "from-key", required_argument, NULL, OPT_FROM_KEY },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "key", required_argument, NULL, 'k' },
	{ "nameserver", required_argument, NULL, OPT_NAMESERVER },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Print the usage summary. */
static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: dkimgen -s SELECTOR -d DOMAIN [-D DIR] [-a rsa|ed25519] [-b BITS]\n"
	    "               [-r] [-t] [-S] [-n NOTE] [--force] [--keytable KEYPATH]\n"
	    "       dkimgen --from-key FILE -s SELECTOR -d DOMAIN [-r] [-t] [-S] [-n NOTE]\n"
	    "               [--keytable KEYPATH]\n"
	    "       dkimgen --check -s SELECTOR -d DOMAIN [-k KEYFILE] [-a rsa|ed25519]\n"
	    "               [--nameserver IP[:PORT]]\n"
	    "       dkimgen -h | -V\n"
	    "\n"
	    "  -s, --selector NAME   selector (the record is NAME._domainkey.DOMAIN)\n"
	    "  -d, --domain DOMAIN   signing domain (d=)\n"
	    "  -D, --directory DIR   where to write SELECTOR.private and SELECTOR.txt (.)\n"
	    "  -a, --algorithm ALG   rsa (default) or ed25519\n"
	    "  -b, --bits BITS       RSA key size, 1024 to 4096 (default 2048)\n"
	    "  -r, --restrict        add s=email: the key serves email only\n"
	    "  -t, --testing         add t=y: testing mode\n"
	    "  -S, --strict          add t=s: i= must be in d= exactly, no subdomains\n"
	    "  -n, --note TEXT       add n=TEXT, a note for people reading the record\n"
	    "      --force           replace an existing SELECTOR.private / .txt\n"
	    "      --keytable KEYPATH  also print KeyTable and SigningTable lines for the\n"
	    "                        key installed at KEYPATH\n"
	    "      --from-key FILE   print the record for an existing private key\n"
	    "      --check           check the published record in DNS\n"
	    "  -k, --key KEYFILE     with --check: the private key it must match\n"
	    "      --nameserver IP[:PORT]  with --check: ask this server, not resolv.conf\n"
	    "  -h, --help            this help\n"
	    "  -V, --version         print the version\n");
}

/* Report a bad argument and exit 2. */
__attribute__((format(printf, 1, 2), noreturn))
static void
bad_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("dkimgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'dkimgen -h' for help.\n", stderr);
	exit(EXIT_USAGE);
}

/* Parse -b strictly: digits only. */
static int
parse_bits(const char *s)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > 1000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v > 1000000 ? -1 : (int)v;
}

/* Check the parsed options fit together, then fill in defaults. */
static void
validate(struct opts *o)
{
	char why[128];
	size_t n;

	if (o->selector == NULL)
		bad_usage("-s SELECTOR is required");
	if (o->domain == NULL)
		bad_usage("-d DOMAIN is required");
	if (dkim_name_check(o->selector, SELECTOR_MAX, why, sizeof(why)) != 0)
		bad_usage("bad selector '%s': it %s", o->selector, why);
	n = strlen(o->domain);
	if (n > 1 && o->domain[n - 1] == '.')
		o->domain[n - 1] = '\0';
	/* An internationalized domain is published and signed as its A-label (RFC 8616). */
	if (dkim_idna_utf8(o->domain, strlen(o->domain))) {
		static char alabel[DOMAIN_MAX + 1];

		if (dkim_idna_alabel(o->domain, strlen(o->domain), alabel, sizeof(alabel), why,
		    sizeof(why)) != 0)
			bad_usage("bad domain '%s': it %s", o->domain, why);
		fprintf(stderr, "dkimgen: %s is written %s in DNS and in d=: using that\n",
		    o->domain, alabel);
		o->domain = alabel;
	}
	if (dkim_name_check(o->domain, DOMAIN_MAX, why, sizeof(why)) != 0)
		bad_usage("bad domain '%s': it %s", o->domain, why);
	if (o->mode == MODE_CHECK) {
		if (o->dir != NULL || o->bits || o->restrict_email || o->testing ||
		    o->strict || o->note != NULL || o->force || o->keytable != NULL)
			bad_usage("--check takes only -s, -d, -k, -a and --nameserver");
		if (o->nameserver != NULL &&
		    dnstxt_parse_server(o->nameserver, &o->ns, why, sizeof(why)) != 0)
			bad_usage("--nameserver %s: %s", o->nameserver, why);
		return;
	}
	if (o->keyfile != NULL || o->nameserver != NULL)
		bad_usage("-k and --nameserver go with --check");
	if (o->mode == MODE_FROM_KEY && (o->dir != NULL || o->bits || o->alg_given ||
	    o->force))
		bad_usage("--from-key takes the key as it is: -D, -a, -b and --force do "
		    "not apply");
	if (o->note != NULL && strlen(o->note) > RECORD_NOTE_MAX)
		bad_usage("the note is longer than %d bytes", RECORD_NOTE_MAX);
	if (o->keytable != NULL && (o->keytable[0] == '\0' ||
	    strpbrk(o->keytable, " \t\r\n") != NULL))
		bad_usage("--keytable %s: the path must not be empty nor contain "
		    "white space (the tables are white-space separated)", o->keytable);
	if (o->alg == DKIM_ALG_ED25519_SHA256) {
		if (o->bits != 0 && o->bits != 256)
			bad_usage("-b %d: Ed25519 keys always have 256 bits; drop -b",
			    o->bits);
		o->bits = 256;
	} else if (o->mode == MODE_GENERATE) {
		if (o->bits == 0)
			o->bits = 2048;
		if (o->bits < DKIM_RSA_MIN_BITS)
			bad_usage("-b %d: refusing RSA keys below %d bits: verifiers reject "
			    "them (RFC 8301)", o->bits, DKIM_RSA_MIN_BITS);
		if (o->bits > KEYFILE_RSA_MAX_BITS)
			bad_usage("-b %d: RSA keys above %d bits are not accepted by every "
			    "verifier (RFC 8301); use 2048 to 4096", o->bits,
			    KEYFILE_RSA_MAX_BITS);
	}
	if (o->dir == NULL)
		o->dir = ".";
}

/* Parse the command line into o. */
static void
parse_args(int argc, char **argv, struct opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->alg = DKIM_ALG_RSA_SHA256;
	opterr = 1;
	while ((ch = getopt_long(argc, argv, "s:d:D:a:b:rtSn:k:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': o->selector = optarg; break;
		case 'd': o->domain = optarg; break;
		case 'D': o->dir = optarg; break;
		case 'a':
			if (strcmp(optarg, "rsa") == 0)
				o->alg = DKIM_ALG_RSA_SHA256;
			else if (strcmp(optarg, "ed25519") == 0)
				o->alg = DKIM_ALG_ED25519_SHA256;
			else
				bad_usage("-a %s: the algorithm is rsa or ed25519", optarg);
			o->alg_given = 1;
			break;
		case 'b':
			if ((o->bits = parse_bits(optarg)) <= 0)
				bad_usage("-b %s: give the key size as a number of bits, "
				    "e.g. 2048", optarg);
			break;
		case 'r': o->restrict_email = 1; break;
		case 't': o->testing = 1; break;
		case 'S': o->strict = 1; break;
		case 'n': o->note = optarg; break;
		case 'k': o->keyfile = optarg; break;
		case OPT_FORCE: o->force = 1; break;
		case OPT_KEYTABLE: o->keytable = optarg; break;
		case OPT_FROM_KEY: o->from_key = optarg; break;
		case OPT_CHECK: o->mode = MODE_CHECK; break;
		case OPT_NAMESERVER: o->nameserver = optarg; break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("dkimgen (postdkim) %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			fputs("Try 'dkimgen -h' for help.\n", stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument '%s'", argv[optind]);
	if (o->from_key != NULL) {
		if (o->mode == MODE_CHECK)
			bad_usage("--from-key and --check do not go together (use -k with "
			    "--check)");
		o->mode = MODE_FROM_KEY;
	}
	validate(o);
}

/* Print the KeyTable and SigningTable lines for --keytable. */
static void
print_tables(const struct opts *o)
{
	printf("\n# KeyTable line for this key:\n");
	printf("%s._domainkey.%s %s:%s:%s\n", o->selector, o->domain, o->domain,
	    o->selector, o->keytable);
	printf("# SigningTable line (with \"SigningTable refile:FILE\" write instead:"
	    " *@%s %s._domainkey.%s):\n", o->domain, o->selector, o->domain);
	printf("%s %s._domainkey.%s\n", o->domain, o->selector, o->domain);
}

/* Build the zone-file record for key into zone. */
static int
make_zone(const struct opts *o, const dkim_key *key, dbuf *zone)
{
	struct record_opts ro;
	dkim_err err;
	char *pub;
	int rc;

	if ((pub = dkim_key_public_b64(key, &err)) == NULL) {
		fprintf(stderr, "dkimgen: %s\n", err.msg);
		return -1;
	}
	memset(&ro, 0, sizeof(ro));
	ro.alg = dkim_key_alg(key);
	ro.pub_b64 = pub;
	ro.restrict_email = o->restrict_email;
	ro.testing = o->testing;
	ro.strict = o->strict;
	ro.note = o->note;
	rc = record_zone(&ro, o->selector, o->domain, zone);
	free(pub);
	if (rc != 0)
		fprintf(stderr, "dkimgen: out of memory\n");
	return rc;
}

/* --from-key: print the record of an existing key. */
static int
from_key(const struct opts *o)
{
	dkim_key *key;
	dkim_err err;
	dbuf zone;
	int rc = 1;

	if (dkim_key_load_file(o->from_key, &key, &err) != DKIM_OK) {
		fprintf(stderr, "dkimgen: %s\n", err.msg);
		return 1;
	}
	if (!dkim_key_is_private(key)) {
		fprintf(stderr, "dkimgen: %s: not a private key\n", o->from_key);
		dkim_key_free(key);
		return 1;
	}
	if (dkim_key_alg(key) == DKIM_ALG_RSA_SHA256 &&
	    dkim_key_bits(key) < KEYFILE_RSA_WARN_BITS)
		fprintf(stderr, "dkimgen: warning: %s is a %d-bit RSA key; 2048 bits "
		    "is the usual minimum today\n", o->from_key, dkim_key_bits(key));
	dbuf_init(&zone);
	if (make_zone(o, key, &zone) == 0) {
		fputs(zone.data, stdout);
		if (o->keytable != NULL)
			print_tables(o);
		rc = 0;
	}
	dbuf_free(&zone);
	dkim_key_free(key);
	return rc;
}

/* Generate a key, write SELECTOR.private and SELECTOR.txt, print the record. */
static int
generate(const struct opts *o)
{
	char privname[SELECTOR_MAX + 16], txtname[SELECTOR_MAX + 16];
	struct keyfile_tmp tkey, ttxt;
	char *pem = NULL;
	size_t pemlen = 0;
	dkim_key *key = NULL;
	dkim_err err;
	struct stat st;
	dbuf zone;
	int rc = 1;

	tkey.staged = ttxt.staged = 0;
	snprintf(privname, sizeof(privname), "%s.private", o->selector);
	snprintf(txtname, sizeof(txtname), "%s.txt", o->selector);
	if (stat(o->dir, &st) != 0) {
		fprintf(stderr, "dkimgen: %s: %s\n", o->dir, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "dkimgen: %s: not a directory\n", o->dir);
		return 1;
	}
	/* Fail before the (slow) key generation, not after. */
	if (!o->force && (keyfile_exists(o->dir, privname) || keyfile_exists(o->dir, txtname))) {
		fprintf(stderr, "dkimgen: %s/%s or %s/%s exists; refusing to overwrite "
		    "a key (use --force to replace it)\n", o->dir, privname, o->dir, txtname);
		return 1;
	}
	if (o->alg == DKIM_ALG_RSA_SHA256 && o->bits < KEYFILE_RSA_WARN_BITS)
		fprintf(stderr, "dkimgen: warning: %d-bit RSA keys are weak; 2048 bits is "
		    "the usual minimum today\n", o->bits);
	dbuf_init(&zone);
	if (keyfile_generate(o->alg, o->bits, &pem, &pemlen, &err) != DKIM_OK ||
	    dkim_key_load_mem(pem, pemlen, &key, &err) != DKIM_OK) {
		fprintf(stderr, "dkimgen: %s\n", err.msg);
		goto out;
	}
	if (make_zone(o, key, &zone) != 0)
		goto out;
	/*
	 * Both files are written in full before either is named, and the record
	 * is named first: whatever fails, an old key is never lost, and a new
	 * key never stands without its record.
	 */
	if (keyfile_stage(o->dir, privname, pem, pemlen, 0600, &tkey, &err) != DKIM_OK ||
	    keyfile_stage(o->dir, txtname, zone.data, zone.len, 0644, &ttxt, &err) != DKIM_OK ||
	    keyfile_check_target(&tkey, o->force, &err) != DKIM_OK ||
	    keyfile_check_target(&ttxt, o->force, &err) != DKIM_OK ||
	    keyfile_commit(&ttxt, o->force, &err) != DKIM_OK) {
		fprintf(stderr, "dkimgen: %s\n", err.msg);
		goto out;
	}
	if (keyfile_commit(&tkey, o->force, &err) != DKIM_OK) {
		fprintf(stderr, "dkimgen: %s\n", err.msg);
		/* Take back the record just named, unless it replaced an old one. */
		if (!o->force)
			unlink(ttxt.path);
		else
			fprintf(stderr, "dkimgen: %s holds the new record, %s the old key: "
			    "run again\n", ttxt.path, tkey.path);
		goto out;
	}
	fputs(zone.data, stdout);
	if (o->keytable != NULL)
		print_tables(o);
	fprintf(stderr, "dkimgen: wrote %s/%s (%s, %d bits, mode 0600) and %s/%s\n",
	    o->dir, privname, dkim_alg_keytype(o->alg), dkim_key_bits(key), o->dir,
	    txtname);
	rc = 0;
out:
	keyfile_discard(&tkey);
	keyfile_discard(&ttxt);
	dbuf_free(&zone);
	keyfile_pem_free(pem, pemlen);
	dkim_key_free(key);
	return rc;
}

/* Parse the command line and run the chosen mode. */
int
main(int argc, char **argv)
{
	struct check_opts co;
	struct opts o;

	parse_args(argc, argv, &o);
	switch (o.mode) {
	case MODE_CHECK:
		memset(&co, 0, sizeof(co));
		co.selector = o.selector;
		co.domain = o.domain;
		co.keyfile = o.keyfile;
		co.alg = o.alg_given ? o.alg : DKIM_ALG_ANY;
		co.server = o.nameserver != NULL ? &o.ns : NULL;
		co.server_name = o.nameserver;
		return check_run(&co);
	case MODE_FROM_KEY:
		return from_key(&o);
	default:
		return generate(&o);
	}
}
