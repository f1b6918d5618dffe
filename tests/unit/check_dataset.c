/*
 * check_dataset.c - data sets: file: maps and lists, inline lists, refile:
 * patterns in file order through their indexes (compared with a plain scan
 * of every pattern), repeated keys, case, and errors with file and line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../../tables/dataset.h"
#include "../../tables/glob.h"
#include "testkeys.h"
#include "testmain.h"

/* Write a file in the test directory; returns its path (static). */
static const char *
put(const char *name, const char *text)
{
	return tk_put(name, 0644, "%s", text);
}

/* Rows collected by a lookup, as "key=value@line" joined by '|'. */
struct got {
	char buf[4096];
	int stop_after;		/* 0: all */
	int seen;
};

/* Collect a row. */
static int
collect(void *arg, const struct dataset_row *r)
{
	struct got *g = arg;
	size_t l = strlen(g->buf);

	snprintf(g->buf + l, sizeof(g->buf) - l, "%s%s=%s@%u", l ? "|" : "", r->key,
	    r->nfields ? r->field[0] : "", r->line);
	return g->stop_after && ++g->seen >= g->stop_after;
}

/* Open spec as a data set; must succeed. */
static struct dataset *
open_ok(const char *spec, enum dataset_kind kind, unsigned flags)
{
	struct dataset *ds;
	char err[512];

	ck_assert_msg(dataset_open(&ds, spec, kind, flags, "/etc/postdkim.conf", 7, err,
	    sizeof(err)) == 0, "%s: %s", spec, err);
	return ds;
}

/* The rows of key as a string. */
static const char *
look(struct dataset *ds, const char *key, int stop_after)
{
	static struct got g;
	char err[256];

	memset(&g, 0, sizeof(g));
	g.stop_after = stop_after;
	ck_assert_int_ge(dataset_lookup(ds, key, collect, &g, err, sizeof(err)), 0);
	return g.buf;
}

START_TEST(file_map)
{
	char spec[600];
	struct dataset *ds;
	char err[64];

	snprintf(spec, sizeof(spec), "file:%s", put("kt", "# comment\n"
	    "k1 example.com:sel:/keys/a  # trailing comment\n"
	    "\n"
	    "  k2\texample.org:s2:/keys/b\n"
	    "k1 example.net:sel:/keys/c\n"
	    "lonely\n"));
	ds = open_ok(spec, DATASET_MAP, 0);
	ck_assert(dataset_is_file(ds));
	ck_assert(!dataset_is_patterns(ds));
	ck_assert_str_eq(look(ds, "k2", 0), "k2=example.org:s2:/keys/b@4");
	/* Repeated keys come back in file order; the callback can stop early. */
	ck_assert_str_eq(look(ds, "k1", 0), "k1=example.com:sel:/keys/a@2|k1=example.net:sel:/keys/c@5");
	ck_assert_str_eq(look(ds, "k1", 1), "k1=example.com:sel:/keys/a@2");
	ck_assert_str_eq(look(ds, "lonely", 0), "lonely=@6");
	/* Without DATASET_ICASE keys keep their case. */
	ck_assert_str_eq(look(ds, "K1", 0), "");
	ck_assert_str_eq(look(ds, "k", 0), "");
	ck_assert_int_eq(dataset_has(ds, "k2", err, sizeof(err)), 1);
	ck_assert_int_eq(dataset_has(ds, "k3", err, sizeof(err)), 0);
	dataset_close(ds);
}
END_TEST

START_TEST(lists_and_case)
{
	char spec[600];
	struct dataset *ds;

	ds = open_ok("csl:a.example, B.example  c.example", DATASET_LIST, DATASET_ICASE);
	ck_assert_str_eq(look(ds, "b.EXAMPLE", 0), "B.example=@7");
	ck_assert_str_eq(look(ds, "d.example", 0), "");
	ck_assert_str_eq(dataset_name(ds), "/etc/postdkim.conf");
	dataset_close(ds);
	ds = open_ok("x.example,y.example", DATASET_LIST, DATASET_ICASE);
	ck_assert_str_eq(look(ds, "y.example", 0), "y.example=@7");
	dataset_close(ds);
	/* A list file: several words a line, commas or spaces. */
	snprintf(spec, sizeof(spec), "%s", put("hosts", "10.0.0.0/8, 127.0.0.1\n::1 # v6\n"));
	ds = open_ok(spec, DATASET_LIST, 0);
	ck_assert_str_eq(look(ds, "::1", 0), "::1=@2");
	ck_assert_str_eq(look(ds, "127.0.0.1", 0), "127.0.0.1=@1");
	dataset_close(ds);
}
END_TEST

/* DATASET_IDNA: keys with UTF-8 labels are found by their A-labels (RFC 8616). */
START_TEST(idna_keys)
{
	char spec[600], err[512];
	struct dataset *ds;

	snprintf(spec, sizeof(spec), "file:%s", put("st", "B\xc3\xbc" "cher.example k1\n"
	    "j\xc3\xb6rg@m\xc3\xbc" "nchen.example k2\n"
	    ".m\xc3\xbc" "nchen.example k3\n"
	    "xn--strae-oqa.example k4\n"));
	ds = open_ok(spec, DATASET_MAP, DATASET_ICASE | DATASET_IDNA);
	ck_assert_str_eq(look(ds, "xn--bcher-kva.example", 0), "xn--bcher-kva.example=k1@1");
	/* The local part stays UTF-8: only the domain part is converted. */
	ck_assert_str_eq(look(ds, "j\xc3\xb6rg@xn--mnchen-3ya.example", 0),
	    "j\xc3\xb6rg@xn--mnchen-3ya.example=k2@2");
	ck_assert_str_eq(look(ds, ".xn--mnchen-3ya.example", 0), ".xn--mnchen-3ya.example=k3@3");
	ck_assert_str_eq(look(ds, "xn--strae-oqa.example", 0), "xn--strae-oqa.example=k4@4");
	dataset_close(ds);
	/* Without the flag keys stay as written. */
	ds = open_ok(spec, DATASET_MAP, DATASET_ICASE);
	ck_assert_str_eq(look(ds, "xn--bcher-kva.example", 0), "");
	dataset_close(ds);
	/* refile: the literal labels of a pattern. */
	snprintf(spec, sizeof(spec), "refile:%s", put("re", "*@stra\xc3\x9f" "e.example s\n"
	    "*@*.b\xc3\xbc" "cher.example b\n"));
	ds = open_ok(spec, DATASET_MAP, DATASET_ICASE | DATASET_IDNA);
	ck_assert_str_eq(look(ds, "a@xn--strae-oqa.example", 0), "*@xn--strae-oqa.example=s@1");
	ck_assert_str_eq(look(ds, "a@strasse.example", 0), "");
	ck_assert_str_eq(look(ds, "a@x.xn--bcher-kva.example", 0), "*@*.xn--bcher-kva.example=b@2");
	dataset_close(ds);
	/* Inline lists. */
	ds = open_ok("csl:b\xc3\xbc" "cher.example, a.example", DATASET_LIST,
	    DATASET_ICASE | DATASET_IDNA);
	ck_assert_str_eq(look(ds, "xn--bcher-kva.example", 0), "xn--bcher-kva.example=@7");
	dataset_close(ds);
	/* A name IDNA2008 refuses (a joiner) is an error naming the line. */
	snprintf(spec, sizeof(spec), "file:%s", put("bad", "ok.example k\na\xe2\x80\x8d" "b.example k\n"));
	ck_assert_int_eq(dataset_open(&ds, spec, DATASET_MAP, DATASET_IDNA, "/etc/p.conf", 3, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "line 2:") && strstr(err, "not a valid internationalized name"),
	    "%s", err);
	ck_assert_int_eq(dataset_open(&ds, "csl:a\xe2\x80\x8d" "b.example", DATASET_LIST,
	    DATASET_IDNA, "/etc/p.conf", 3, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not a valid internationalized name"), "%s", err);
}
END_TEST

START_TEST(errors)
{
	struct dataset *ds;
	char err[512], spec[600], big[6000];

	ck_assert_int_eq(dataset_open(&ds, "file:/nonexistent/x", DATASET_MAP, 0, "/etc/p.conf",
	    3, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "/nonexistent/x: No such file") != NULL, "%s", err);
	ck_assert_int_eq(dataset_open(&ds, "memcache://x", DATASET_MAP, 0, "/etc/p.conf", 3, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "'memcache:' is not supported") != NULL, "%s", err);
#ifdef HAVE_LDAP
	/* LDAP URLs: no password in them (LDAPBindPassword), nor in the message. */
	ck_assert_int_eq(dataset_open(&ds, "ldap://u:s3cr3t@h/dc=x?a", DATASET_MAP, 0,
	    "/etc/p.conf", 3, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "LDAPBindPassword") != NULL && strstr(err, "s3cr3t") == NULL,
	    "%s", err);
	ck_assert_int_eq(dataset_open(&ds, "ldap://h/dc=x?a?nosuchscope", DATASET_MAP, 0,
	    "/etc/p.conf", 3, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is not an LDAP URL") != NULL, "%s", err);
	ck_assert_int_eq(dataset_open(&ds, "ldap://h/dc=x?a,b,c,d,e,f,g,h,i", DATASET_MAP, 0,
	    "/etc/p.conf", 3, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "more than 8 attributes") != NULL, "%s", err);
	ck_assert_int_eq(dataset_open(&ds, "ldap://h/dc=x?a ldapi:///dc=y", DATASET_MAP, 0,
	    "/etc/p.conf", 3, err, sizeof(err)), 0);
	ck_assert_str_eq(dataset_name(ds), "ldap://h/dc=x?a ldapi:///dc=y");
	dataset_close(ds);
#endif
	ck_assert_int_eq(dataset_open(&ds, "a,b", DATASET_MAP, 0, "/etc/p.conf", 3, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "must be a file") != NULL, "%s", err);
	ck_assert_int_eq(dataset_open(&ds, "file:", DATASET_MAP, 0, "/etc/p.conf", 3, err,
	    sizeof(err)), -1);
	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	snprintf(spec, sizeof(spec), "file:%s", put("long", "a b\nc d\n"));
	ds = open_ok(spec, DATASET_MAP, 0);
	dataset_close(ds);
	put("long", "a b\n");
	{
		FILE *fp = fopen(spec + 5, "a");

		fputs(big, fp);
		fclose(fp);
	}
	ck_assert_int_eq(dataset_open(&ds, spec, DATASET_MAP, 0, "/etc/p.conf", 3, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "long:2: line longer than") != NULL, "%s", err);
}
END_TEST

/* Relative file names are taken from the configuration's directory. */
START_TEST(relative)
{
	char cfg[600], err[256];
	struct dataset *ds;

	put("rel", "k v\n");
	snprintf(cfg, sizeof(cfg), "%s/postdkim.conf", tk_dir);
	ck_assert_int_eq(dataset_open(&ds, "file:rel", DATASET_MAP, 0, cfg, 1, err, sizeof(err)), 0);
	ck_assert_str_eq(look(ds, "k", 0), "k=v@1");
	dataset_close(ds);
}
END_TEST

/* refile: first match in file order, whatever index found it. */
START_TEST(refile_order)
{
	char spec[600];
	struct dataset *ds;

	snprintf(spec, sizeof(spec), "refile:%s", put("st",
	    "*@sub.example.com   k-general-before\n"	/* literal "*@domain" */
	    "alice@example.com   k-exact\n"
	    "*@example.com       k-domain\n"
	    "*example.com        k-general\n"
	    "*                   k-all\n"
	    "ALICE@EXAMPLE.COM   k-exact-upper\n"));
	ds = open_ok(spec, DATASET_MAP, DATASET_ICASE);
	ck_assert(dataset_is_patterns(ds));
	ck_assert_str_eq(look(ds, "alice@example.com", 0),
	    "alice@example.com=k-exact@2|*@example.com=k-domain@3|*example.com=k-general@4|"
	    "*=k-all@5|ALICE@EXAMPLE.COM=k-exact-upper@6");
	ck_assert_str_eq(look(ds, "bob@Example.Com", 1), "*@example.com=k-domain@3");
	ck_assert_str_eq(look(ds, "bob@sub.example.com", 0),
	    "*@sub.example.com=k-general-before@1|*example.com=k-general@4|*=k-all@5");
	ck_assert_str_eq(look(ds, "bob@other.org", 0), "*=k-all@5");
	/* A key that is literally a pattern is found once. */
	ck_assert_str_eq(look(ds, "*@example.com", 0),
	    "*@example.com=k-domain@3|*example.com=k-general@4|*=k-all@5");
	dataset_close(ds);
}
END_TEST

/* Many patterns: the indexed answer equals a scan with the matcher. */
START_TEST(refile_vs_scan)
{
	char path[600], spec[700], line[128], key[128], want[4096];
	char (*pat)[64];
	struct dataset *ds;
	unsigned i, j, n = 3000;
	FILE *fp;

	pat = calloc(n, sizeof(*pat));
	snprintf(path, sizeof(path), "%s/big", tk_dir);
	fp = fopen(path, "w");
	srand(7);
	for (i = 0; i < n; i++) {
		unsigned a = (unsigned)rand() % 50;

		switch (i % 5) {
		case 0: snprintf(pat[i], sizeof(pat[i]), "*@d%u.example", a); break;
		case 1: snprintf(pat[i], sizeof(pat[i]), "u%u@d%u.example", a, a); break;
		case 2: snprintf(pat[i], sizeof(pat[i]), "*%u.example", a); break;
		case 3: snprintf(pat[i], sizeof(pat[i]), "u%u@*", a); break;
		default: snprintf(pat[i], sizeof(pat[i]), "*@*.d%u.example", a); break;
		}
		snprintf(line, sizeof(line), "%s k%u\n", pat[i], i);
		fputs(line, fp);
	}
	fclose(fp);
	snprintf(spec, sizeof(spec), "refile:%s", path);
	ds = open_ok(spec, DATASET_MAP, DATASET_ICASE);
	for (j = 0; j < 400; j++) {
		unsigned a = (unsigned)rand() % 60, b = (unsigned)rand() % 60;

		if (j % 3)
			snprintf(key, sizeof(key), "u%u@d%u.example", a, b);
		else
			snprintf(key, sizeof(key), "u%u@x.d%u.example", a, b);
		want[0] = '\0';
		for (i = 0; i < n; i++)
			if (glob_match(pat[i], key)) {
				size_t l = strlen(want);

				snprintf(want + l, sizeof(want) - l, "%s%s=k%u@%u", l ? "|" : "", pat[i],
				    i, i + 1);
				if (strlen(want) > 3000)
					break;
			}
		if (strlen(want) <= 3000)
			ck_assert_str_eq(look(ds, key, 0), want);
	}
	dataset_close(ds);
	free(pat);
}
END_TEST

/* A 100,000-line table: every key found, each in its row. */
START_TEST(big_table)
{
	char path[600], spec[700], key[64], want[128];
	struct dataset *ds;
	unsigned i, n = 100000;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/huge", tk_dir);
	fp = fopen(path, "w");
	for (i = 0; i < n; i++)
		fprintf(fp, "d%u.example k%u\n", i, i);
	fclose(fp);
	snprintf(spec, sizeof(spec), "file:%s", path);
	ds = open_ok(spec, DATASET_MAP, DATASET_ICASE);
	for (i = 0; i < n; i += 7) {
		snprintf(key, sizeof(key), "D%u.EXAMPLE", i);
		snprintf(want, sizeof(want), "d%u.example=k%u@%u", i, i, i + 1);
		ck_assert_str_eq(look(ds, key, 0), want);
	}
	ck_assert_str_eq(look(ds, "d100000.example", 0), "");
	dataset_close(ds);
}
END_TEST

/* The tests, in one case run in this process around the test directory. */
int
main(void)
{
	Suite *s = suite_create("dataset");
	TCase *tc = tm_case(s, "dataset", 60);

	tk_dir_fixture(tc, "check_dataset", 0);
	tm_add(tc, file_map, lists_and_case, idna_keys, errors, relative, refile_order,
	    refile_vs_scan, big_table, NULL);
	return tm_run(s, CK_NOFORK);
}
