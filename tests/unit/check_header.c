/*
 * check_header.c - header field splitting and the message walk: names,
 * values, folding, obsolete syntax, 8-bit values, and the size and count
 * bounds that keep a hostile message from costing unbounded memory; header
 * text made safe for a log line.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../../dkim/dbuf.h"
#include "../../dkim/header.h"
#include "testmain.h"

#define S(lit) lit, sizeof(lit) - 1

/* Split a field and assert its name and value. */
static void
split_ok(const char *raw, size_t len, const char *name, const char *value, size_t vlen)
{
	const char *v;
	size_t nlen, got;
	dkim_err err;

	err.msg[0] = '\0';
	ck_assert_msg(dkim_header_split(raw, len, &nlen, &v, &got, &err) == DKIM_OK,
	    "\"%.*s\" refused: %s", (int)len, raw, err.msg);
	ck_assert_msg(nlen == strlen(name) && memcmp(raw, name, nlen) == 0,
	    "name \"%.*s\", want \"%s\"", (int)nlen, raw, name);
	ck_assert_msg(got == vlen && memcmp(v, value, vlen) == 0,
	    "value \"%.*s\", want \"%.*s\"", (int)got, v, (int)vlen, value);
}

static int
split_rc(const char *raw, size_t len)
{
	const char *v;
	size_t nlen, vlen;
	dkim_err err;

	return dkim_header_split(raw, len, &nlen, &v, &vlen, &err);
}

START_TEST(split_fields)
{
	split_ok(S("Subject: hello\r\n"), "Subject", S(" hello"));
	split_ok(S("Subject: hello"), "Subject", S(" hello"));
	split_ok(S("Subject:hello"), "Subject", S("hello"));
	split_ok(S("Subject:"), "Subject", S(""));
	split_ok(S("Subject:\r\n"), "Subject", S(""));
	/* Folded lines keep their CRLF; only the final one goes. */
	split_ok(S("To: a@b,\r\n\tc@d\r\n"), "To", S(" a@b,\r\n\tc@d"));
	/* A colon in the value is just a byte of the value. */
	split_ok(S("X-Time: 12:30:00"), "X-Time", S(" 12:30:00"));
	/* Obsolete WSP before the colon is not part of the name. */
	split_ok(S("Subject \t: x"), "Subject", S(" x"));
	/* UTF-8 in a value passes unchanged (RFC 6532). */
	split_ok(S("Subject: caf\xc3\xa9 \xe2\x82\xac"), "Subject", S(" caf\xc3\xa9 \xe2\x82\xac"));
	/* Every printable but ':' may appear in a name. */
	split_ok(S("X-!#$%&'*+.^_`|~=?<>@[]{}\"(),;/\\9: v"),
	    "X-!#$%&'*+.^_`|~=?<>@[]{}\"(),;/\\9", S(" v"));
}
END_TEST

START_TEST(split_bad)
{
	ck_assert_int_eq(split_rc(S("no colon here")), DKIM_ERR_SYNTAX);
	ck_assert_int_eq(split_rc(S(": empty name")), DKIM_ERR_SYNTAX);
	ck_assert_int_eq(split_rc(S("  : blank name")), DKIM_ERR_SYNTAX);
	ck_assert_int_eq(split_rc(S("Sub ject: x")), DKIM_ERR_SYNTAX);
	ck_assert_int_eq(split_rc(S("Subj\xc3\xa9" "ct: x")), DKIM_ERR_SYNTAX);
	ck_assert_int_eq(split_rc(S("Sub\x01ject: x")), DKIM_ERR_SYNTAX);
	ck_assert_int_eq(split_rc(S(" Subject: x")), DKIM_ERR_SYNTAX);
	ck_assert_int_eq(split_rc(S("")), DKIM_ERR_SYNTAX);
}
END_TEST

/* A field of exactly DKIM_HEADER_FIELD_MAX bytes is taken; one more byte is refused. */
START_TEST(split_bound)
{
	size_t n = DKIM_HEADER_FIELD_MAX + 1;
	char *raw = malloc(n);
	dkim_err err;
	const char *v;
	size_t nlen, vlen;

	ck_assert_ptr_nonnull(raw);
	memset(raw, 'x', n);
	memcpy(raw, "X-Big: ", 7);
	ck_assert_int_eq(dkim_header_split(raw, n - 1, &nlen, &v, &vlen, &err), DKIM_OK);
	ck_assert_uint_eq(vlen, n - 1 - 6);
	ck_assert_int_eq(dkim_header_split(raw, n, &nlen, &v, &vlen, &err), DKIM_ERR_TOOBIG);
	ck_assert_int_eq(err.code, DKIM_ERR_TOOBIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "limit"));
	free(raw);
}
END_TEST

/* Values as milters pass them (folds as bare LF) stored as signed (CRLF). */
START_TEST(add_value)
{
	static const struct { const char *in, *out; } v[] = {
		{ " plain", " plain" }, { "", "" }, { "\n\tfirst", "\r\n\tfirst" },
		{ " a\n\tb\r\n\tc\n", " a\r\n\tb\r\n\tc\r\n" }, { "\r\n\r\n", "\r\n\r\n" },
		{ "x\n\n", "x\r\n\r\n" }, { "caf\xc3\xa9\n d", "caf\xc3\xa9\r\n d" },
	};
	dbuf b;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		dbuf_init(&b);
		dkim_header_add_value(&b, v[i].in, strlen(v[i].in));
		ck_assert(!dbuf_failed(&b));
		ck_assert_uint_eq(b.len, strlen(v[i].out));
		ck_assert_mem_eq(b.data ? b.data : "", v[i].out, b.len);
		dbuf_free(&b);
	}
}
END_TEST

/* What a message or the network sent, made safe for a log line or a terminal. */
START_TEST(escaped)
{
	static const char in[] = "ok \x1b[31m\\ caf\xc3\xa9\r\n\0end";
	static const char want[] = "ok \\x1b[31m\\x5c caf\\xc3\\xa9\\x0d\\x0a\\x00end";
	dbuf b;

	dbuf_init(&b);
	ck_assert_int_eq(dbuf_add_escaped(&b, in, sizeof(in) - 1), 0);
	ck_assert_str_eq(b.data, want);
	ck_assert_int_eq(dbuf_add_escaped(&b, "", 0), 0);
	ck_assert_uint_eq(b.len, sizeof(want) - 1);
	dbuf_free(&b);
}
END_TEST

START_TEST(names)
{
	ck_assert(dkim_header_name_ok(S("From")));
	ck_assert(dkim_header_name_ok(S("X-~!")));
	ck_assert(!dkim_header_name_ok(S("")));
	ck_assert(!dkim_header_name_ok(S("Fr om")));
	ck_assert(!dkim_header_name_ok(S("From:")));
	ck_assert(!dkim_header_name_ok(S("Fr\x7fm")));
	ck_assert(!dkim_header_name_ok(S("Fr\x80m")));
	ck_assert(!dkim_header_name_ok(S("From\t")));
	ck_assert(dkim_header_name_is(S("FROM"), "from"));
	ck_assert(dkim_header_name_is(S("from"), "From"));
	ck_assert(!dkim_header_name_is(S("From"), "from "));
	ck_assert(!dkim_header_name_is(S("Fro"), "from"));
	ck_assert(!dkim_header_name_is(S("From-X"), "from"));
	/* A counted name need not be NUL-terminated. */
	ck_assert(dkim_header_name_is("FromXXXX", 4, "from"));
}
END_TEST

/* Walk callback: record each field, separated by '|'. */
static int
collect(void *arg, const char *field, size_t len)
{
	dbuf *b = arg;

	if (b->len != 0)
		dbuf_addc(b, '|');
	dbuf_add(b, field, len);
	return 0;
}

/* Walk msg and assert the fields seen and the body offset. */
static void
walk_ok(const char *msg, size_t len, const char *fields, size_t body)
{
	size_t got = (size_t)-1;
	dkim_err err;
	dbuf b;

	dbuf_init(&b);
	err.msg[0] = '\0';
	ck_assert_msg(dkim_message_walk(msg, len, collect, &b, &got, &err) == DKIM_OK,
	    "walk failed: %s", err.msg);
	ck_assert_msg(strcmp(b.data, fields) == 0, "fields \"%s\", want \"%s\"", b.data, fields);
	ck_assert_uint_eq(got, body);
	dbuf_free(&b);
}

START_TEST(walk)
{
	static const char m1[] = "From: a@b\r\nTo: c@d,\r\n\te@f\r\nSubject: s\r\n\r\nbody\r\n";

	walk_ok(m1, sizeof(m1) - 1, "From: a@b|To: c@d,\r\n\te@f|Subject: s", sizeof(m1) - 1 - 6);
	/* No body: the empty line is the end. */
	walk_ok(S("From: a\r\n\r\n"), "From: a", 11);
	/* No empty line at all: the body is empty, at len. */
	walk_ok(S("From: a\r\nTo: b\r\n"), "From: a|To: b", 16);
	walk_ok(S("From: a"), "From: a", 7);
	/* A fold that is the last line of the message. */
	walk_ok(S("From: a\r\n b"), "From: a\r\n b", 11);
	/* No header fields at all. */
	walk_ok(S("\r\nbody"), "", 2);
	walk_ok(S(""), "", 0);
	/* Body starting with blank lines or WSP is body, not header. */
	walk_ok(S("A: 1\r\n\r\n\r\n b\r\n"), "A: 1", 8);
	/* Values with 8-bit bytes and a bare CR pass whole. */
	walk_ok(S("Subject: \xc3\xa9\rx\r\n\r\n"), "Subject: \xc3\xa9\rx", 17);
}
END_TEST

static int
stop_at_second(void *arg, const char *field, size_t len)
{
	int *n = arg;

	(void)field, (void)len;
	return ++*n == 2 ? 4242 : 0;
}

START_TEST(walk_errors)
{
	size_t body;
	dkim_err err;
	int n = 0;

	/* A continuation line with no field before it. */
	ck_assert_int_eq(dkim_message_walk(S(" x: y\r\n\r\n"), NULL, NULL, &body, &err),
	    DKIM_ERR_SYNTAX);
	ck_assert_int_eq(dkim_message_walk(S("\tx\r\nA: b\r\n\r\n"), NULL, NULL, &body, &err),
	    DKIM_ERR_SYNTAX);
	/* A callback's nonzero status ends the walk and is returned. */
	ck_assert_int_eq(dkim_message_walk(S("A: 1\r\nB: 2\r\nC: 3\r\n\r\n"), stop_at_second, &n,
	    &body, &err), 4242);
	ck_assert_int_eq(n, 2);
}
END_TEST

/* DKIM_HEADER_COUNT_MAX fields pass, one more is refused. */
START_TEST(walk_count_bound)
{
	size_t i, body;
	dkim_err err;
	dbuf b;

	dbuf_init(&b);
	for (i = 0; i < DKIM_HEADER_COUNT_MAX; i++)
		dbuf_adds(&b, "X: y\r\n");
	ck_assert_int_eq(dkim_message_walk(b.data, b.len, NULL, NULL, &body, &err), DKIM_OK);
	dbuf_adds(&b, "X: y\r\n\r\n");
	ck_assert_int_eq(dkim_message_walk(b.data, b.len, NULL, NULL, &body, &err),
	    DKIM_ERR_TOOBIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "header fields"));
	ck_assert(!dbuf_failed(&b));
	dbuf_free(&b);
}
END_TEST

/* A message whose X-Big field grows past DKIM_HEADER_FIELD_MAX by filler. */
static void
assert_walk_toobig(const char *start, const char *filler)
{
	size_t body;
	dkim_err err;
	dbuf b;

	dbuf_init(&b);
	dbuf_adds(&b, start);
	while (b.len < DKIM_HEADER_FIELD_MAX + 100)
		dbuf_adds(&b, filler);
	dbuf_adds(&b, "\r\n\r\nbody\r\n");
	ck_assert(!dbuf_failed(&b));
	ck_assert_int_eq(dkim_message_walk(b.data, b.len, NULL, NULL, &body, &err),
	    DKIM_ERR_TOOBIG);
	dbuf_free(&b);
}

/* One field folded past DKIM_HEADER_FIELD_MAX is refused by the walk itself. */
START_TEST(walk_field_bound_folded)
{
	assert_walk_toobig("From: a\r\nX-Big: start",
	    "\r\n 0123456789012345678901234567890123456789012345678901234567");
}
END_TEST

/* So is one unfolded line past DKIM_HEADER_FIELD_MAX. */
START_TEST(walk_field_bound_line)
{
	assert_walk_toobig("From: a\r\nX-Big: ",
	    "0123456789012345678901234567890123456789012345678901234567");
}
END_TEST

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("header");
	TCase *tc = tm_case(s, "split", 0);

	tm_add(tc, split_fields, split_bad, split_bound, names, add_value, escaped, NULL);
	tc = tm_case(s, "walk", 60);
	tm_add(tc, walk, walk_errors, walk_count_bound, walk_field_bound_folded,
	    walk_field_bound_line, NULL);
	return tm_run(s, CK_FORK_GETENV);
}
