/*
 * check_taglist.c - the tag=value list parser (RFC 6376 §3.2): folding
 * whitespace in every place the grammar allows it, and refusal of every
 * malformed list with a reason that names the problem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../../dkim/taglist.h"
#include "testmain.h"

#define S(lit) lit, sizeof(lit) - 1

/* Assert that tag name has exactly the value want. */
static void
assert_tag(const dkim_taglist *tl, const char *name, const char *want)
{
	const dkim_tag *t = dkim_taglist_get(tl, name);

	ck_assert_msg(t != NULL, "tag %s missing", name);
	ck_assert_msg(t->vlen == strlen(want) && memcmp(t->value, want, t->vlen) == 0,
	    "tag %s = \"%.*s\", want \"%s\"", name, (int)t->vlen, t->value, want);
}

/* Parse and expect success with n tags. */
static void
parse_ok(const char *s, size_t len, dkim_taglist *tl, size_t n)
{
	dkim_err err;

	err.msg[0] = '\0';
	ck_assert_msg(dkim_taglist_parse(s, len, tl, &err) == DKIM_OK,
	    "\"%.*s\" refused: %s", (int)len, s, err.msg);
	ck_assert_uint_eq(tl->n, n);
}

/* Parse and expect failure with code, the message containing word. */
static void
parse_bad(const char *s, size_t len, int code, const char *word)
{
	dkim_taglist tl;
	dkim_err err;
	int rc;

	err.msg[0] = '\0';
	rc = dkim_taglist_parse(s, len, &tl, &err);
	ck_assert_msg(rc == code, "\"%.*s\": status %d, want %d (%s)", (int)len, s, rc,
	    code, err.msg);
	ck_assert_int_eq(err.code, code);
	ck_assert_msg(strstr(err.msg, word) != NULL, "\"%.*s\": message \"%s\" lacks \"%s\"",
	    (int)len, s, err.msg, word);
}

START_TEST(plain)
{
	dkim_taglist tl;

	parse_ok(S("v=1; a=rsa-sha256; d=example.com; s=sel"), &tl, 4);
	assert_tag(&tl, "v", "1");
	assert_tag(&tl, "a", "rsa-sha256");
	assert_tag(&tl, "d", "example.com");
	assert_tag(&tl, "s", "sel");
	/* Order is kept. */
	ck_assert(tl.tags[0].name[0] == 'v' && tl.tags[3].name[0] == 's');
	/* Names are case-sensitive (§3.2). */
	ck_assert_ptr_null(dkim_taglist_get(&tl, "V"));
	ck_assert_ptr_null(dkim_taglist_get(&tl, "x"));
	ck_assert(dkim_tag_is(dkim_taglist_get(&tl, "a"), "rsa-sha256"));
	ck_assert(!dkim_tag_is(dkim_taglist_get(&tl, "a"), "rsa-sha2"));
	ck_assert(!dkim_tag_is(dkim_taglist_get(&tl, "a"), "rsa-sha2566"));
	ck_assert(!dkim_tag_is(NULL, "x"));
	/* '=' and ':' are ordinary value characters (base64 padding, h= lists). */
	parse_ok(S("b=abc+/==; h=from:to:subject; z=a|b"), &tl, 3);
	assert_tag(&tl, "b", "abc+/==");
	assert_tag(&tl, "h", "from:to:subject");
	/* Digits and '_' after the first letter. */
	parse_ok(S("a_1=x;Z9=y"), &tl, 2);
	assert_tag(&tl, "a_1", "x");
	assert_tag(&tl, "Z9", "y");
}
END_TEST

/* Folding whitespace before and after names, around '=', inside and after values. */
START_TEST(fws)
{
	dkim_taglist tl;

	parse_ok(S(" \tv \t= \t1 \t;\r\n\ta\r\n =\r\n\tb\r\n c \r\n ; d=e"), &tl, 3);
	assert_tag(&tl, "v", "1");
	assert_tag(&tl, "a", "b\r\n c");	/* inner FWS kept, outer removed */
	assert_tag(&tl, "d", "e");
	parse_ok(S("b=AAAA BBBB\r\n\tCCCC\r\n \t DD=="), &tl, 1);
	assert_tag(&tl, "b", "AAAA BBBB\r\n\tCCCC\r\n \t DD==");
	/* A CRLF not followed by WSP is not folding. */
	parse_bad(S("a=b\r\nc=d"), DKIM_ERR_SYNTAX, "a");
	parse_bad(S("a=b\r\n"), DKIM_ERR_SYNTAX, "a");
	/* A bare LF is not folding either. */
	parse_bad(S("a=b\n c"), DKIM_ERR_SYNTAX, "a");
}
END_TEST

/* A trailing ';' (and FWS after it) is allowed; empty values are allowed. */
START_TEST(trailing_and_empty)
{
	dkim_taglist tl;

	parse_ok(S("v=1;"), &tl, 1);
	parse_ok(S("v=1; \r\n\t"), &tl, 1);
	parse_ok(S("v=1 ;\t"), &tl, 1);
	parse_ok(S("p=; t=y"), &tl, 2);
	assert_tag(&tl, "p", "");
	assert_tag(&tl, "t", "y");
	parse_ok(S("p= \t;"), &tl, 1);
	assert_tag(&tl, "p", "");
	parse_ok(S("a=1; b="), &tl, 2);
	assert_tag(&tl, "b", "");
}
END_TEST

START_TEST(bad_lists)
{
	/* Duplicates, even with different values or whitespace. */
	parse_bad(S("a=1; a=2"), DKIM_ERR_SYNTAX, "duplicate");
	parse_bad(S("v=1; b=x; c=y; b=x"), DKIM_ERR_SYNTAX, "'b'");
	/* Missing '='. */
	parse_bad(S("v=1; a"), DKIM_ERR_SYNTAX, "'a'");
	parse_bad(S("v=1; abc def=1"), DKIM_ERR_SYNTAX, "'='");
	parse_bad(S("v"), DKIM_ERR_SYNTAX, "'='");
	/* Bad names: must start with a letter, then letters, digits, '_'. */
	parse_bad(S("1a=b"), DKIM_ERR_SYNTAX, "name");
	parse_bad(S("_a=b"), DKIM_ERR_SYNTAX, "name");
	parse_bad(S("=b"), DKIM_ERR_SYNTAX, "name");
	parse_bad(S("v=1; a-b=c"), DKIM_ERR_SYNTAX, "'='");
	parse_bad(S("v=1; \xc3\xa9=c"), DKIM_ERR_SYNTAX, "name");
	/* Empty tag-specs. */
	parse_bad(S("v=1;;a=2"), DKIM_ERR_SYNTAX, "empty");
	parse_bad(S(";"), DKIM_ERR_SYNTAX, "empty");
	parse_bad(S(" ; v=1"), DKIM_ERR_SYNTAX, "empty");
	parse_bad(S("v=1;;"), DKIM_ERR_SYNTAX, "empty");
	/* Values: only %x21-3A / %x3C-7E (no 8-bit, no controls). */
	parse_bad(S("n=caf\xc3\xa9"), DKIM_ERR_SYNTAX, "0xc3");
	parse_bad(S("n=a\x01" "b"), DKIM_ERR_SYNTAX, "0x01");
	parse_bad(S("n=a\x7f"), DKIM_ERR_SYNTAX, "0x7f");
	parse_bad(S("v=1; n=a\0b"), DKIM_ERR_SYNTAX, "'n'");
	parse_bad(S("n=a\rb"), DKIM_ERR_SYNTAX, "'n'");
}
END_TEST

/* DKIM_TAGS_MAX tags are accepted, one more is refused. */
START_TEST(too_many)
{
	char buf[4096], name[16];
	dkim_taglist tl;
	size_t len = 0;
	int i;

	for (i = 0; i < DKIM_TAGS_MAX; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s=%d;", name, i);
	}
	parse_ok(buf, len, &tl, DKIM_TAGS_MAX);
	assert_tag(&tl, "t63", "63");
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "u=1");
	parse_bad(buf, len, DKIM_ERR_TOOBIG, "tags");
}
END_TEST

/* Values point into the input; nothing is copied or terminated. */
START_TEST(points_into_input)
{
	static const char s[] = "k=rsa; p=MIIB";
	dkim_taglist tl;

	parse_ok(s, sizeof(s) - 1, &tl, 2);
	ck_assert_ptr_eq(dkim_taglist_get(&tl, "k")->value, s + 2);
	ck_assert_ptr_eq(dkim_taglist_get(&tl, "p")->value, s + 9);
	/* A length that cuts the input is respected. */
	parse_ok(s, 11, &tl, 2);
	assert_tag(&tl, "p", "MI");
}
END_TEST

/* An empty or whitespace-only list has no tags (key records may be "v=DKIM1" only). */
START_TEST(empty_list)
{
	dkim_taglist tl;

	parse_ok(S(""), &tl, 0);
	parse_ok(S(" \t"), &tl, 0);
	parse_ok(S("v=DKIM1"), &tl, 1);
	assert_tag(&tl, "v", "DKIM1");
}
END_TEST

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("taglist");
	TCase *tc = tm_case(s, "parse", 0);

	tm_add(tc, plain, fws, trailing_and_empty, bad_lists, too_many, points_into_input,
	    empty_list, NULL);
	return tm_run(s, CK_FORK_GETENV);
}
