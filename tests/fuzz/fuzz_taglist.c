/*
 * fuzz_taglist.c - libFuzzer target: the tag=value list parser, the key
 * record parser (both algorithms and "take k="), and base64 decoding.
 * Parsed tags must lie inside the input, names must follow the grammar,
 * names must be unique, and values must not start or end with whitespace.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../dkim/base64.h"
#include "../../dkim/key.h"
#include "../../dkim/taglist.h"
#include "../../dkim/verify.h"

#define MUST(x) do { if (!(x)) abort(); } while (0)

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	static unsigned char out[65536];
	static dkim_taglist tl;
	char reason[256];
	dkim_key *k;
	size_t i, j, olen;
	int testing, a;
	dkim_err err;

	if (dkim_taglist_parse(s, size, &tl, &err) == DKIM_OK) {
		MUST(tl.n <= DKIM_TAGS_MAX);
		for (i = 0; i < tl.n; i++) {
			const dkim_tag *t = &tl.tags[i];

			MUST(t->name >= s && t->name + t->nlen <= s + size && t->nlen > 0);
			MUST(t->value >= s && t->value + t->vlen <= s + size);
			MUST((t->name[0] | 0x20) >= 'a' && (t->name[0] | 0x20) <= 'z');
			if (t->vlen > 0)
				MUST(!is_wsp(t->value[0]) && !is_wsp(t->value[t->vlen - 1]));
			for (j = 0; j < i; j++)
				MUST(!(tl.tags[j].nlen == t->nlen &&
				    memcmp(tl.tags[j].name, t->name, t->nlen) == 0));
			MUST(dkim_taglist_get(&tl, "") == NULL);
		}
	}
	for (a = -1; a <= 1; a++) {
		k = NULL;
		testing = -1;
		reason[0] = '\0';
		if (dkim_keyrecord_parse(s, size, (dkim_alg)a, &k, &testing, reason,
		    sizeof(reason)) == DKIM_V_PASS) {
			MUST(k != NULL && !dkim_key_is_private(k));
			MUST(a < 0 || dkim_key_alg(k) == (dkim_alg)a);
			dkim_key_free(k);
		} else
			MUST(reason[0] != '\0');
	}
	if (base64_decode(s, size, out, sizeof(out), &olen) == 0)
		MUST(olen <= sizeof(out) && olen <= size);
	return 0;
}
