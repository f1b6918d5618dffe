/*
 * check_canon.c - canonicalization (RFC 6376 §3.4): the §3.4.6 example byte
 * for byte, the empty-body and odd-line-ending rules, and streaming: every
 * way of cutting a body into chunks must give the same canonical bytes as
 * feeding it whole and as a plain line-by-line reference written here.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../../dkim/canon.h"
#include "../../dkim/dbuf.h"
#include "../../dkim/header.h"
#include "testkeys.h"
#include "testmain.h"

#define S(lit) lit, sizeof(lit) - 1

/* Canonicalize a body given as chunks cut at the offsets in cuts (ascending). */
static void
canon_chunks(dkim_canon mode, const char *body, size_t len, const size_t *cuts,
    size_t ncuts, dbuf *out)
{
	canon_body *cb = malloc(sizeof(*cb));
	size_t i, from = 0;

	ck_assert_ptr_nonnull(cb);
	dbuf_reset(out);
	canon_body_init(cb, mode, tk_sink, out);
	for (i = 0; i < ncuts; i++) {
		canon_body_update(cb, body + from, cuts[i] - from);
		from = cuts[i];
	}
	canon_body_update(cb, body + from, len - from);
	canon_body_final(cb);
	ck_assert(!dbuf_failed(out));
	free(cb);
}

/* The body in one piece. */
static void
canon_whole(dkim_canon mode, const char *body, size_t len, dbuf *out)
{
	canon_chunks(mode, body, len, NULL, 0, out);
}

/*
 * Reference canonicalizer, written straight from the RFC text and sharing
 * nothing with the streaming one: split into CRLF lines, rewrite each,
 * drop trailing empty lines, then apply the empty-body rule.
 */
static void
ref_canon_body(dkim_canon mode, const char *body, size_t len, dbuf *out)
{
	dbuf line;
	size_t pos = 0, end, keep = 0, i;

	dbuf_reset(out);
	dbuf_init(&line);
	while (pos < len) {
		end = pos;
		while (end < len && !(body[end] == '\r' && end + 1 < len && body[end + 1] == '\n'))
			end++;
		dbuf_reset(&line);
		if (mode == DKIM_CANON_SIMPLE) {
			dbuf_add(&line, body + pos, end - pos);
		} else {
			/* WSP runs become one SP; WSP at the end of the line goes. */
			for (i = pos; i < end; i++) {
				if (body[i] == ' ' || body[i] == '\t') {
					if (line.len == 0 || line.data[line.len - 1] != ' ')
						dbuf_addc(&line, ' ');
				} else
					dbuf_addc(&line, body[i]);
			}
			while (line.len > 0 && line.data[line.len - 1] == ' ')
				line.len--;
		}
		/* Every line ends in CRLF (one is added to a last line without). */
		dbuf_add(out, line.data, line.len);
		dbuf_add(out, "\r\n", 2);
		if (line.len > 0)
			keep = out->len;	/* everything after this is empty lines */
		pos = end < len ? end + 2 : len;
	}
	out->len = keep;
	if (mode == DKIM_CANON_SIMPLE && out->len == 0)
		dbuf_add(out, "\r\n", 2);
	dbuf_free(&line);
	ck_assert(!dbuf_failed(out));
}

/* Assert that a dbuf holds exactly the expected bytes. */
static void
assert_bytes(const dbuf *got, const char *want, size_t wlen, const char *what)
{
	char wshow[1024];

	strncpy(wshow, tk_show(want, wlen), sizeof(wshow) - 1);
	wshow[sizeof(wshow) - 1] = '\0';
	ck_assert_msg(got->len == wlen && memcmp(got->data, want, wlen) == 0,
	    "%s: got \"%s\", want \"%s\"", what, tk_show(got->data, got->len), wshow);
}

/*
 * RFC 6376 §3.4.6: the example's header fields, both header
 * canonicalizations. The fields are split as the verifier does: the value
 * from dkim_header_split, the name as received up to the colon (WSP
 * before the colon included, which simple must keep and relaxed drop).
 */
START_TEST(rfc_example_headers)
{
	static const char *fields[] = { "A: X\r\n", "B : Y\t\r\n\tZ  \r\n" };
	dbuf simple, relaxed;
	const char *value;
	size_t i, nlen, vlen, rawn;
	dkim_err err;

	dbuf_init(&simple);
	dbuf_init(&relaxed);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(dkim_header_split(fields[i], strlen(fields[i]), &nlen,
		    &value, &vlen, &err), DKIM_OK);
		ck_assert_uint_eq(nlen, 1);
		rawn = (size_t)(value - 1 - fields[i]);
		canon_header(DKIM_CANON_SIMPLE, &simple, fields[i], rawn, value, vlen, 1);
		canon_header(DKIM_CANON_RELAXED, &relaxed, fields[i], rawn, value, vlen, 1);
	}
	assert_bytes(&relaxed, S("a:X\r\nb:Y Z\r\n"), "relaxed headers");
	/* Simple changes nothing, not even the space before B's colon. */
	assert_bytes(&simple, S("A: X\r\nB : Y\t\r\n\tZ  \r\n"), "simple headers");
	dbuf_free(&simple);
	dbuf_free(&relaxed);
}
END_TEST

/* RFC 6376 §3.4.6: the example's body, both body canonicalizations. */
START_TEST(rfc_example_body)
{
	static const char body[] = " C \r\nD \t E\r\n\r\n\r\n";
	dbuf out;

	dbuf_init(&out);
	canon_whole(DKIM_CANON_RELAXED, body, sizeof(body) - 1, &out);
	assert_bytes(&out, S(" C\r\nD E\r\n"), "relaxed body");
	canon_whole(DKIM_CANON_SIMPLE, body, sizeof(body) - 1, &out);
	assert_bytes(&out, S(" C \r\nD \t E\r\n"), "simple body");
	dbuf_free(&out);
}
END_TEST

/* Header canonicalization details beyond the example. */
START_TEST(header_forms)
{
	static const struct {
		const char *name, *value;
		const char *relaxed;
	} t[] = {
		{ "SUBJECT", " \t hello \t world \t ", "subject:hello world\r\n" },
		{ "X-Empty", "", "x-empty:\r\n" },
		{ "X-Blank", "   \t", "x-blank:\r\n" },
		{ "To", " a@b,\r\n\t c@d\r\n ", "to:a@b, c@d\r\n" },
		{ "To", "\r\n a@b", "to:a@b\r\n" },
		{ "X-8bit", " caf\xc3\xa9  \xe2\x82\xac", "x-8bit:caf\xc3\xa9 \xe2\x82\xac\r\n" },
		/* A bare CR or LF inside a value is not folding and stays. */
		{ "X-Odd", " a\rb", "x-odd:a\rb\r\n" },
	};
	dbuf out;
	size_t i;

	dbuf_init(&out);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		dbuf_reset(&out);
		canon_header(DKIM_CANON_RELAXED, &out, t[i].name, strlen(t[i].name),
		    t[i].value, strlen(t[i].value), 1);
		assert_bytes(&out, t[i].relaxed, strlen(t[i].relaxed), t[i].name);
		dbuf_reset(&out);
		canon_header(DKIM_CANON_SIMPLE, &out, t[i].name, strlen(t[i].name),
		    t[i].value, strlen(t[i].value), 1);
		ck_assert_uint_eq(out.len, strlen(t[i].name) + 1 + strlen(t[i].value) + 2);
		ck_assert(memcmp(out.data, t[i].name, strlen(t[i].name)) == 0);
		ck_assert_int_eq(out.data[strlen(t[i].name)], ':');
		ck_assert(memcmp(out.data + strlen(t[i].name) + 1, t[i].value,
		    strlen(t[i].value)) == 0);
	}
	/* crlf == 0 leaves the final CRLF off (the DKIM-Signature itself). */
	dbuf_reset(&out);
	canon_header(DKIM_CANON_RELAXED, &out, S("DKIM-Signature"), S(" v=1;\r\n\tb="), 0);
	assert_bytes(&out, S("dkim-signature:v=1; b="), "relaxed, no CRLF");
	dbuf_reset(&out);
	canon_header(DKIM_CANON_SIMPLE, &out, S("DKIM-Signature"), S(" v=1;\r\n\tb="), 0);
	assert_bytes(&out, S("DKIM-Signature: v=1;\r\n\tb="), "simple, no CRLF");
	dbuf_free(&out);
}
END_TEST

START_TEST(canon_names)
{
	dkim_canon c;

	ck_assert_int_eq(dkim_canon_parse(S("simple"), &c), 0);
	ck_assert_int_eq(c, DKIM_CANON_SIMPLE);
	ck_assert_int_eq(dkim_canon_parse(S("relaxed"), &c), 0);
	ck_assert_int_eq(c, DKIM_CANON_RELAXED);
	ck_assert_int_eq(dkim_canon_parse(S("Relaxed"), &c), -1);
	ck_assert_int_eq(dkim_canon_parse(S("relax"), &c), -1);
	ck_assert_int_eq(dkim_canon_parse(S("simplex"), &c), -1);
	ck_assert_int_eq(dkim_canon_parse(S(""), &c), -1);
	ck_assert_str_eq(dkim_canon_name(DKIM_CANON_SIMPLE), "simple");
	ck_assert_str_eq(dkim_canon_name(DKIM_CANON_RELAXED), "relaxed");
}
END_TEST

/* Bodies whose canonical forms the RFC fixes, with the expected bytes. */
static const struct body_case {
	const char *in;
	size_t len;
	const char *simple, *relaxed;
} body_cases[] = {
#define B(in, s, r) { in, sizeof(in) - 1, s, r }
	B("", "\r\n", ""),				/* §3.4.3 / §3.4.4 empty body */
	B("\r\n", "\r\n", ""),
	B("\r\n\r\n\r\n\r\n", "\r\n", ""),		/* blank lines only */
	B("abc", "abc\r\n", "abc\r\n"),		/* no final CRLF */
	B("abc\r\n\r\n\r\n", "abc\r\n", "abc\r\n"),
	B(" \r\n\t\r\n", " \r\n\t\r\n", ""),	/* whitespace-only lines */
	B(" ", " \r\n", ""),
	B("a \r\n \t \r\n\r\n", "a \r\n \t \r\n", "a\r\n"),
	B("  a  \t b \t\r\n", "  a  \t b \t\r\n", " a b\r\n"),
	B("x\r\n\r\n \r\ny", "x\r\n\r\n \r\ny\r\n", "x\r\n\r\n\r\ny\r\n"),
	B("\r\n\r\nx", "\r\n\r\nx\r\n", "\r\n\r\nx\r\n"),
	B("a\rb\r\n", "a\rb\r\n", "a\rb\r\n"),		/* bare CR is content */
	B("a\nb\r\n", "a\nb\r\n", "a\nb\r\n"),		/* bare LF is content */
	B("a\r", "a\r\r\n", "a\r\r\n"),
	B("\n", "\n\r\n", "\n\r\n"),
	B("\r", "\r\r\n", "\r\r\n"),
	B("a\r\n\r", "a\r\n\r\r\n", "a\r\n\r\r\n"),
	B("a\r\r\n", "a\r\r\n", "a\r\r\n"),
	B("a \r", "a \r\r\n", "a \r\r\n"),		/* WSP before a bare CR is inside the line */
	B("a\n\r\n\r\n", "a\n\r\n", "a\n\r\n"),
	B("\t\r\n\r\nb \r\n", "\t\r\n\r\nb \r\n", "\r\n\r\nb\r\n"),
	B("\xc3\xa9t\xc3\xa9 \r\n\r\n", "\xc3\xa9t\xc3\xa9 \r\n", "\xc3\xa9t\xc3\xa9\r\n"),
#undef B
};

/* Empty, blank-only, unterminated, whitespace-only and bare CR/LF bodies. */
START_TEST(body_rules)
{
	const struct body_case *c = &body_cases[_i];
	dbuf out, ref;

	dbuf_init(&out);
	dbuf_init(&ref);
	canon_whole(DKIM_CANON_SIMPLE, c->in, c->len, &out);
	assert_bytes(&out, c->simple, strlen(c->simple), tk_show(c->in, c->len));
	ref_canon_body(DKIM_CANON_SIMPLE, c->in, c->len, &ref);
	assert_bytes(&ref, c->simple, strlen(c->simple), "reference, simple");
	canon_whole(DKIM_CANON_RELAXED, c->in, c->len, &out);
	assert_bytes(&out, c->relaxed, strlen(c->relaxed), tk_show(c->in, c->len));
	ref_canon_body(DKIM_CANON_RELAXED, c->in, c->len, &ref);
	assert_bytes(&ref, c->relaxed, strlen(c->relaxed), "reference, relaxed");
	dbuf_free(&out);
	dbuf_free(&ref);
}
END_TEST

/* Awkward bodies for the streaming tests (built once in main). */
static struct {
	char *data;
	size_t len;
} awkward[32];
static size_t nawkward;

static void
add_awkward(const char *data, size_t len)
{
	/* Runs before the tests start, so no ck_assert here. */
	if (nawkward == sizeof(awkward) / sizeof(awkward[0]) ||
	    (awkward[nawkward].data = malloc(len + 1)) == NULL)
		abort();
	memcpy(awkward[nawkward].data, data, len);
	awkward[nawkward].len = len;
	nawkward++;
}

/* Fill the awkward set: the fixed cases plus long and generated ones. */
static void
build_awkward(void)
{
	static const char alphabet[] = "ab \t\r\n\r\n\r\n";
	unsigned long long seed = 0x5eed0f00dULL;
	size_t i, j, n;
	dbuf b;

	for (i = 0; i < sizeof(body_cases) / sizeof(body_cases[0]); i++)
		add_awkward(body_cases[i].in, body_cases[i].len);
	add_awkward(S("Hello \t world  \r\n\r\n  \r\n\t\r\nend\r\n\r\n \r\n\r\n\r\n"));
	add_awkward(S("\r\r\n\n\r\r\r\n \r \n\t\r\n\r\n\r\n\r\n"));
	dbuf_init(&b);
	/* Lines longer than the canonicalizer's internal batch buffer. */
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 9000 + i * 3000; j++)
			dbuf_addc(&b, j % 97 == 0 ? ' ' : j % 89 == 0 ? '\t' : 'a' + (int)(j % 26));
		dbuf_adds(&b, "  \t\r\n");
	}
	dbuf_adds(&b, "\r\n\r\n\r\n");
	add_awkward(b.data, b.len);
	/* A long run of trailing blank lines. */
	dbuf_reset(&b);
	dbuf_adds(&b, "last line \r\n");
	for (i = 0; i < 5000; i++)
		dbuf_adds(&b, i % 7 == 3 ? " \r\n" : "\r\n");
	add_awkward(b.data, b.len);
	/* Random mixes of letters, WSP, CR and LF (fixed seed). */
	for (i = 0; i < 6; i++) {
		dbuf_reset(&b);
		n = 20 + tk_rand(&seed) % 300;
		for (j = 0; j < n; j++)
			dbuf_addc(&b, alphabet[tk_rand(&seed) % (sizeof(alphabet) - 1)]);
		add_awkward(b.data, b.len);
	}
	if (dbuf_failed(&b))
		abort();
	dbuf_free(&b);
}

/* Whole-body canonicalization agrees with the reference on every awkward body. */
START_TEST(stream_reference)
{
	dbuf out, ref;
	int mode;

	dbuf_init(&out);
	dbuf_init(&ref);
	for (mode = 0; mode < 2; mode++) {
		canon_whole((dkim_canon)mode, awkward[_i].data, awkward[_i].len, &out);
		ref_canon_body((dkim_canon)mode, awkward[_i].data, awkward[_i].len, &ref);
		ck_assert_msg(out.len == ref.len && memcmp(out.data, ref.data, out.len) == 0,
		    "%s: body %d (%s) differs from the reference",
		    dkim_canon_name((dkim_canon)mode), _i,
		    tk_show(awkward[_i].data, awkward[_i].len));
	}
	dbuf_free(&out);
	dbuf_free(&ref);
}
END_TEST

/* Compare a chunked result with the whole one. */
static void
assert_same(const dbuf *whole, const dbuf *got, int body, int mode, const char *how,
    size_t at)
{
	ck_assert_msg(whole->len == got->len && memcmp(whole->data, got->data, got->len) == 0,
	    "body %d, %s: %s (at %zu) changes the canonical form", body,
	    dkim_canon_name((dkim_canon)mode), how, at);
}

/*
 * Every 2-way split, every 3-way split of short bodies, all 1-byte chunks,
 * and random splits (fixed seed) give the bytes of the whole body.
 */
START_TEST(stream_splits)
{
	const char *data = awkward[_i].data;
	size_t len = awkward[_i].len, i, j, k, n, *cuts;
	unsigned long long seed = 0x1234567ULL + (unsigned long long)_i;
	dbuf whole, got;
	int mode;

	cuts = malloc((len + 2) * sizeof(*cuts));
	ck_assert_ptr_nonnull(cuts);
	dbuf_init(&whole);
	dbuf_init(&got);
	for (mode = 0; mode < 2; mode++) {
		canon_whole((dkim_canon)mode, data, len, &whole);
		/* 2-way splits: all of them for short bodies, every 7th byte otherwise. */
		for (i = 0; i <= len; i += len < 2000 ? 1 : 7) {
			cuts[0] = i;
			canon_chunks((dkim_canon)mode, data, len, cuts, 1, &got);
			assert_same(&whole, &got, _i, mode, "2-way split", i);
		}
		/* Every split between a CR and its LF, explicitly. */
		for (i = 1; i < len; i++) {
			if (data[i - 1] != '\r' || data[i] != '\n')
				continue;
			cuts[0] = i;
			canon_chunks((dkim_canon)mode, data, len, cuts, 1, &got);
			assert_same(&whole, &got, _i, mode, "split between CR and LF", i);
		}
		if (len <= 64) {
			for (i = 0; i <= len; i++)
				for (j = i; j <= len; j++) {
					cuts[0] = i;
					cuts[1] = j;
					canon_chunks((dkim_canon)mode, data, len, cuts, 2, &got);
					assert_same(&whole, &got, _i, mode, "3-way split", i * 1000 + j);
				}
		}
		/* All 1-byte chunks (the empty chunk at the end is fed too). */
		for (i = 0; i < len; i++)
			cuts[i] = i + 1;
		canon_chunks((dkim_canon)mode, data, len, cuts, len, &got);
		assert_same(&whole, &got, _i, mode, "1-byte chunks", 0);
		/* Random chunkings, including empty chunks. */
		for (k = 0; k < 50; k++) {
			size_t at = 0;

			n = 0;
			while (at < len && n < len) {
				at += tk_rand(&seed) % (k % 2 ? 5 : 300);
				if (at > len)
					at = len;
				cuts[n++] = at;
			}
			canon_chunks((dkim_canon)mode, data, len, cuts, n, &got);
			assert_same(&whole, &got, _i, mode, "random split", k);
		}
	}
	dbuf_free(&whole);
	dbuf_free(&got);
	free(cuts);
}
END_TEST

/* A run of trailing blank lines cut anywhere still vanishes. */
START_TEST(stream_trailing_blank_run)
{
	static const char body[] = "text\r\n\r\n\r\n\r\n\r\n";
	size_t cut[2];
	dbuf got;
	int mode;

	dbuf_init(&got);
	for (mode = 0; mode < 2; mode++)
		for (cut[0] = 6; cut[0] < sizeof(body) - 1; cut[0]++)
			for (cut[1] = cut[0]; cut[1] < sizeof(body) - 1; cut[1]++) {
				canon_chunks((dkim_canon)mode, body, sizeof(body) - 1, cut, 2, &got);
				assert_bytes(&got, S("text\r\n"), "trailing blank run");
			}
	dbuf_free(&got);
}
END_TEST

/* Memory does not grow with the body: the context is fixed-size and 10 MB of blank lines pass. */
START_TEST(stream_blank_megabytes)
{
	char *chunk = malloc(65536);
	canon_body *cb = malloc(sizeof(*cb));
	dbuf got;
	size_t i;
	int mode;

	ck_assert_ptr_nonnull(chunk);
	ck_assert_ptr_nonnull(cb);
	for (i = 0; i < 65536; i += 2)
		memcpy(chunk + i, "\r\n", 2);
	dbuf_init(&got);
	for (mode = 0; mode < 2; mode++) {
		dbuf_reset(&got);
		canon_body_init(cb, (dkim_canon)mode, tk_sink, &got);
		canon_body_update(cb, "x", 1);
		/* Odd-sized chunks: every other boundary falls between CR and LF. */
		for (i = 0; i < 160; i++)
			canon_body_update(cb, chunk + i % 2, 65535);
		/* Blank lines are counted, not emitted: at most the "x" left so far. */
		ck_assert_uint_le(got.len, 1);
		canon_body_final(cb);
		assert_bytes(&got, S("x\r\n"), "megabytes of blank lines");
	}
	dbuf_free(&got);
	free(cb);
	free(chunk);
}
END_TEST

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("canon");
	TCase *tc = tm_case(s, "rfc", 0);

	build_awkward();
	tm_add(tc, rfc_example_headers, rfc_example_body, header_forms, canon_names, NULL);
	tcase_add_loop_test(tc, body_rules, 0, (int)(sizeof(body_cases) / sizeof(body_cases[0])));
	tc = tm_case(s, "stream", 120);
	tcase_add_loop_test(tc, stream_reference, 0, (int)nawkward);
	tcase_add_loop_test(tc, stream_splits, 0, (int)nawkward);
	tm_add(tc, stream_trailing_blank_run, stream_blank_megabytes, NULL);
	return tm_run(s, CK_FORK_GETENV);
}
