/*
 * testkeys.h - test helpers for the core's unit tests: keys made with
 * OpenSSL at run time (PEM in every form the core accepts), a key record
 * for them, and small buffer helpers.
 */
#ifndef TESTKEYS_H
#define TESTKEYS_H

#include <stddef.h>

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

/* Load key text with the core; aborts the test on failure. */
dkim_key *tk_load(const char *text);

/* "v=DKIM1; k=rsa; p=..." for key (the core's own p= export); caller frees. */
char *tk_record(const dkim_key *key);

/* Canonical-body sink that appends to a dbuf. */
void tk_sink(void *arg, const void *data, size_t len);

/* A deterministic generator for "random" splits (xorshift64*). */
unsigned long tk_rand(unsigned long long *state);

/* Render bytes with CR, LF, TAB and non-printables escaped, for failure messages. */
const char *tk_show(const void *data, size_t len);

#endif
