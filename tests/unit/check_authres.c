/*
 * check_authres.c - the Authentication-Results module: the value we write
 * (results, comments, header.b prefixes unique among the message's
 * signatures, quoting), read back by Debian's python3-authres; and the
 * authserv-id reader that finds forged fields (comments, quoted strings,
 * folds, versions, junk); a verification never finished is no pass, in the
 * field nor in the action.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../../verify/authres.h"
#include "../../verify/verifier.h"
#include "testmain.h"

#define PY "/usr/bin/python3"

/* A result as the verifier would give it. */
static dkim_vresult
res(enum dkim_vstatus st, const char *d, const char *s, const char *b, int bits)
{
	dkim_vresult r;

	memset(&r, 0, sizeof(r));
	r.status = st;
	snprintf(r.reason, sizeof(r.reason), "%s", st == DKIM_V_PASS ? "pass" :
	    dkim_vstatus_name(st));
	snprintf(r.domain, sizeof(r.domain), "%s", d);
	snprintf(r.selector, sizeof(r.selector), "%s", s);
	snprintf(r.identity, sizeof(r.identity), "@%s", d);
	snprintf(r.algname, sizeof(r.algname), "rsa-sha256");
	snprintf(r.bprefix, sizeof(r.bprefix), "%s", b);
	r.bits = bits;
	return r;
}

/* Build a value with "\r\n\t" folds; caller frees. */
static char *
build(const char *id, const dkim_vresult *r, size_t n)
{
	dbuf b;
	char *s;

	dbuf_init(&b);
	ck_assert_int_eq(authres_build(&b, id, r, n, "\r\n\t"), 0);
	s = strdup(b.data);
	dbuf_free(&b);
	return s;
}

/* What python3-authres reads from value; caller frees. */
static char *
pyparse(const char *value)
{
	char path[] = "/tmp/check_authres.XXXXXX", cmd[512], *out;
	size_t n;
	FILE *fp;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, value, strlen(value)), (ssize_t)strlen(value));
	close(fd);
	snprintf(cmd, sizeof(cmd), PY " %s/authres-parse.py < %s 2>&1", TEST_SRC_DIR, path);
	fp = popen(cmd, "r");
	ck_assert_ptr_nonnull(fp);
	out = calloc(1, 65536);
	n = fread(out, 1, 65535, fp);
	out[n] = '\0';
	ck_assert_msg(pclose(fp) == 0, "python3-authres failed (apt-get install "
	    "python3-authres): %s\nvalue: %s", out, value);
	unlink(path);
	return out;
}

/* The example of the issue, and what an independent parser reads from it. */
START_TEST(build_pass)
{
	dkim_vresult r = res(DKIM_V_PASS, "example.com", "sel", "AbCdEfGhIjKl", 2048);
	char *v, *p;

	r.dnssec = DKIM_DNSSEC_SECURE;
	v = build("mx.example.org", &r, 1);
	ck_assert_str_eq(v, "mx.example.org;\r\n\tdkim=pass (2048-bit key; secure) "
	    "header.d=example.com header.i=@example.com header.s=sel header.a=rsa-sha256 "
	    "header.b=AbCdEfGh");
	p = pyparse(v);
	ck_assert_str_eq(p, "mx.example.org\ndkim=pass header.d=example.com "
	    "header.i=@example.com header.s=sel header.a=rsa-sha256 header.b=AbCdEfGh\n");
	free(v);
	free(p);
}
END_TEST

/* Unsigned mail: dkim=none. */
START_TEST(build_none)
{
	char *v = build("mx.example.org", NULL, 0), *p;

	ck_assert_str_eq(v, "mx.example.org;\r\n\tdkim=none");
	p = pyparse(v);
	ck_assert_str_eq(p, "mx.example.org\ndkim=none\n");
	free(v);
	free(p);
	/* With the queue id (AuthservIDWithJobID): bare, and read back whole. */
	v = build("mx.example.org/q1abc", NULL, 0);
	ck_assert_str_eq(v, "mx.example.org/q1abc;\r\n\tdkim=none");
	p = pyparse(v);
	ck_assert_str_eq(p, "mx.example.org/q1abc\ndkim=none\n");
	free(v);
	free(p);
}
END_TEST

/*
 * Several results: reasons in comments (escaped), header.b long enough to
 * tell signatures apart, '/' in b= quoted, every result word.
 */
START_TEST(build_many)
{
	dkim_vresult r[5];
	char *v, *p;

	r[0] = res(DKIM_V_PASS, "example.com", "a", "AAAAAAAAAAx1", 2048);
	r[1] = res(DKIM_V_BODYHASH, "example.com", "b", "AAAAAAAAAAx2", 1024);
	r[2] = res(DKIM_V_KEYFAIL, "example.net", "c", "Ab/+0123zz", 0);
	r[3] = res(DKIM_V_KEYSYNTAX, "example.org", "d", "Zz012345678", 0);
	snprintf(r[3].reason, sizeof(r[3].reason), "bad (p=) \\ \x01 tag");
	r[4] = res(DKIM_V_EXPIRED, "example.org", "e", "Yy012345678", 2048);
	r[4].testing = 1;
	v = build("mx.example.org", r, 5);
	ck_assert_ptr_nonnull(strstr(v, "dkim=pass (2048-bit key) header.d=example.com"));
	ck_assert_ptr_nonnull(strstr(v, "header.b=AAAAAAAAAAx1;"));
	ck_assert_ptr_nonnull(strstr(v, "dkim=fail (1024-bit key; body hash mismatch)"));
	ck_assert_ptr_nonnull(strstr(v, "header.b=AAAAAAAAAAx2;"));
	ck_assert_ptr_nonnull(strstr(v, "dkim=temperror (key lookup failed)"));
	ck_assert_ptr_nonnull(strstr(v, "header.b=\"Ab/+0123\";"));
	ck_assert_ptr_nonnull(strstr(v, "dkim=permerror (bad \\(p=\\) \\\\ ? tag)"));
	ck_assert_ptr_nonnull(strstr(v, "header.b=Zz012345;"));
	ck_assert_ptr_nonnull(strstr(v, "dkim=neutral (2048-bit key; test mode; "
	    "signature expired)"));
	p = pyparse(v);
	ck_assert_str_eq(p, "mx.example.org\n"
	    "dkim=pass header.d=example.com header.i=@example.com header.s=a "
	    "header.a=rsa-sha256 header.b=AAAAAAAAAAx1\n"
	    "dkim=fail header.d=example.com header.i=@example.com header.s=b "
	    "header.a=rsa-sha256 header.b=AAAAAAAAAAx2\n"
	    "dkim=temperror header.d=example.net header.i=@example.net header.s=c "
	    "header.a=rsa-sha256 header.b=Ab/+0123\n"
	    "dkim=permerror header.d=example.org header.i=@example.org header.s=d "
	    "header.a=rsa-sha256 header.b=Zz012345\n"
	    "dkim=neutral header.d=example.org header.i=@example.org header.s=e "
	    "header.a=rsa-sha256 header.b=Yy012345\n");
	free(v);
	free(p);
}
END_TEST

/* l= that leaves content unsigned: the comment says how much was signed. */
START_TEST(build_truncated)
{
	dkim_vresult r = res(DKIM_V_PASS, "example.com", "sel", "AbCdEfGhIjKl", 2048);
	char *v;

	r.signed_len = 120;
	r.body_len = 4096;
	v = build("mx", &r, 1);
	ck_assert_ptr_nonnull(strstr(v, "dkim=pass (2048-bit key; body truncated: l=120 of 4096) "
	    "header.d=example.com"));
	free(v);
	r.status = DKIM_V_PARTIAL;
	snprintf(r.reason, sizeof(r.reason), "verifies, but leaves more of the body unsigned "
	    "than Minimum 0+ allows");
	v = build("mx", &r, 1);
	ck_assert_ptr_nonnull(strstr(v, "dkim=policy (2048-bit key; body truncated: l=120 of "
	    "4096; verifies, but leaves more of the body unsigned than Minimum 0+ allows)"));
	free(v);
}
END_TEST

/* Values from the network that are not tokens are quoted, never raw. */
START_TEST(build_quoting)
{
	dkim_vresult r = res(DKIM_V_BADSIG, "exa\"mple.com", "s;el ect", "AbCdEfGhIj", 2048);
	char *v;

	snprintf(r.identity, sizeof(r.identity), "we ird@example.com");
	snprintf(r.algname, sizeof(r.algname), "rsa-sha256");
	v = build("mx/1", &r, 1);
	ck_assert_ptr_nonnull(strstr(v, "mx/1;"));	/* AuthservIDWithJobID, as OpenDKIM */
	ck_assert_ptr_null(strstr(v, "\"mx/1\""));
	free(v);
	v = build("mx 1", &r, 1);
	ck_assert_ptr_nonnull(strstr(v, "\"mx 1\";"));
	ck_assert_ptr_nonnull(strstr(v, "header.d=\"exa\\\"mple.com\""));
	ck_assert_ptr_nonnull(strstr(v, "header.i=\"we ird@example.com\""));
	ck_assert_ptr_nonnull(strstr(v, "header.s=\"s;el ect\""));
	ck_assert_ptr_null(strchr(v, '\x01'));
	free(v);
	/* A plain local part stays bare. */
	snprintf(r.identity, sizeof(r.identity), "alice.b+tag@mail.example.com");
	v = build("mx", &r, 1);
	ck_assert_ptr_nonnull(strstr(v, "header.i=alice.b+tag@mail.example.com "));
	free(v);
}
END_TEST

/* Reading the authserv-id of fields a message arrives with. */
START_TEST(parse_id)
{
	static const struct {
		const char *value, *id;		/* id NULL: no id, the field is left */
	} cases[] = {
		{ " mx.example.org; dkim=pass header.d=x", "mx.example.org" },
		{ "mx.example.org;dkim=none", "mx.example.org" },
		{ " (comment) MX.Example.ORG (more (nested)) 1 ; spf=pass", "MX.Example.ORG" },
		{ " \"mx.example.org\"; none", "mx.example.org" },
		{ " \"mx\\\".org\" ; none", "mx\".org" },
		{ "\r\n\tmx.example.org/12345\r\n\t; dkim=fail", "mx.example.org/12345" },
		{ " mx.example.org 1; none", "mx.example.org" },
		/* RFC 8601 sets no limit to the nesting of comments. */
		{ " ((((((((((deep)))))))))) mx; none", "mx" },
		{ " (a\\) (b) c) mx; none", "mx" },
		/* Malformed after the id: judged by the id it starts with. */
		{ " mx.example.org", "mx.example.org" },
		{ " mx.example.org dkim=pass", "mx.example.org" },
		{ " mx.example.org) ; none", "mx.example.org" },
		{ " mx.example.org, other; none", "mx.example.org" },
		{ " ) mx.example.org; none", "mx.example.org" },
		{ " \"mx.example.org", "mx.example.org" },
		{ " \"unterminated; none", "unterminated; none" },
		/* No id at all. */
		{ " (unterminated mx.example.org; none", NULL },
		{ " ((mx.example.org); none", NULL },
		{ "", NULL },
		{ " \r\n\t (only a comment) ", NULL },
		{ " ; dkim=pass", NULL },
		{ " @mx.example.org; dkim=pass", NULL },
	};
	dbuf id;
	size_t i;
	int rc;

	dbuf_init(&id);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dbuf_reset(&id);
		rc = authres_parse_id(cases[i].value, strlen(cases[i].value), &id);
		if (cases[i].id == NULL) {
			ck_assert_msg(rc == -1, "case %zu parsed as '%s'", i, id.data);
		} else {
			ck_assert_msg(rc == 0, "case %zu: no id", i);
			ck_assert_str_eq(id.data, cases[i].id);
		}
	}
	ck_assert(!dbuf_failed(&id));
	dbuf_free(&id);
}
END_TEST

/*
 * Forged fields the reader once gave up on (RFC 8601 allows them): comments
 * nested deeper than any fixed limit, and an authserv-id of any length
 * (ours/queue-id with a long job id). Read in one pass, without recursion.
 */
START_TEST(parse_id_unbounded)
{
	static const size_t depths[] = { 9, 100, 100000 };
	const char *ours = "mx.example.org";
	dbuf v, id;
	size_t i, k;

	dbuf_init(&v);
	dbuf_init(&id);
	for (i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		dbuf_reset(&v);
		dbuf_reset(&id);
		for (k = 0; k < depths[i]; k++)
			dbuf_adds(&v, "(\\(");
		for (k = 0; k < depths[i]; k++)
			dbuf_addc(&v, ')');
		dbuf_printf(&v, " %s; dkim=pass", ours);
		ck_assert(!dbuf_failed(&v));
		ck_assert_msg(authres_parse_id(v.data, v.len, &id) == 0, "depth %zu: no id",
		    depths[i]);
		ck_assert_str_eq(id.data, ours);
		/* One comment left open: all of it is a comment, no id. */
		dbuf_reset(&id);
		v.data[v.len - strlen(ours) - 13] = 'x';	/* the last ')' */
		ck_assert_int_eq(authres_parse_id(v.data, v.len, &id), -1);
	}
	/* ours/ + 300 bytes, bare and quoted; a 100,000-byte id that is not ours. */
	for (i = 0; i < 3; i++) {
		dbuf_reset(&v);
		dbuf_reset(&id);
		dbuf_adds(&v, i == 1 ? " \"" : " ");
		dbuf_adds(&v, i == 2 ? "x" : ours);
		dbuf_addc(&v, i == 2 ? 'x' : '/');
		for (k = 0; k < (i == 2 ? 100000u : 300u); k++)
			dbuf_addc(&v, 'a' + k % 26);
		dbuf_adds(&v, i == 1 ? "\"; dkim=pass" : "; dkim=pass");
		ck_assert(!dbuf_failed(&v));
		ck_assert_int_eq(authres_parse_id(v.data, v.len, &id), 0);
		ck_assert_uint_eq(id.len, i == 2 ? 100002u : strlen(ours) + 301);
		ck_assert_int_eq(authres_id_is(id.data, ours), i != 2);
		ck_assert_int_eq(authres_id_hash(id.data) == authres_id_hash(ours), i != 2);
	}
	dbuf_free(&v);
	dbuf_free(&id);
}
END_TEST

/* Is it ours, or listed in RemoveARFrom? */
START_TEST(id_match)
{
	const char *const list[] = { "relay.example.net", ".example.org" };

	ck_assert(authres_id_is("MX.example.com", "mx.example.com"));
	ck_assert(authres_id_is("mx.example.com/ABC123", "mx.example.com"));
	ck_assert(authres_id_is("mx.example.com", "mx.example.com/Q1"));
	ck_assert(!authres_id_is("mx.example.com.evil", "mx.example.com"));
	ck_assert(!authres_id_is("mx.example", "mx.example.com"));
	ck_assert(!authres_id_is("", ""));
	/* The hash compares as authres_id_is does. */
	ck_assert(authres_id_hash("MX.example.com/ABC") == authres_id_hash("mx.example.com"));
	ck_assert(authres_id_hash("mx.example.com.evil") != authres_id_hash("mx.example.com"));
	ck_assert(authres_id_hash("mx.example") != authres_id_hash("mx.example.com"));
	ck_assert(authres_id_listed("Relay.Example.Net", list, 2));
	ck_assert(authres_id_listed("a.b.example.org", list, 2));
	ck_assert(authres_id_listed("a.example.org/77", list, 2));
	ck_assert(!authres_id_listed("example.org", list, 2));
	ck_assert(!authres_id_listed("xexample.org", list, 2));
	ck_assert(!authres_id_listed("relay.example.net.x", list, 2));
	ck_assert(!authres_id_listed("relay.example.net", list, 0));
}
END_TEST

/*
 * A result never filled in (zeroed) and a message whose verification was
 * never finished (end of header only: its key neither fetched nor
 * checked, no body) read temperror and get On-InternalError, never pass.
 */
START_TEST(unfinished)
{
	static const char sig[] = " v=1; a=rsa-sha256; d=example.com; s=sel; h=from; "
	    "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA";
	struct verify_cfg vc;
	struct verifier *v;
	dkim_vresult r;
	const char *what;
	char *val;
	dkim_err err;
	dbuf b;

	memset(&r, 0, sizeof(r));
	val = build("mx.example.org", &r, 1);
	ck_assert_msg(strstr(val, "dkim=temperror") != NULL, "%s", val);
	free(val);
	memset(&vc, 0, sizeof(vc));
	vc.verify = 1;
	vc.max_sigs = 3;
	vc.min_key_bits = 1024;
	vc.on_badsig = vc.on_keynotfound = vc.on_nosig = vc.on_dnserr = ACTION_REJECT;
	ck_assert_int_eq(verifier_new(&vc, NULL, &v), 0);
	verifier_header(v, "DKIM-Signature", 14, sig, strlen(sig));
	verifier_header(v, "From", 4, " a@example.com", 14);
	/* The end of the header without its lookups (there is no resolver here). */
	ck_assert_int_eq(dkim_vmsg_eoh(v->vm, &err), DKIM_OK);
	ck_assert_uint_eq(dkim_vmsg_nverify(v->vm), 1);
	ck_assert_int_eq(verifier_action(v, ACTION_TEMPFAIL, &what), ACTION_TEMPFAIL);
	ck_assert_str_eq(what, "internal error");
	dbuf_init(&b);
	ck_assert_int_eq(verifier_authres(v, "mx.example.org", "\r\n\t", &b), 1);
	ck_assert_msg(strstr(b.data, "dkim=temperror") != NULL, "%s", b.data);
	dbuf_free(&b);
	verifier_free(v);
}
END_TEST

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("authres");
	TCase *tc = tm_case(s, "authres", 30);

	tm_add(tc, build_pass, build_none, build_many, build_truncated, build_quoting, parse_id,
	    parse_id_unbounded, id_match, unfinished, NULL);
	return tm_run(s, CK_FORK_GETENV);
}
