/*
 * testkeys.c - key generation, the private directory the keys are
 * written to, and small helpers shared by the core's unit tests. Keys are
 * made fresh with OpenSSL EVP so no test depends on a key produced by the
 * code under test.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "../../dkim/base64.h"
#include "testkeys.h"

/* Stop the test program with a reason. */
static void
tk_die(const char *what)
{
	fprintf(stderr, "testkeys: %s failed\n", what);
	abort();
}

/* Copy a memory BIO's contents into a new C string. */
static char *
bio_string(BIO *bio)
{
	char *data, *s;
	long n = BIO_get_mem_data(bio, &data);

	if (n <= 0 || (s = malloc((size_t)n + 1)) == NULL)
		tk_die("BIO_get_mem_data");
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

/* Make a new private key in one of the textual forms the core reads. */
char *
tk_private(enum tk_form form, int bits)
{
	EVP_PKEY *pkey;
	BIO *bio;
	char *s;

	if (form == TK_RSA_PKCS1 || form == TK_RSA_PKCS8)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL)
		tk_die("EVP_PKEY_Q_keygen");
	if (form == TK_ED25519_SEED) {
		unsigned char seed[32];
		size_t len = sizeof(seed);

		if (EVP_PKEY_get_raw_private_key(pkey, seed, &len) != 1 || len != 32)
			tk_die("EVP_PKEY_get_raw_private_key");
		if ((s = malloc(base64_encoded_len(32) + 2)) == NULL)
			tk_die("malloc");
		base64_encode(seed, 32, s);
		strcat(s, "\n");	/* dkimpy's files end with a newline */
		EVP_PKEY_free(pkey);
		return s;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		tk_die("BIO_new");
	if (form == TK_RSA_PKCS1) {
		/* The traditional format is what "openssl genrsa -traditional" writes. */
		if (PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1)
			tk_die("PEM_write_bio_PrivateKey_traditional");
	} else if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1)
		tk_die("PEM_write_bio_PrivateKey");
	s = bio_string(bio);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return s;
}

/* The keys tk_shared made, freed at exit. */
static char *shared[16];
static size_t nshared;

/* Free the shared keys (atexit). */
static void
free_shared(void)
{
	while (nshared > 0)
		free(shared[--nshared]);
}

/* Make a key for the whole program and remember it for free_shared. */
char *
tk_shared(enum tk_form form, int bits)
{
	if (nshared == sizeof(shared) / sizeof(shared[0]))
		tk_die("tk_shared (too many keys)");
	if (nshared == 0 && atexit(free_shared) != 0)
		tk_die("atexit");
	return shared[nshared++] = tk_private(form, bits);
}

char tk_dir[64];

/* Make the private directory from a mkdtemp template under /tmp. */
static void
dir_make(const char *prefix)
{
	snprintf(tk_dir, sizeof(tk_dir), "/tmp/%s.XXXXXX", prefix);
	if (mkdtemp(tk_dir) == NULL) {
		perror(tk_dir);
		tk_die("mkdtemp");
	}
}

/* Remove one file or directory (nftw callback), making it writable first. */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag != FTW_SL && flag != FTW_SLN)	/* chmod would follow a link */
		chmod(path, 0700);
	return remove(path);
}

/* Remove the private directory and everything in it (fixture teardown). */
static void
dir_remove(void)
{
	if (tk_dir[0] == '\0')
		return;
	if (nftw(tk_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "could not remove %s\n", tk_dir);
	tk_dir[0] = '\0';
}

/* The prefix tk_dir_fixture was given. */
static const char *fixture_prefix;

/* Fixture set-up: make the private directory. */
static void
dir_setup(void)
{
	dir_make(fixture_prefix);
}

/* Give a test case its private directory, as a Check fixture. */
void
tk_dir_fixture(TCase *tc, const char *prefix, int each)
{
	fixture_prefix = prefix;
	if (each)
		tcase_add_checked_fixture(tc, dir_setup, dir_remove);
	else
		tcase_add_unchecked_fixture(tc, dir_setup, dir_remove);
}

/* A path in the private directory. */
const char *
tk_at(const char *name)
{
	static char paths[8][600];
	static unsigned next;
	char *p = paths[next++ % 8];

	if (name[0] == '/')
		snprintf(p, 600, "%s", name);
	else
		snprintf(p, 600, "%s/%s", tk_dir, name);
	return p;
}

/* Write a file with a mode, replacing what was there. */
const char *
tk_put(const char *name, mode_t mode, const char *fmt, ...)
{
	const char *path = tk_at(name);
	va_list ap;
	FILE *fp;
	int fd, n;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	va_start(ap, fmt);
	n = vfprintf(fp, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	ck_assert_int_eq(fclose(fp), 0);
	return path;
}

/* Make a directory in the private directory with a mode. */
const char *
tk_mkdir(const char *name, mode_t mode)
{
	const char *path = tk_at(name);

	ck_assert_msg(mkdir(path, 0700) == 0 || errno == EEXIST, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

/* Load a private key with the core or abort. */
dkim_key *
tk_load(const char *text)
{
	dkim_key *k = NULL;
	dkim_err err;

	if (dkim_key_load_mem(text, strlen(text), &k, &err) != DKIM_OK) {
		fprintf(stderr, "testkeys: dkim_key_load_mem: %s\n", err.msg);
		abort();
	}
	return k;
}

/* Build the key record text for a key. */
char *
tk_record(const dkim_key *key)
{
	char *p, *rec;
	size_t n;
	dkim_err err;

	if ((p = dkim_key_public_b64(key, &err)) == NULL) {
		fprintf(stderr, "testkeys: dkim_key_public_b64: %s\n", err.msg);
		abort();
	}
	n = strlen(p) + 64;
	if ((rec = malloc(n)) == NULL)
		tk_die("malloc");
	snprintf(rec, n, "v=DKIM1; k=%s; p=%s", dkim_alg_keytype(dkim_key_alg(key)), p);
	free(p);
	return rec;
}

/* Append canonical bytes to the dbuf in arg. */
void
tk_sink(void *arg, const void *data, size_t len)
{
	dbuf_add(arg, data, len);
}

/* xorshift64*: small, seedable, the same on every platform. */
unsigned long
tk_rand(unsigned long long *state)
{
	unsigned long long x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (unsigned long)((x * 2685821657736338717ULL) >> 33);
}

/* Escape bytes for a failure message (static buffer, truncated). */
const char *
tk_show(const void *data, size_t len)
{
	static char buf[1024];
	const unsigned char *p = data;
	size_t i, o = 0;

	for (i = 0; i < len && o + 8 < sizeof(buf); i++) {
		if (p[i] == '\r')
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\r");
		else if (p[i] == '\n')
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\n");
		else if (p[i] == '\t')
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\t");
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", p[i]);
		else
			buf[o++] = (char)p[i];
	}
	buf[o] = '\0';
	return buf;
}
