/*
 * check_loadrec.c - the load record (config/loadrec.c): its path beside a
 * PidFile, a write read back field for field, an error message kept on one
 * line, replacement by rename (no temporary file left), mode 0644, and
 * files that are not records refused.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../../config/loadrec.h"
#include "testmain.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/loadrec.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* How many entries dir holds. */
static int entries(void)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

START_TEST(beside_pidfile)
{
	char out[64];

	ck_assert_int_eq(loadrec_path("/run/postdkim/postdkim.pid", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/run/postdkim/postdkim.loaded");
	ck_assert_int_eq(loadrec_path("/run/pd.state", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/run/pd.state.loaded");
	ck_assert_int_eq(loadrec_path("/a/.pid", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/a/.loaded");
	ck_assert_int_eq(loadrec_path("/run/a-very-long-name-that-does-not-fit.pid", out, 16), -1);
}
END_TEST

START_TEST(round_trip)
{
	struct loadrec w, r;
	char path[128], err[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/postdkim.loaded", dir);
	memset(&w, 0, sizeof(w));
	w.pid = 4242;
	w.generation = 7;
	w.loaded = 1796637125;
	w.attempts = 9;
	w.failed = 3;
	snprintf(w.error, sizeof(w.error), "/etc/postdkim.conf:3: KeyFile: gone\nsecond line");
	ck_assert_msg(loadrec_write(path, &w, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(entries(), 1);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	ck_assert_msg(loadrec_read(path, &r, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(r.pid, 4242);
	ck_assert_uint_eq(r.generation, 7);
	ck_assert_int_eq((long long)r.loaded, 1796637125LL);
	ck_assert_uint_eq(r.attempts, 9);
	ck_assert_uint_eq(r.failed, 3);
	/* The message stays on its line: a newline would start a field of its own. */
	ck_assert_str_eq(r.error, "/etc/postdkim.conf:3: KeyFile: gone?second line");

	/* A success: the error line goes; the file is replaced, nothing left beside it. */
	w.generation = 8;
	w.error[0] = '\0';
	ck_assert_msg(loadrec_write(path, &w, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(entries(), 1);
	ck_assert_msg(loadrec_read(path, &r, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(r.generation, 8);
	ck_assert_str_eq(r.error, "");
}
END_TEST

START_TEST(not_records)
{
	struct loadrec r;
	char path[128], err[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/missing.loaded", dir);
	ck_assert_int_eq(loadrec_read(path, &r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	snprintf(path, sizeof(path), "%s/bad.loaded", dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	/* Unknown keys are ignored; a record needs pid and generation. */
	fputs("pid 12\nfuture 1\ngeneration x\n", fp);
	fclose(fp);
	ck_assert_int_eq(loadrec_read(path, &r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a load record"));
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("future 1\npid 12\ngeneration 2\n", fp);
	fclose(fp);
	ck_assert_msg(loadrec_read(path, &r, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(r.generation, 2);
	/* A directory that cannot be written: an error naming the file. */
	snprintf(path, sizeof(path), "%s/no/such/dir.loaded", dir);
	ck_assert_int_eq(loadrec_write(path, &r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no/such/dir.loaded"));
}
END_TEST

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("loadrec");
	TCase *tc = tm_case(s, "loadrec", 0);

	tcase_add_checked_fixture(tc, setup, teardown);
	tm_add(tc, beside_pidfile, round_trip, not_records, NULL);
	return tm_run(s, CK_FORK_GETENV);
}
