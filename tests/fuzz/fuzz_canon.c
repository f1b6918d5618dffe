/*
 * fuzz_canon.c - libFuzzer target: body canonicalization in random
 * chunks. The first input byte picks the mode and a seed for the chunk
 * sizes; the rest is the body. The chunked result must equal the whole
 * body fed at once, and the output must have the shape RFC 6376 §3.4
 * gives it (ends in CRLF unless empty-relaxed, no trailing empty lines,
 * relaxed: no WSP before a CRLF, no WSP runs).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../dkim/canon.h"
#include "../../dkim/dbuf.h"

#define MUST(x) do { if (!(x)) abort(); } while (0)

static void
sink(void *arg, const void *data, size_t len)
{
	dbuf_add(arg, data, len);
}

/* Canonicalize body, cut where the generator says (step 0 = whole). */
static void
run(dkim_canon mode, const char *body, size_t len, unsigned seed, dbuf *out)
{
	static canon_body cb;	/* 8 KB; static keeps it off the stack */
	size_t at = 0, n;

	canon_body_init(&cb, mode, sink, out);
	while (at < len) {
		if (seed == 0) {
			n = len - at;
		} else {
			seed = seed * 1103515245u + 12345u;
			/* Mostly tiny chunks, sometimes big ones. */
			n = (seed >> 16) % ((seed & 0x100) ? 9000 : 4);
			if (n > len - at)
				n = len - at;
		}
		canon_body_update(&cb, body + at, n);
		at += n;
	}
	canon_body_final(&cb);
	MUST(!dbuf_failed(out));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dkim_canon mode;
	const char *body;
	size_t len, i;
	dbuf whole, chunked;
	const char *o;

	if (size < 1)
		return 0;
	mode = data[0] & 1 ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	body = (const char *)data + 1;
	len = size - 1;
	dbuf_init(&whole);
	dbuf_init(&chunked);
	run(mode, body, len, 0, &whole);
	run(mode, body, len, (unsigned)data[0] | 1u, &chunked);
	MUST(whole.len == chunked.len && memcmp(whole.data, chunked.data, whole.len) == 0);
	o = whole.data;
	if (mode == DKIM_CANON_SIMPLE)
		MUST(whole.len >= 2);
	if (whole.len > 0) {
		MUST(whole.len >= 2 && o[whole.len - 2] == '\r' && o[whole.len - 1] == '\n');
		/* No empty line at the end (simple's lone CRLF aside). */
		MUST(whole.len == 2 || whole.len < 4 ||
		    !(o[whole.len - 4] == '\r' && o[whole.len - 3] == '\n'));
		MUST(!(mode == DKIM_CANON_RELAXED && whole.len == 2));
	}
	if (mode == DKIM_CANON_RELAXED)
		for (i = 0; i + 1 < whole.len; i++) {
			MUST(o[i] != '\t');
			MUST(!(o[i] == ' ' && (o[i + 1] == ' ' ||
			    (o[i + 1] == '\r' && i + 2 < whole.len && o[i + 2] == '\n'))));
		}
	/* Never longer than the input plus a final CRLF (and a held bare CR). */
	MUST(whole.len <= len + 3);
	dbuf_free(&whole);
	dbuf_free(&chunked);
	return 0;
}
