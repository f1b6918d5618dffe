/*
 * fuzz_vmsg.c - libFuzzer target: the streaming verifier fed as the milter
 * feeds it, with an arbitrary key record for every signature it asks about
 * (or a missing / failed one), the body in odd-sized chunks, and then the
 * Authentication-Results value built from its results and the authserv-id
 * reader run on the input. Whatever the input, the A-R value must hold no
 * control byte other than its folds.
 *
 * Input: one flag byte, the key record, "\0", the message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../dkim/header.h"
#include "../../dkim/vmsg.h"
#include "../../verify/authres.h"

#define MUST(x) do { if (!(x)) abort(); } while (0)

/* Walk callback: each field into the verifier (its errors are fine). */
static int
feed_field(void *m, const char *name, size_t nlen, const char *value, size_t vlen,
    dkim_err *err)
{
	(void)dkim_vmsg_header(m, name, nlen, value, vlen, err);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *rec, *msg, *nul, *d, *s;
	dkim_vresult res[DKIM_VMSG_SIGS_MAX];
	size_t reclen, msglen, body = 0, i, n, chunk, pos;
	dkim_vmsg *vm;
	dkim_vopts o;
	unsigned flags;
	dbuf ar, id;

	if (size < 1)
		return 0;
	flags = data[0];
	rec = in + 1;
	nul = memchr(rec, '\0', size - 1);
	reclen = nul ? (size_t)(nul - rec) : size - 1;
	msg = nul ? nul + 1 : in + size;
	msglen = (size_t)(in + size - msg);
	dbuf_init(&id);
	(void)authres_parse_id(in, size, &id);
	dbuf_free(&id);

	dkim_vopts_default(&o);
	o.now = 1700000000;
	o.max_sigs = 1 + flags % 4;
	MUST(dkim_vmsg_new(&o, &vm, NULL) == DKIM_OK);
	if (dkim_message_fields(msg, msglen, feed_field, vm, &body, NULL) != DKIM_OK)
		body = msglen;
	if (dkim_vmsg_eoh(vm, NULL) == DKIM_OK) {
		for (i = 0; i < dkim_vmsg_nverify(vm); i++) {
			if (!dkim_vmsg_need(vm, i, &d, &s))
				continue;
			if ((flags >> 2) % 4 == 1)
				dkim_vmsg_key_status(vm, i, DKIM_V_NOKEY, NULL);
			else if ((flags >> 2) % 4 == 2)
				dkim_vmsg_key_status(vm, i, DKIM_V_KEYFAIL, "temporary");
			else
				dkim_vmsg_key(vm, i, rec, reclen);
			dkim_vmsg_key_dnssec(vm, i, (enum dkim_dnssec)((flags >> 4) % 4));
		}
		chunk = 1 + (flags >> 6) * 97;
		for (pos = body; pos < msglen; pos += n) {
			n = msglen - pos < chunk ? msglen - pos : chunk;
			(void)dkim_vmsg_body(vm, msg + pos, n, NULL);
		}
		MUST(dkim_vmsg_finish(vm, NULL) == DKIM_OK);
		n = dkim_vmsg_nverify(vm);
		for (i = 0; i < n; i++)
			res[i] = *dkim_vmsg_result(vm, i);
		dbuf_init(&ar);
		MUST(authres_build(&ar, "mx.example.org", res, n, "\n\t") == 0);
		for (i = 0; i < ar.len; i++)
			MUST((unsigned char)ar.data[i] >= 0x20 || ar.data[i] == '\n' ||
			    ar.data[i] == '\t');
		dbuf_free(&ar);
	}
	dkim_vmsg_free(vm);
	return 0;
}
