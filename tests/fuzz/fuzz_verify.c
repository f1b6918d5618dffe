/*
 * fuzz_verify.c - libFuzzer target: the whole-message verifier and the
 * signer over arbitrary messages. The verifier is handed a real Ed25519
 * key record for every selector, so parsing goes all the way to the body
 * hash and the signature check. Each input is also signed, and when
 * signing succeeds the result must verify.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "../../dkim/dbuf.h"
#include "../../dkim/sign.h"
#include "../../dkim/verify.h"

#define MUST(x) do { if (!(x)) abort(); } while (0)

/* A fixed Ed25519 seed (the RFC 8463 Appendix A example key): no randomness. */
static const char seed_b64[] = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

static dkim_key *key;
static dkim_signer *signer;
static char record[128];

static int
lookup(void *arg, const char *domain, const char *selector, char *txt, size_t size)
{
	(void)arg, (void)domain;
	if (strcmp(selector, "none") == 0)
		return 1;
	if (strcmp(selector, "fail") == 0)
		return -1;
	snprintf(txt, size, "%s", record);
	return 0;
}

/* Build the key, its record and the signer once. */
static void
setup(void)
{
	dkim_signer_opts o;
	dkim_err err;
	char *p;

	if (dkim_key_load_mem(seed_b64, strlen(seed_b64), &key, &err) != DKIM_OK)
		abort();
	if ((p = dkim_key_public_b64(key, &err)) == NULL)
		abort();
	snprintf(record, sizeof(record), "v=DKIM1; k=ed25519; p=%s", p);
	free(p);
	memset(&o, 0, sizeof(o));
	o.domain = "example.com";
	o.selector = "fuzz";
	o.hcanon = DKIM_CANON_RELAXED;
	o.bcanon = DKIM_CANON_RELAXED;
	if (dkim_signer_new(&o, key, &signer, &err) != DKIM_OK)
		abort();
}

/* Nonzero when every CR is followed by LF and every LF preceded by CR. */
static int
crlf_form(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n'))
			return 0;
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const dkim_signer *sv[1];
	dkim_vresult res[4];
	dkim_msg *m = NULL;
	dkim_err err;
	dbuf signed_msg;
	int n;

	if (key == NULL)
		setup();
	n = dkim_verify_message((const char *)data, size, lookup, NULL, 1700000000, res, 4);
	MUST(n >= -1);
	sv[0] = signer;
	if (dkim_sign_buffer(sv, 1, 1700000000, (const char *)data, size, &m, &err) != DKIM_OK)
		return 0;
	dbuf_init(&signed_msg);
	dbuf_adds(&signed_msg, "DKIM-Signature: ");
	dbuf_adds(&signed_msg, dkim_msg_signature(m, 0));
	dbuf_adds(&signed_msg, "\r\n");
	dbuf_add(&signed_msg, data, size);
	MUST(!dbuf_failed(&signed_msg));
	n = dkim_verify_message(signed_msg.data, signed_msg.len, lookup, NULL, 1700000000, res, 1);
	/* On a message in CRLF form (the API's contract), our own signature must verify. */
	MUST(n >= 1);
	if (crlf_form(data, size) && res[0].status != DKIM_V_PASS) {
		fprintf(stderr, "own signature: %s\n", res[0].reason);
		abort();
	}
	dbuf_free(&signed_msg);
	dkim_msg_free(m);
	return 0;
}
