/*
 * keygen_sign.c - test helper: proves a key pair made by dkimgen works with
 * the DKIM core, using the record exactly as dkimgen printed it.
 *
 *   keygen_sign sign KEYFILE ZONEFILE DOMAIN SELECTOR OUTFILE
 *	load the key, check the record parses and carries the key's public
 *	half, sign a message (relaxed/relaxed and simple/simple), verify both
 *	signatures with the core's verifier, check a changed body fails, and
 *	write the signed message to OUTFILE for other verifiers.
 *   keygen_sign verify ZONEFILE DOMAIN SELECTOR MSGFILE
 *	verify every signature of MSGFILE against the record; all must pass.
 *
 * ZONEFILE is dkimgen's SELECTOR.txt: the quoted strings are joined, as DNS
 * joins the strings of one TXT record. Exit 0 on success, 1 on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../dkim/dbuf.h"
#include "../../dkim/key.h"
#include "../../dkim/sign.h"
#include "../../dkim/verify.h"

#define FILE_MAX (1024 * 1024)

struct lookup {
	const char *domain;
	const char *selector;
	const char *txt;
	int calls;
};

static const char message[] =
    "From: Alice <alice@%s>\r\n"
    "To: Bob <bob@example.net>\r\n"
    "Subject: key test\r\n"
    "Date: Mon, 23 Nov 2026 20:00:00 +0000\r\n"
    "Message-ID: <keytest@%s>\r\n"
    "\r\n"
    "Hello Bob,\r\n"
    "  this line  has   odd spacing \t \r\n"
    "\r\n"
    "\r\n";

/* Read a whole file into b. */
static int
read_file(const char *path, dbuf *b)
{
	char chunk[4096];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0 && b->len < FILE_MAX)
		dbuf_add(b, chunk, n);
	fclose(fp);
	return dbuf_failed(b) ? -1 : 0;
}

/* Join the quoted strings of a zone-file TXT record. */
static int
zone_text(const char *path, dbuf *out)
{
	dbuf z;
	size_t i;
	int in = 0, rc = 0;

	dbuf_init(&z);
	if (read_file(path, &z) != 0) {
		dbuf_free(&z);
		return -1;
	}
	for (i = 0; i < z.len; i++) {
		if (!in && z.data[i] == ';')	/* a comment: skip to end of line */
			while (i < z.len && z.data[i] != '\n')
				i++;
		else if (z.data[i] == '"')
			in = !in;
		else if (in && z.data[i] == '\\' && i + 1 < z.len)
			dbuf_addc(out, z.data[++i]);
		else if (in)
			dbuf_addc(out, z.data[i]);
	}
	if (in || out->len == 0 || dbuf_failed(out)) {
		fprintf(stderr, "%s: no complete quoted TXT text\n", path);
		rc = -1;
	}
	dbuf_free(&z);
	return rc;
}

/* The verifier's key lookup: only the expected name has a record. */
static int
lookup_cb(void *arg, const char *domain, const char *selector, char *txt, size_t size)
{
	struct lookup *l = arg;

	l->calls++;
	if (strcmp(domain, l->domain) != 0 || strcmp(selector, l->selector) != 0)
		return 1;
	if (strlen(l->txt) >= size)
		return -1;
	memcpy(txt, l->txt, strlen(l->txt) + 1);
	return 0;
}

/* Verify msg; returns the number of signatures that passed, or -1. */
static int
verify(const char *msg, size_t len, struct lookup *l, int *nsig)
{
	dkim_vresult res[8];
	int n, i, pass = 0;

	n = dkim_verify_message(msg, len, lookup_cb, l, time(NULL), res, 8);
	*nsig = n;
	if (n < 0)
		return -1;
	for (i = 0; i < n && i < 8; i++) {
		printf("  signature %d (%s): %s%s%s\n", i + 1, dkim_alg_name(res[i].alg),
		    dkim_vstatus_name(res[i].status),
		    res[i].status != DKIM_V_PASS && res[i].reason[0] ? ": " : "",
		    res[i].status != DKIM_V_PASS ? res[i].reason : "");
		if (res[i].status == DKIM_V_PASS)
			pass++;
	}
	return pass;
}

/* Build a signer for key with the given canonicalization. */
static dkim_signer *
signer(dkim_key *key, const char *domain, const char *selector, dkim_canon c)
{
	dkim_signer_opts so;
	dkim_signer *s;
	dkim_err err;

	memset(&so, 0, sizeof(so));
	so.domain = domain;
	so.selector = selector;
	so.hcanon = c;
	so.bcanon = c;
	if (dkim_signer_new(&so, key, &s, &err) != DKIM_OK) {
		fprintf(stderr, "dkim_signer_new: %s\n", err.msg);
		return NULL;
	}
	return s;
}

/* The "sign" command. */
static int
cmd_sign(const char *keyfile, const char *zone, const char *domain, const char *selector,
    const char *outfile)
{
	const dkim_signer *signers[2];
	dkim_signer *s1 = NULL, *s2 = NULL;
	dkim_key *key = NULL, *pub = NULL;
	dkim_msg *m = NULL;
	struct lookup l;
	char reason[256], *p;
	dbuf txt, msg, signedmsg;
	dkim_err err;
	int rc = 1, nsig, testing, pass;
	size_t i;
	FILE *fp;

	dbuf_init(&txt);
	dbuf_init(&msg);
	dbuf_init(&signedmsg);
	if (dkim_key_load_file(keyfile, &key, &err) != DKIM_OK) {
		fprintf(stderr, "FAIL: core cannot load %s: %s\n", keyfile, err.msg);
		goto out;
	}
	printf("key %s: %s, %d bits\n", keyfile, dkim_alg_keytype(dkim_key_alg(key)),
	    dkim_key_bits(key));
	if (zone_text(zone, &txt) != 0)
		goto out;
	if (dkim_keyrecord_parse(txt.data, txt.len, dkim_key_alg(key), &pub, &testing,
	    reason, sizeof(reason)) != DKIM_V_PASS) {
		fprintf(stderr, "FAIL: record does not parse: %s\n", reason);
		goto out;
	}
	if (!dkim_key_same_public(pub, key)) {
		fprintf(stderr, "FAIL: the record's p= is not the key's public half\n");
		goto out;
	}
	if ((s1 = signer(key, domain, selector, DKIM_CANON_RELAXED)) == NULL ||
	    (s2 = signer(key, domain, selector, DKIM_CANON_SIMPLE)) == NULL)
		goto out;
	signers[0] = s1;
	signers[1] = s2;
	dbuf_printf(&msg, message, domain, domain);
	if (dbuf_failed(&msg) || dkim_sign_buffer(signers, 2, time(NULL), msg.data, msg.len,
	    &m, &err) != DKIM_OK) {
		fprintf(stderr, "FAIL: signing: %s\n", err.msg);
		goto out;
	}
	/* Newest on top, as an MTA prepends each one. */
	for (i = dkim_msg_nsignatures(m); i > 0; i--)
		dbuf_printf(&signedmsg, "DKIM-Signature: %s\r\n", dkim_msg_signature(m, i - 1));
	dbuf_add(&signedmsg, msg.data, msg.len);
	if (dbuf_failed(&signedmsg))
		goto out;
	l.domain = domain;
	l.selector = selector;
	l.txt = txt.data;
	l.calls = 0;
	if ((pass = verify(signedmsg.data, signedmsg.len, &l, &nsig)) != 2 || nsig != 2) {
		fprintf(stderr, "FAIL: core verifier: %d of %d signatures pass\n", pass, nsig);
		goto out;
	}
	/* A changed body must fail: the pass above is not vacuous. */
	if ((p = strstr(signedmsg.data, "Hello Bob")) != NULL)
		p[0] = 'J';
	if ((pass = verify(signedmsg.data, signedmsg.len, &l, &nsig)) != 0) {
		fprintf(stderr, "FAIL: a changed body still verifies\n");
		goto out;
	}
	if (p != NULL)
		p[0] = 'H';
	if ((fp = fopen(outfile, "wb")) == NULL ||
	    fwrite(signedmsg.data, 1, signedmsg.len, fp) != signedmsg.len || fclose(fp) != 0) {
		perror(outfile);
		goto out;
	}
	printf("ok: core signs with %s and verifies against the record\n", keyfile);
	rc = 0;
out:
	dkim_msg_free(m);
	dkim_signer_free(s1);
	dkim_signer_free(s2);
	dkim_key_free(key);
	dkim_key_free(pub);
	dbuf_free(&txt);
	dbuf_free(&msg);
	dbuf_free(&signedmsg);
	return rc;
}

/* The "verify" command. */
static int
cmd_verify(const char *zone, const char *domain, const char *selector, const char *msgfile)
{
	struct lookup l;
	dbuf txt, msg;
	int rc = 1, pass, nsig;

	dbuf_init(&txt);
	dbuf_init(&msg);
	if (zone_text(zone, &txt) != 0 || read_file(msgfile, &msg) != 0)
		goto out;
	l.domain = domain;
	l.selector = selector;
	l.txt = txt.data;
	l.calls = 0;
	pass = verify(msg.data, msg.len, &l, &nsig);
	if (nsig < 1 || pass != nsig) {
		fprintf(stderr, "FAIL: core verifier: %d of %d signatures of %s pass\n", pass,
		    nsig, msgfile);
		goto out;
	}
	printf("ok: core verifier passes %d signature(s) of %s\n", nsig, msgfile);
	rc = 0;
out:
	dbuf_free(&txt);
	dbuf_free(&msg);
	return rc;
}

/* Dispatch the sub-command. */
int
main(int argc, char **argv)
{
	if (argc == 7 && strcmp(argv[1], "sign") == 0)
		return cmd_sign(argv[2], argv[3], argv[4], argv[5], argv[6]);
	if (argc == 6 && strcmp(argv[1], "verify") == 0)
		return cmd_verify(argv[2], argv[3], argv[4], argv[5]);
	fprintf(stderr, "usage: keygen_sign sign KEY ZONE DOMAIN SELECTOR OUT\n"
	    "       keygen_sign verify ZONE DOMAIN SELECTOR MSG\n");
	return 2;
}
