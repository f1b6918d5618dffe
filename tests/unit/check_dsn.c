/*
 * check_dsn.c - dsn: data sets without a server: the DSN parser (OpenDKIM's
 * forms, and what is refused without showing the password), unknown or
 * missing back ends, the escaping of server text, passwords redacted from
 * messages, and the lookup cache.
 * check_dsn_db.c tests the back ends against real servers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <check.h>

#include "../../tables/dataset.h"
#include "../../tables/dscache.h"
#include "../../tables/dsn.h"
#include "../../tables/redact.h"
#include "testmain.h"

/* Sleep ms milliseconds. */
static void
nap(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* OpenDKIM's DSN forms, and what is refused. */
START_TEST(parse)
{
	struct dsn d;
	char err[512];

	ck_assert_int_eq(dsn_parse(&d, "pgsql://modo:s3cr:t@x@5433+db.example/modoboa/"
	    "table=dkim?keycol=id?datacol=domain_name,selector,private_key_path", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(d.backend, "pgsql");
	ck_assert_str_eq(d.user, "modo");
	ck_assert_str_eq(d.password, "s3cr:t@x");
	ck_assert_uint_eq(d.port, 5433);
	ck_assert_str_eq(d.host, "db.example");
	ck_assert_str_eq(d.dbase, "modoboa");
	ck_assert_str_eq(d.table, "dkim");
	ck_assert_str_eq(d.keycol, "id");
	ck_assert_uint_eq(d.ndatacol, 3);
	ck_assert_str_eq(d.datacol[2], "private_key_path");
	ck_assert_ptr_null(d.filter);
	ck_assert_ptr_null(strstr(d.name, "s3cr"));
	ck_assert_str_eq(d.name, "dsn:pgsql://modo@5433+db.example/modoboa/table=dkim?keycol=id"
	    "?datacol=domain_name,selector,private_key_path");
	dsn_free(&d);

	/* No credentials, no port, keys in any case, a schema, a filter with =XX. */
	ck_assert_int_eq(dsn_parse(&d, "mysql://localhost/db/TABLE=mail.dkim?KeyCol=k"
	    "?datacol=v?filter=active=3D1", err, sizeof(err)), 0);
	ck_assert_ptr_null(d.user);
	ck_assert_ptr_null(d.password);
	ck_assert_uint_eq(d.port, 0);
	ck_assert_str_eq(d.table, "mail.dkim");
	ck_assert_str_eq(d.filter, "active=1");
	dsn_free(&d);

	/* A user without password. */
	ck_assert_int_eq(dsn_parse(&d, "pgsql://u@h/db/table=t?keycol=k?datacol=v", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(d.user, "u");
	ck_assert_ptr_null(d.password);
	dsn_free(&d);
}
END_TEST

/* Broken DSNs: each refused with a message, never showing the password. */
START_TEST(parse_errors)
{
	static const char *const bad[][2] = {
		{ "pgsql:/h/db/table=t?keycol=k?datacol=v", "BACKEND://" },
		{ "pgsql://u:pw@h/table=t?keycol=k?datacol=v", "no table parameters" },
		{ "pgsql://u:pw@/db/table=t?keycol=k?datacol=v", "no host" },
		{ "pgsql://u:pw@99999+h/db/table=t?keycol=k?datacol=v", "bad port" },
		{ "pgsql://u:pw@h/db/table=t?keycol=k", "datacol" },
		{ "pgsql://u:pw@h/db/keycol=k?datacol=v", "table" },
		{ "pgsql://u:pw@h/db/table=t;drop?keycol=k?datacol=v", "not a table name" },
		{ "pgsql://u:pw@h/db/table=t?keycol=k)?datacol=v", "not a column name" },
		{ "pgsql://u:pw@h/db/table=t?keycol=k?datacol=v,w x", "not a column name" },
		{ "pgsql://u:pw@h/db/table=t?keycol=k?datacol=a,b,c,d,e,f,g,h,i", "more than" },
		{ "pgsql://u:pw@h/db/table=t?keycol=k?datacol=v?lookup=x", "unknown" },
		{ "pgsql://u:pw@h/db/table=t?keycol=k?datacol=v?table=u", "repeated" },
		/* A '/' in the password would make a host or database of its parts. */
		{ "pgsql://u:pw/x@h/table=t?keycol=k?datacol=v", "':' without '@HOST'" },
		{ "pgsql://u:pw@x/y@h/table=t?keycol=k?datacol=v", "'@' after the host" },
	};
	struct dsn d;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(dsn_parse(&d, bad[i][0], err, sizeof(err)) < 0, "%s", bad[i][0]);
		ck_assert_msg(strstr(err, bad[i][1]) != NULL, "%s: %s", bad[i][0], err);
		ck_assert_ptr_null(strstr(err, "pw"));
		dsn_free(&d);
	}
}
END_TEST

/* Back ends: unknown; server text escaped for a log line. */
START_TEST(open_errors)
{
	struct dataset *ds;
	char err[512], esc[64];

	ck_assert_int_lt(dataset_open(&ds, "dsn:oracle://u:pw@h/db/table=t?keycol=k?datacol=v",
	    DATASET_MAP, 0, "/etc/postdkim.conf", 3, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "unknown back end 'oracle'"));
	ck_assert_ptr_null(strstr(err, "pw"));
	dsn_escape(esc, sizeof(esc), "FATAL:\tbad \"x\"\x1b[31m\n");
	ck_assert_str_eq(esc, "FATAL:\\x09bad \\x22x\\x22\\x1b[31m");
}
END_TEST

/* Open spec with the modules of dir; the error, or "" when it opened. */
static const char *
open_in(const char *dir, const char *spec, char *err, size_t errsize)
{
	struct dataset *ds;

	setenv("POSTDKIM_MODULE_DIR", dir, 1);
	err[0] = '\0';
	if (dataset_open(&ds, spec, DATASET_MAP, 0, "/etc/postdkim.conf", 3, err, errsize) == 0)
		dataset_close(ds);
	return err;
}

/*
 * Modules: one not installed names its package; an unsafe, foreign or
 * broken one is not loaded; the build's own loads.
 */
START_TEST(modules)
{
	static const char *const spec[][2] = {
		{ "dsn:pgsql://u:pw@h/db/table=t?keycol=k?datacol=v", "package postdkim-pgsql" },
		{ "dsn:mysql://u:pw@h/db/table=t?keycol=k?datacol=v", "package postdkim-mysql" },
		{ "ldap://h/dc=x?a", "package postdkim-ldap" },
	};
	const char *built = getenv("POSTDKIM_MODULE_DIR");
	char dir[] = "/tmp/check_dsn.XXXXXX", path[512], cmd[1200], err[512];
	size_t i;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (i = 0; i < 3; i++) {
		open_in(dir, spec[i][0], err, sizeof(err));
		ck_assert_msg(strstr(err, spec[i][1]) != NULL && strstr(err, "pw") == NULL,
		    "%s: %s", spec[i][0], err);
	}
	/* Not a shared object. */
	snprintf(path, sizeof(path), "%s/pgsql.so", dir);
	FILE *fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("not a module\n", fp);
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(open_in(dir, spec[0][0], err, sizeof(err)),
	    "cannot be loaded"));
	/* Writable by others, or a link: refused before loading. */
	chmod(path, 0666);
	ck_assert_ptr_nonnull(strstr(open_in(dir, spec[0][0], err, sizeof(err)),
	    "writable by nobody else"));
	unlink(path);
	ck_assert_int_eq(symlink("/bin/true", path), 0);
	ck_assert_ptr_nonnull(strstr(open_in(dir, spec[0][0], err, sizeof(err)),
	    "must be a regular file"));
	unlink(path);
	/* The build's modules load (the data set then fails only to connect, later). */
	if (built != NULL) {
		snprintf(path, sizeof(path), "%s/ldap.so", built);
		if (access(path, F_OK) == 0)
			ck_assert_str_eq(open_in(built, spec[2][0], err, sizeof(err)), "");
		else
			printf("check_dsn: ldap.so not built: loading a real module not checked\n");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Passwords out of messages: those of URLs by their syntax, and a known one. */
START_TEST(redaction)
{
	static const char *const c[][2] = {
		{ "dsn:pgsql://u:pw@h/db/table=t", "dsn:pgsql://u:***@h/db/table=t" },
		{ "'dns:mysql://u:p:w@x@3306+h/db' bad", "'dns:mysql://u:***@3306+h/db' bad" },
		{ "x dsn:pgsql://u:p/w@h/db y", "x dsn:pgsql://u:***@h/db y" },
		{ "pgsql:/u:p w@h/db", "pgsql:/u:***@h/db" },
		{ "'dns:pgsql://u:pw' is not a domain", "'dns:pgsql://u:***' is not a domain" },
		{ "a://u:1@h, b://v:2@k/", "a://u:***@h, b://v:***@k/" },
		{ "pgsql://u:@h/db", "pgsql://u:***@h/db" },
		{ "dsn:pgsql://u:***@h/db", "dsn:pgsql://u:***@h/db" },
		/* An LDAP URL's port is not a password; its user's password is. */
		{ "ldap://u:pw@h/dc=x", "ldap://u:***@h/dc=x" },
		{ "LDAPS://u:123@h/", "LDAPS://u:***@h/" },
		{ "ldap://127.0.0.1:389/o=x?a?sub?(m=a@b)", "ldap://127.0.0.1:389/o=x?a?sub?(m=a@b)" },
		{ "ldapi://h:636, base", "ldapi://h:636, base" },
		{ "pgsql://u:389/db", "pgsql://u:***/db" },
		/* A message's own ": " after a URL with no password in it. */
		{ "LDAP at ldapi://%2Frun%2Fs%2Fldapi: Size limit exceeded (4)",
		    "LDAP at ldapi://%2Frun%2Fs%2Fldapi: Size limit exceeded (4)" },
		/* Nothing that looks like a password. */
		{ "dsn:pgsql://h/db/table=t?filter=a:b@c", "dsn:pgsql://h/db/table=t?filter=a:b@c" },
		{ "/etc/kt:3: KeyTable entry 'k': u@x:y", "/etc/kt:3: KeyTable entry 'k': u@x:y" },
		{ "file:/etc/st:2: 'a@b'", "file:/etc/st:2: 'a@b'" },
	};
	char buf[128], small[16];
	size_t i, off, len;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", c[i][0]);
		redact(buf, sizeof(buf), NULL);
		ck_assert_str_eq(buf, c[i][1]);
	}
	ck_assert_int_eq(redact_find("x pgsql://u:s3@h/", &off, &len), 1);
	ck_assert_uint_eq(off, 12);
	ck_assert_uint_eq(len, 2);
	ck_assert_int_eq(redact_find("pgsql://h/db", &off, &len), 0);
	/* A password a client library quoted, wherever it is. */
	snprintf(buf, sizeof(buf), "FATAL: no \"s3cr3t\" here: s3cr3t");
	redact(buf, sizeof(buf), "s3cr3t");
	ck_assert_str_eq(buf, "FATAL: no \"***\" here: ***");
	/* Longer with the marks: cut at the buffer, never past it. */
	snprintf(small, sizeof(small), "a://u:p@h/db/x");
	redact(small, sizeof(small), NULL);
	ck_assert_str_eq(small, "a://u:***@h/db/");
}
END_TEST

/* The cache: fresh, stale, negative, bounded, least recently used first. */
START_TEST(cache)
{
	struct dscache *c = dscache_new(100, 3);
	char *buf;
	size_t len;

	ck_assert_int_eq(dscache_get(c, "a", 1, &buf, &len), DSCACHE_MISS);
	ck_assert_int_eq(dscache_put(c, "a", "x\0", 2), 0);
	ck_assert_int_eq(dscache_put(c, "b", NULL, 0), 0);
	ck_assert_int_eq(dscache_get(c, "a", 0, &buf, &len), DSCACHE_FRESH);
	ck_assert_uint_eq(len, 2);
	free(buf);
	ck_assert_int_eq(dscache_get(c, "b", 0, &buf, &len), DSCACHE_FRESH);
	ck_assert_ptr_null(buf);
	ck_assert_int_eq(dscache_put(c, "c", NULL, 0), 0);
	ck_assert_int_eq(dscache_get(c, "a", 0, &buf, &len), DSCACHE_FRESH);
	free(buf);
	/* b is now the least recently used: it goes. */
	ck_assert_int_eq(dscache_put(c, "d", NULL, 0), 0);
	ck_assert_uint_eq(dscache_count(c), 3);
	ck_assert_int_eq(dscache_get(c, "b", 1, &buf, &len), DSCACHE_MISS);
	nap(150);
	ck_assert_int_eq(dscache_get(c, "a", 0, &buf, &len), DSCACHE_MISS);
	ck_assert_int_eq(dscache_get(c, "a", 1, &buf, &len), DSCACHE_STALE);
	free(buf);
	dscache_free(c);
}
END_TEST

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("dsn");
	TCase *tc = tm_case(s, "parse", 0);

	tm_add(tc, parse, parse_errors, open_errors, modules, redaction, cache, NULL);
	return tm_run(s, CK_FORK_GETENV);
}
