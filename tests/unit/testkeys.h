/*
 * testkeys.h - test helpers for the core's unit tests: keys made with
 * OpenSSL at run time (PEM in every form the core accepts), a key record
 * for them, a private directory to write key and table files in, and
 * small buffer helpers.
 */
#ifndef TESTKEYS_H
#define TESTKEYS_H

#include <stddef.h>
#include <sys/types.h>

#include <check.h>

#include "../../dkim/dbuf.h"
#include "../../dkim/key.h"

enum tk_form {
	TK_RSA_PKCS1,		/* "BEGIN RSA PRIVATE KEY" */
	TK_RSA_PKCS8,		/* "BEGIN PRIVATE KEY" */
	TK_ED25519_PKCS8,	/* "BEGIN PRIVATE KEY" */
	TK_ED25519_SEED,	/* base64 of the 32-byte seed, as dkimpy writes it */
};

/* A new private key in the given form (RSA of bits bits); caller frees. Aborts on failure. */
char *tk_private(enum tk_form form, int bits);

/*
 * Like tk_private, for a key the whole program shares: made once in main()
 * before Check forks the tests, which inherit it; freed at exit.
 */
char *tk_shared(enum tk_form form, int bits);

/* Load key text with the core; aborts the test on failure. */
dkim_key *tk_load(const char *text);

/* "v=DKIM1; k=rsa; p=..." for key (the core's own p= export); caller frees. */
char *tk_record(const dkim_key *key);

/* The private directory of tk_dir_fixture ("" when there is none). */
extern char tk_dir[64];

/*
 * Run tc's tests in tk_dir, a new directory /tmp/<prefix>.XXXXXX (mode
 * 0700; one prefix a program) removed with everything in it after them:
 * once around them all in the runner's process (Check's unchecked
 * fixture), or around each test where each is nonzero.
 */
void tk_dir_fixture(TCase *tc, const char *prefix, int each);

/* tk_dir/name (name itself when it is absolute), in a ring of eight static buffers. */
const char *tk_at(const char *name);

/*
 * Write printf-style text to name in tk_dir (or to name itself when it is
 * an absolute path), replacing any file there, with the given mode;
 * returns the path (tk_at's ring). Fails the running test on error.
 */
const char *tk_put(const char *name, mode_t mode, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Make tk_dir/name a directory (if it is not one) with the given mode; returns its path. */
const char *tk_mkdir(const char *name, mode_t mode);

/* Canonical-body sink that appends to a dbuf. */
void tk_sink(void *arg, const void *data, size_t len);

/* A deterministic generator for "random" splits (xorshift64*). */
unsigned long tk_rand(unsigned long long *state);

/* Render bytes with CR, LF, TAB and non-printables escaped, for failure messages. */
const char *tk_show(const void *data, size_t len);

#endif
