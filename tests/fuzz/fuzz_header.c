/*
 * fuzz_header.c - libFuzzer target: the message walk, field splitting and
 * both header canonicalizations over arbitrary bytes. Besides memory
 * errors it checks what must always hold: every field lies inside the
 * input, the body offset is within it, a split name is well formed and
 * relaxed output never holds a CR, LF or doubled space in a value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../dkim/canon.h"
#include "../../dkim/dbuf.h"
#include "../../dkim/header.h"

struct walk {
	const char *start, *end;
	dbuf out;
};

/* Stop with a crash libFuzzer reports when an invariant breaks. */
#define MUST(x) do { if (!(x)) abort(); } while (0)

static int
field(void *arg, const char *f, size_t len)
{
	struct walk *w = arg;
	const char *value;
	size_t nlen, vlen, i, mark;
	dkim_err err;

	MUST(f >= w->start && f + len <= w->end);
	if (dkim_header_split(f, len, &nlen, &value, &vlen, &err) != DKIM_OK)
		return 0;	/* a refused field is a verdict, not a failure */
	MUST(dkim_header_name_ok(f, nlen));
	MUST(value > f && value + vlen <= f + len);
	canon_header(DKIM_CANON_SIMPLE, &w->out, f, nlen, value, vlen, 1);
	mark = w->out.len;
	canon_header(DKIM_CANON_RELAXED, &w->out, f, (size_t)(value - 1 - f), value, vlen, 0);
	for (i = mark; i + 1 < w->out.len; i++) {
		MUST(!(w->out.data[i] == ' ' && w->out.data[i + 1] == ' '));
		MUST(!(w->out.data[i] == '\r' && w->out.data[i + 1] == '\n'));
	}
	MUST(w->out.len > mark && w->out.data[w->out.len - 1] != ' ');
	dbuf_reset(&w->out);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct walk w;
	size_t body = 0;
	dkim_err err;

	w.start = (const char *)data;
	w.end = w.start + size;
	dbuf_init(&w.out);
	if (dkim_message_walk(w.start, size, field, &w, &body, &err) == DKIM_OK)
		MUST(body <= size);
	dbuf_free(&w.out);
	return 0;
}
