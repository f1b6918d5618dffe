/*
 * check_rotate.c - the parts of dkimrotate that need no DNS: the state
 * store (round trip, strict reading, atomic replacement even when the
 * writer is killed at any moment), the KeyTable rewrite (every other line,
 * comment, space and the file mode kept), selector names, TSIG key files
 * (and that no error shows the secret), durations.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "../../config/config.h"
#include "../../keygen/keyprobe.h"
#include "../../keygen/rotexec.h"
#include "../../keygen/rotmatch.h"
#include "../../keygen/rotnames.h"
#include "../../keygen/rotqueue.h"
#include "../../keygen/rotsel.h"
#include "../../keygen/rotstate.h"
#include "../../keygen/rottable.h"
#include "../../keygen/tsigkey.h"
#include "testkeys.h"
#include "testmain.h"

static char dir[256];
static char err[1024];

static void
mkdir_fixture(void)
{
	snprintf(dir, sizeof(dir), "%s/rotate-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") :
	    "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
rmdir_fixture(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Write text to dir/name with mode; the path in a static buffer. */
static const char *
put(const char *name, mode_t mode, const char *text)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
	return path;
}

/* The content of dir/name. */
static char *
slurp(const char *name)
{
	static char buf[65536];
	char path[512];
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* How many entries dir holds (temporary files left behind show up here). */
static int
entries(void)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
	closedir(d);
	return n;
}

/* A state with every field set. */
static void
sample(struct rotstate *st, long long gen)
{
	memset(st, 0, sizeof(*st));
	strcpy(st->domain, "example.com");
	strcpy(st->entry, "k1");
	st->state = RS_ACTIVE;
	st->emergency = 1;
	st->since = 1796000000 + gen;
	strcpy(st->old.sel, "old");
	strcpy(st->old.path, "/etc/keys/old.private");
	strcpy(st->old.alg, "rsa");
	st->old.bits = 1024;
	st->old.created = 1700000000;
	strcpy(st->new.sel, "20261130");
	strcpy(st->new.path, "/etc/keys/example.com.20261130.private");
	strcpy(st->new.alg, "rsa");
	st->new.bits = 2048;
	st->new.created = 1796000000;
	st->checks = 2;
	st->published = 1796000001;
	snprintf(st->loaded_before, sizeof(st->loaded_before), "%lld 1796000002", gen);
	st->reload_sent = 1796000003;
	st->switched = 0;
	st->revoke_seen = 0;
	strcpy(st->wait, "postdkim to confirm it loaded the new tables");
}

START_TEST(state_round_trip)
{
	struct rotstate a, b;

	ck_assert_int_eq(rotstate_load(dir, "example.com", &b, err, sizeof(err)), 0);
	ck_assert_int_eq(b.state, RS_IDLE);
	ck_assert_str_eq(b.domain, "example.com");
	sample(&a, 7);
	ck_assert_int_eq(rotstate_save(dir, &a, err, sizeof(err)), 0);
	/* Saved, read back at once, written only by the sync. */
	ck_assert_int_eq(rotstate_load(dir, "example.com", &b, err, sizeof(err)), 1);
	ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
	ck_assert_int_eq(entries(), 0);
	ck_assert_int_eq(rotstate_sync(err, sizeof(err)), 0);
	ck_assert_int_eq(rotstate_load(dir, "example.com", &b, err, sizeof(err)), 1);
	ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
	ck_assert_int_eq(entries(), 1);		/* no temporary file left */
	{
		struct stat sb;
		char p[512];

		snprintf(p, sizeof(p), "%s/example.com", dir);
		ck_assert_int_eq(stat(p, &sb), 0);
		ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	}
	ck_assert_str_eq(rotstate_name(RS_RETIRING), "retiring");
}
END_TEST

START_TEST(state_strict)
{
	struct rotstate st;

	put("cut.example", 0600, "domain cut.example\nstate visible\n");
	ck_assert_int_eq(rotstate_load(dir, "cut.example", &st, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "incomplete"));
	put("bad.example", 0600, "domain bad.example\nstate flying\nend\n");
	ck_assert_int_eq(rotstate_load(dir, "bad.example", &st, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "bad.example:2: bad field 'state'"));
	put("other.example", 0600, "domain example.org\nstate idle\nend\n");
	ck_assert_int_eq(rotstate_load(dir, "other.example", &st, err, sizeof(err)), -1);
	ck_assert_int_eq(rotstate_load(dir, "../etc/passwd", &st, err, sizeof(err)), -1);
	ck_assert_int_eq(rotstate_domain_ok(".hidden"), 0);
	ck_assert_int_eq(rotstate_domain_ok("a/b"), 0);
	ck_assert_int_eq(rotstate_domain_ok("xn--bcher-kva.example"), 1);
	memset(&st, 0, sizeof(st));
	strcpy(st.domain, "a/b");
	ck_assert_int_eq(rotstate_save(dir, &st, err, sizeof(err)), -1);
}
END_TEST

/*
 * kill -9 while saving, again and again: every time, the file read back is
 * one whole state, the last saved or the one before.
 */
START_TEST(state_atomic_under_kill)
{
	struct rotstate a, b;
	struct timespec ts;
	int round, st;
	pid_t pid;

	sample(&a, 0);
	ck_assert_int_eq(rotstate_save(dir, &a, err, sizeof(err)), 0);
	for (round = 0; round < 40; round++) {
		if ((pid = fork()) == 0) {
			long long g;

			for (g = 1;; g++) {
				sample(&a, g);
				if (rotstate_save(dir, &a, err, sizeof(err)) != 0 ||
				    rotstate_sync(err, sizeof(err)) != 0)
					_exit(1);
			}
		}
		ck_assert_int_gt(pid, 0);
		ts.tv_sec = 0;
		ts.tv_nsec = 1000000L + (long)(round % 7) * 1300000L;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		ck_assert(WIFSIGNALED(st));
		ck_assert_int_eq(rotstate_load(dir, "example.com", &b, err, sizeof(err)), 1);
		sample(&a, atoll(b.loaded_before));
		ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
	}
}
END_TEST

/*
 * Many domains saved: they wait in memory (read back from there), are
 * written when the store fills and at the sync, each file whole and
 * private, no temporary file left; a sync that cannot write says why and
 * leaves the files as they were.
 */
START_TEST(state_group_write)
{
	struct rotstate a, b;
	char other[300], path[600];
	struct stat sb;
	int i;

	sample(&a, 0);
	for (i = 0; i < 700; i++) {
		memset(a.domain, 0, sizeof(a.domain));
		memset(a.loaded_before, 0, sizeof(a.loaded_before));
		snprintf(a.domain, sizeof(a.domain), "d%d.example", i);
		snprintf(a.loaded_before, sizeof(a.loaded_before), "%d 1", i);
		ck_assert_int_eq(rotstate_save(dir, &a, err, sizeof(err)), 0);
		/* Saved twice before it is written: written once, the second. */
		if (i == 699) {
			a.checks = 9;
			ck_assert_int_eq(rotstate_save(dir, &a, err, sizeof(err)), 0);
		}
	}
	ck_assert_int_gt(entries(), 0);		/* a full store was written */
	ck_assert_int_lt(entries(), 700);	/* the rest waits */
	ck_assert_int_eq(rotstate_load(dir, "d699.example", &b, err, sizeof(err)), 1);
	ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
	ck_assert_int_eq(rotstate_sync(err, sizeof(err)), 0);
	ck_assert_int_eq(entries(), 700);
	for (i = 0; i < 700; i++) {
		memset(a.domain, 0, sizeof(a.domain));
		memset(a.loaded_before, 0, sizeof(a.loaded_before));
		snprintf(a.domain, sizeof(a.domain), "d%d.example", i);
		snprintf(a.loaded_before, sizeof(a.loaded_before), "%d 1", i);
		a.checks = i == 699 ? 9 : 2;
		ck_assert_int_eq(rotstate_load(dir, a.domain, &b, err, sizeof(err)), 1);
		ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
		snprintf(path, sizeof(path), "%s/%s", dir, a.domain);
		ck_assert_int_eq(stat(path, &sb), 0);
		ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	}
	/* A directory gone before the sync: an error, nothing read back. */
	snprintf(other, sizeof(other), "%s/gone", dir);
	ck_assert_int_eq(mkdir(other, 0700), 0);
	strcpy(a.domain, "example.org");
	ck_assert_int_eq(rotstate_save(other, &a, err, sizeof(err)), 0);
	ck_assert_int_eq(rmdir(other), 0);
	ck_assert_int_eq(rotstate_sync(err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot create a temporary file"));
	ck_assert_int_eq(rotstate_load(other, "example.org", &b, err, sizeof(err)), 0);
}
END_TEST

/* The new value per entry name, for the rewrite. */
static const char *
change(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "k2") == 0)
		return "two.example:new2:/keys/two.new2.private";
	if (strcmp(name, "k4") == 0)
		return "four.example:new4:/keys/four.new4.private:ed25519-sha256";
	return NULL;
}

/* Collect the entries a walk sees. */
static int
collect(void *arg, const struct rotentry *e)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 4096 - n, "%u %s %s %s %s [%s]\n", e->line, e->name, e->domain,
	    e->selector, e->key, e->alg);
	return 0;
}

START_TEST(table_rewrite_keeps_the_rest)
{
	static const char before[] =
	    "# KeyTable\n"
	    "\n"
	    "k1\tone.example:s1:/keys/one.private\n"
	    "  k2   two.example:old2:/keys/two.private   # the second\n"
	    "k3 three.example:s3:/keys/three.private:rsa-sha256\n"
	    "   # indented comment\n"
	    "k4\tfour.example:old4:/keys/four.private:rsa-sha256\n"
	    "k5 five.example:s5:/keys/five.private";	/* no final newline */
	static const char after[] =
	    "# KeyTable\n"
	    "\n"
	    "k1\tone.example:s1:/keys/one.private\n"
	    "  k2   two.example:new2:/keys/two.new2.private   # the second\n"
	    "k3 three.example:s3:/keys/three.private:rsa-sha256\n"
	    "   # indented comment\n"
	    "k4\tfour.example:new4:/keys/four.new4.private:ed25519-sha256\n"
	    "k5 five.example:s5:/keys/five.private";
	char seen[4096] = "", path[512];
	struct stat sb;
	size_t changed;

	snprintf(path, sizeof(path), "%s", put("kt", 0640, before));
	ck_assert_int_eq(rottable_walk(path, collect, seen, err, sizeof(err)), 0);
	ck_assert_str_eq(seen,
	    "3 k1 one.example s1 /keys/one.private []\n"
	    "4 k2 two.example old2 /keys/two.private []\n"
	    "5 k3 three.example s3 /keys/three.private [rsa-sha256]\n"
	    "7 k4 four.example old4 /keys/four.private [rsa-sha256]\n"
	    "8 k5 five.example s5 /keys/five.private []\n");
	ck_assert_int_eq(rottable_rewrite(path, change, NULL, &changed, err, sizeof(err)), 0);
	ck_assert_uint_eq(changed, 2);
	ck_assert_str_eq(slurp("kt"), after);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0640);
	ck_assert_int_eq(entries(), 1);
	/* Twice is the same as once. */
	ck_assert_int_eq(rottable_rewrite(path, change, NULL, &changed, err, sizeof(err)), 0);
	ck_assert_str_eq(slurp("kt"), after);
}
END_TEST

START_TEST(table_errors)
{
	char path[512], seen[4096] = "";
	size_t changed;

	snprintf(path, sizeof(path), "%s", put("kt", 0644, "k1 one.example:s1\n"));
	ck_assert_int_eq(rottable_walk(path, collect, seen, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "kt:1: value must be domain:selector:keyfile"));
	ck_assert_int_eq(rottable_path("file:/etc/kt", path, sizeof(path), err, sizeof(err)), 0);
	ck_assert_str_eq(path, "/etc/kt");
	ck_assert_int_eq(rottable_path("refile:/etc/kt", path, sizeof(path), err, sizeof(err)), 0);
	ck_assert_int_eq(rottable_path("/etc/kt", path, sizeof(path), err, sizeof(err)), 0);
	ck_assert_int_eq(rottable_path("dsn:pgsql://u:secret@h/db/table=t", path, sizeof(path),
	    err, sizeof(err)), -1);
	ck_assert_ptr_null(strstr(err, "secret"));
	snprintf(path, sizeof(path), "%s/missing", dir);
	ck_assert_int_eq(rottable_rewrite(path, change, NULL, &changed, err, sizeof(err)), -1);
	ck_assert_int_eq(entries(), 1);
}
END_TEST

/* A memtable of name -> value pairs (value NULL: names only), indexed. */
static void
table_of(struct memtable *t, const char *const *kv)
{
	memtable_init(t, 0);
	for (; kv[0] != NULL; kv += 2)
		ck_assert_int_eq(memtable_add(t, kv[0], strlen(kv[0]), kv[1] ? kv[1] : "",
		    kv[1] ? strlen(kv[1]) : 0, 0), 0);
	ck_assert_int_eq(memtable_index(t), 0);
}

/* A second signature added, then removed: both tables, twice each. */
START_TEST(table_add_and_drop)
{
	static const char kt0[] =
	    "# keys\n"
	    "k1 one.example:s1:/keys/one.private\n"
	    "k2 two.example:s2:/keys/two.private";
	static const char kt1[] =
	    "# keys\n"
	    "k1 one.example:s1:/keys/one.private\n"
	    "k2 two.example:s2:/keys/two.private\n"
	    "k1-ed25519\tone.example:e1:/keys/one.e1.private:ed25519-sha256\n";
	static const char st0[] =
	    "*@one.example k1\n"
	    "# two\n"
	    "*@two.example k2\n"
	    "boss@one.example\tk1:boss@one.example   # with an identity\n";
	static const char st1[] =
	    "*@one.example k1\n"
	    "*@one.example k1-ed25519\n"
	    "# two\n"
	    "*@two.example k2\n"
	    "boss@one.example\tk1:boss@one.example   # with an identity\n"
	    "boss@one.example\tk1-ed25519:boss@one.example\n";
	static const char *const add[] = { "k1-ed25519",
	    "one.example:e1:/keys/one.e1.private:ed25519-sha256", NULL };
	static const char *const twin[] = { "k1", "k1-ed25519", NULL };
	static const char *const drop[] = { "k1-ed25519", NULL, NULL };
	struct memtable ta, tt, td;
	struct rotedit ed;
	char kt[512], st[512];
	size_t n;

	table_of(&ta, add);
	table_of(&tt, twin);
	table_of(&td, drop);
	snprintf(kt, sizeof(kt), "%s", put("kt", 0644, kt0));
	snprintf(st, sizeof(st), "%s", put("st", 0644, st0));
	memset(&ed, 0, sizeof(ed));
	ed.add = &ta;
	ed.twin = &tt;
	ck_assert_int_eq(rottable_edit(kt, 0, NULL, NULL, &ed, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(slurp("kt"), kt1);
	ck_assert_int_eq(rottable_edit(st, 1, NULL, NULL, &ed, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(slurp("st"), st1);
	/* Again (a run killed after the rewrite): nothing more. */
	ck_assert_int_eq(rottable_edit(kt, 0, NULL, NULL, &ed, &n, err, sizeof(err)), 0);
	ck_assert_str_eq(slurp("kt"), kt1);
	ck_assert_int_eq(rottable_edit(st, 1, NULL, NULL, &ed, &n, err, sizeof(err)), 0);
	ck_assert_str_eq(slurp("st"), st1);
	/* Dropped: the tables as they were (but the last line's newline). */
	memset(&ed, 0, sizeof(ed));
	ed.drop = &td;
	ck_assert_int_eq(rottable_edit(st, 1, NULL, NULL, &ed, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(slurp("st"), st0);
	ck_assert_int_eq(rottable_edit(kt, 0, NULL, NULL, &ed, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert(strncmp(slurp("kt"), kt0, sizeof(kt0) - 1) == 0);
	memtable_free(&ta);
	memtable_free(&tt);
	memtable_free(&td);
}
END_TEST

/* Taken: the names in arg, a NULL-terminated list. */
static int
taken(void *arg, const char *sel)
{
	const char *const *l = arg;

	for (; *l; l++)
		if (strcmp(*l, sel) == 0)
			return 1;
	return 0;
}

START_TEST(selector_names)
{
	static const char *const none[] = { NULL };
	static const char *const two[] = { "20261130", "20261130-2", NULL };
	char sel[64];

	ck_assert_int_eq(rotsel_make("%Y%m%d", 1796000000, taken, (void *)none, sel,
	    sizeof(sel), err, sizeof(err)), 0);
	ck_assert_str_eq(sel, "20261130");
	ck_assert_int_eq(rotsel_make("%Y%m%d", 1796000000, taken, (void *)two, sel, sizeof(sel),
	    err, sizeof(err)), 0);
	ck_assert_str_eq(sel, "20261130-3");
	ck_assert_int_eq(rotsel_make("S%Y-%b", 1796000000, NULL, NULL, sel, sizeof(sel), err,
	    sizeof(err)), 0);
	ck_assert_str_eq(sel, "s2026-nov");
	ck_assert_int_eq(rotsel_make("mail.%Y", 1796000000, NULL, NULL, sel, sizeof(sel), err,
	    sizeof(err)), 0);
	ck_assert_str_eq(sel, "mail.2026");
	ck_assert_int_eq(rotsel_make("%Y/%m", 1796000000, NULL, NULL, sel, sizeof(sel), err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a valid selector"));
	ck_assert_int_eq(rotsel_make("%Y_%m", 1796000000, NULL, NULL, sel, sizeof(sel), err,
	    sizeof(err)), -1);
	ck_assert_int_eq(rotsel_make("", 1796000000, NULL, NULL, sel, sizeof(sel), err,
	    sizeof(err)), -1);
}
END_TEST

#define SECRET "vW3CO818HctuM8FUf8jPbiTU2EMwK8K43vyfCTvpHXA="

START_TEST(tsig_key_files)
{
	struct tsigkey k;

	ck_assert_int_eq(tsigkey_parse("key \"rotate-key\" {\n\talgorithm hmac-sha256;\n"
	    "\tsecret \"" SECRET "\";\n};\n", &k, err, sizeof(err)), 0);
	ck_assert_str_eq(k.name, "rotate-key.");
	ck_assert_str_eq(k.algorithm, "hmac-sha256.");
	ck_assert_str_eq(k.secret, SECRET);
	/* Comments of all three kinds, an unquoted name with its dot, one line. */
	ck_assert_int_eq(tsigkey_parse("# made by tsig-keygen\n// note\n/* a\nb */ key "
	    "upd.example. { secret \"" SECRET "\"; algorithm HMAC-SHA256; };", &k, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(k.name, "upd.example.");
	ck_assert_int_eq(tsigkey_parse("key \"k\" { algorithm hmac-md5; secret \"" SECRET
	    "\"; };", &k, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "only hmac-sha256"));
	ck_assert_int_eq(tsigkey_parse("key \"k\" { algorithm hmac-sha256; };", &k, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "needs an algorithm and a secret"));
	ck_assert_int_eq(tsigkey_parse("key \"k\" { algorithm hmac-sha256; secret \"" SECRET
	    "\" };", &k, err, sizeof(err)), -1);
	ck_assert_ptr_null(strstr(err, SECRET));
	ck_assert_int_eq(tsigkey_parse("key \"k\" { algorithm hmac-sha256; secret \"" SECRET
	    "\"; }", &k, err, sizeof(err)), -1);
	ck_assert_ptr_null(strstr(err, SECRET));
	ck_assert_int_eq(tsigkey_parse("key \"k\" { algorithm hmac-sha256; secret \"not base64!"
	    SECRET "\"; };", &k, err, sizeof(err)), -1);
	ck_assert_ptr_null(strstr(err, SECRET));
	ck_assert_int_eq(tsigkey_parse("", &k, err, sizeof(err)), -1);
	ck_assert_int_eq(tsigkey_parse("key \"k\" { algorithm hmac-sha256; secret \"unterminated",
	    &k, err, sizeof(err)), -1);
}
END_TEST

/* The key file gets the checks of a private key: others may not read it. */
START_TEST(tsig_key_file_safety)
{
	struct tsigkey k;
	char path[512];

	chmod(dir, 0700);
	snprintf(path, sizeof(path), "%s", put("tsig.key", 0644, "key \"k\" { algorithm "
	    "hmac-sha256; secret \"" SECRET "\"; };\n"));
	ck_assert_int_eq(tsigkey_read(path, &k, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "RotateTSIGKey"));
	ck_assert_ptr_null(strstr(err, SECRET));
	chmod(path, 0600);
	ck_assert_int_eq(tsigkey_read(path, &k, err, sizeof(err)), 0);
	ck_assert_str_eq(k.secret, SECRET);
	tsigkey_wipe(&k);
	ck_assert_str_eq(k.secret, "");
}
END_TEST

START_TEST(durations)
{
	unsigned long d = 0;

	ck_assert_int_eq(config_parse_duration("180d", &d), 0);
	ck_assert_uint_eq(d, 180UL * 86400);
	ck_assert_int_eq(config_parse_duration("90m", &d), 0);
	ck_assert_uint_eq(d, 5400);
	ck_assert_int_eq(config_parse_duration("12H", &d), 0);
	ck_assert_uint_eq(d, 43200);
	ck_assert_int_eq(config_parse_duration("45s", &d), 0);
	ck_assert_uint_eq(d, 45);
	ck_assert_int_eq(config_parse_duration("3600", &d), 0);
	ck_assert_uint_eq(d, 3600);
	ck_assert_int_eq(config_parse_duration("", &d), -1);
	ck_assert_int_eq(config_parse_duration("d", &d), -1);
	ck_assert_int_eq(config_parse_duration("7w", &d), -1);
	ck_assert_int_eq(config_parse_duration("-1d", &d), -1);
	ck_assert_int_eq(config_parse_duration("1 d", &d), -1);
	ck_assert_int_eq(config_parse_duration("3651d", &d), -1);
	ck_assert_int_eq(config_parse_duration("99999999999999999999", &d), -1);
}
END_TEST

/* Type and size from the head of the PEM, for every form and size. */
START_TEST(key_probe)
{
	static const int sizes[] = { 1024, 1025, 2048, 3072, 4096 };
	char alg[16], *pem;
	size_t i;
	int bits;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		pem = tk_private(TK_RSA_PKCS8, sizes[i]);
		ck_assert_int_eq(keyprobe_pem(pem, strlen(pem), alg, sizeof(alg), &bits), 0);
		ck_assert_str_eq(alg, "rsa");
		ck_assert_int_eq(bits, sizes[i]);
		free(pem);
		pem = tk_private(TK_RSA_PKCS1, sizes[i]);
		ck_assert_int_eq(keyprobe_pem(pem, strlen(pem), alg, sizeof(alg), &bits), 0);
		ck_assert_int_eq(bits, sizes[i]);
		free(pem);
	}
	pem = tk_private(TK_ED25519_PKCS8, 0);
	ck_assert_int_eq(keyprobe_pem(pem, strlen(pem), alg, sizeof(alg), &bits), 0);
	ck_assert_str_eq(alg, "ed25519");
	ck_assert_int_eq(bits, 256);
	free(pem);
	ck_assert_int_eq(keyprobe_pem("garbage", 7, alg, sizeof(alg), &bits), -1);
	ck_assert_int_eq(keyprobe_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n", 33, alg,
	    sizeof(alg), &bits), -1);
	ck_assert_int_eq(keyprobe_file("/nonexistent/key", alg, sizeof(alg), &bits), -1);
}
END_TEST

/* The record answered carries our key: p=, k= and an h= allowing sha256. */
START_TEST(record_match)
{
	static const char ours[] = "v=DKIM1; h=sha256; k=rsa; p=MIIBIjAN+/AB==";

	ck_assert(rotmatch_record(ours, ours));
	/* Typed by hand: no h=, other order, spaces, k= left to its default. */
	ck_assert(rotmatch_record("p = MIIBIj AN+/AB== ;v=DKIM1", ours));
	ck_assert(rotmatch_record("v=DKIM1; h=sha1:sha256; p=MIIBIjAN+/AB==", ours));
	ck_assert(!rotmatch_record("v=DKIM1; h=sha1; p=MIIBIjAN+/AB==", ours));
	ck_assert(!rotmatch_record("v=DKIM1; k=ed25519; p=MIIBIjAN+/AB==", ours));
	ck_assert(!rotmatch_record("v=DKIM1; k=rsa; p=MIIBIjAN+/AC==", ours));
	ck_assert(!rotmatch_record("v=DKIM1; k=rsa; p=", ours));
	ck_assert(!rotmatch_record("v=DKIM1; k=rsa; q=p=MIIBIjAN+/AB==", ours));
	/* A revocation is matched by a revocation only. */
	ck_assert(rotmatch_record("v=DKIM1; k=rsa; p=", "v=DKIM1; h=sha256; k=rsa; p="));
	/* No p= at all gives verifiers no key either. */
	ck_assert(rotmatch_record("v=DKIM1; k=rsa", "v=DKIM1; h=sha256; k=rsa; p="));
	ck_assert(!rotmatch_record(ours, "v=DKIM1; h=sha256; k=rsa; p="));
}
END_TEST

/*
 * A run's changes grouped by zone: one batch per zone, in the order
 * queued, bounded in records and bytes; the other zones' changes wait in
 * their order.
 */
START_TEST(queue_batches_by_zone)
{
	struct rotqueue q;
	struct rotq_item out[4];
	char name[64], big[3000];
	size_t n, i;

	rotqueue_init(&q, 4, 0);
	/* a.example, b.example, a.example, ... : 6 in a, 3 in b. */
	for (i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "s%zu._domainkey.d%zu.%s", i, i, i % 3 == 1 ?
		    "b.example" : "a.example");
		ck_assert_int_eq(rotqueue_add(&q, i % 3 == 1 ? "B.example" : "a.example", name,
		    i % 2 ? NULL : "v=DKIM1; p=", name, "s", 3, "fresh"), (i >= 5 && i % 3 != 1));
	}
	ck_assert(!rotqueue_long(&q));
	/* a filled a batch at its fourth change: the zone ready to go, as queued. */
	ck_assert_str_eq(rotqueue_ready(&q), "a.example");
	/* The full zone, its first four changes. */
	n = rotqueue_take(&q, "a.example", out);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(out[0].name, "s0._domainkey.d0.a.example");
	ck_assert_str_eq(out[1].name, "s2._domainkey.d2.a.example");
	ck_assert_str_eq(out[3].name, "s5._domainkey.d5.a.example");
	ck_assert_ptr_null(out[3].record);
	ck_assert_str_eq(out[1].record, "v=DKIM1; p=");
	ck_assert_ptr_null(out[2].record);
	ck_assert_int_eq(out[0].state, 3);
	rotqueue_items_free(out, n);
	/* Two left in a, three in b: none full. */
	ck_assert_ptr_null(rotqueue_ready(&q));
	/* Then the oldest change's zone (b, case ignored), then the rest of a. */
	n = rotqueue_take(&q, NULL, out);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(out[0].zone, "B.example");
	ck_assert_str_eq(out[2].name, "s7._domainkey.d7.b.example");
	rotqueue_items_free(out, n);
	n = rotqueue_take(&q, "A.EXAMPLE", out);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(out[0].name, "s6._domainkey.d6.a.example");
	rotqueue_items_free(out, n);
	ck_assert_uint_eq(rotqueue_take(&q, NULL, out), 0);
	rotqueue_free(&q);

	/* Bytes bound a batch too, but a change larger than the bound still goes alone. */
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	rotqueue_init(&q, 4, 5000);
	ck_assert_int_eq(rotqueue_add(&q, "z", "n1.z", big, "d1", "s", 3, NULL), 0);
	ck_assert_ptr_null(rotqueue_ready(&q));
	ck_assert_int_eq(rotqueue_add(&q, "z", "n2.z", big, "d2", "s", 3, NULL), 1);
	ck_assert_str_eq(rotqueue_ready(&q), "z");
	ck_assert_int_eq(rotqueue_add(&q, "z", "n3.z", NULL, "d3", "s", 3, NULL), 1);
	ck_assert_uint_eq(rotqueue_take(&q, "z", out), 1);
	ck_assert_ptr_null(out[0].fresh);
	rotqueue_items_free(out, 1);
	ck_assert_uint_eq(rotqueue_take(&q, "z", out), 2);
	ck_assert_str_eq(out[1].name, "n3.z");
	rotqueue_items_free(out, 2);
	rotqueue_free(&q);

	/* Many zones with a change or two each: the queue says when to send the oldest. */
	rotqueue_init(&q, 2, 0);
	for (i = 0; i < 2 * ROTQUEUE_WAITING; i++) {
		snprintf(name, sizeof(name), "z%zu", i);
		rotqueue_add(&q, name, name, NULL, name, "s", 3, NULL);
	}
	ck_assert(!rotqueue_long(&q));
	rotqueue_add(&q, "last", "last", NULL, "last", "s", 3, NULL);
	ck_assert(rotqueue_long(&q));
	ck_assert_uint_eq(rotqueue_take(&q, NULL, out), 1);
	ck_assert_str_eq(out[0].zone, "z0");
	rotqueue_items_free(out, 1);
	rotqueue_free(&q);

	/* A zone whose changes come between others' is ready once they fill a batch. */
	rotqueue_init(&q, 3, 0);
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "n%zu", i);
		rotqueue_add(&q, i % 2 ? "odd.example" : "EVEN.example", name, NULL, name, "s", 3,
		    NULL);
		ck_assert(i < 4 ? rotqueue_ready(&q) == NULL :
		    strcmp(rotqueue_ready(&q), "EVEN.example") == 0);
	}
	rotqueue_add(&q, "Odd.Example", "n5", NULL, "n5", "s", 3, NULL);
	n = rotqueue_take(&q, rotqueue_ready(&q), out);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(out[2].name, "n4");
	rotqueue_items_free(out, n);
	ck_assert_str_eq(rotqueue_ready(&q), "odd.example");
	rotqueue_free(&q);
}
END_TEST

/* Gone or a zombie: the process pid no longer runs. */
static int
ended(long pid)
{
	char path[64], line[128];
	FILE *fp;
	int z = 1;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "State:", 6) == 0)
			z = strchr(line, 'Z') != NULL;
	fclose(fp);
	return z;
}

/* Domains named on the command line: found by name, any case, every mention answered. */
START_TEST(named_domains)
{
	char *v[] = { "a.example", "B.example", "a.example", "c.example" };
	struct rotnames nm, none;

	ck_assert_int_eq(rotnames_init(&nm, v, 4), 0);
	ck_assert_int_eq(rotnames_mark(&nm, "x.example"), -1);
	ck_assert_int_eq(rotnames_mark(&nm, "b.EXAMPLE"), 0);
	ck_assert_int_eq(rotnames_mark(&nm, "b.example"), 1);
	ck_assert_int_eq(rotnames_mark(&nm, "A.example"), 0);
	/* Named twice: both mentions seen; c.example never met. */
	ck_assert_int_eq(nm.seen[0] + nm.seen[1] + nm.seen[2], 3);
	ck_assert_int_eq(nm.seen[3], 0);
	rotnames_free(&nm);
	ck_assert_int_eq(rotnames_init(&none, NULL, 0), 0);
	ck_assert_int_eq(rotnames_mark(&none, "a.example"), -1);
	rotnames_free(&none);
}
END_TEST

/* RotatePublish and RotateReload programs: exit status, and a hung one stopped with its children. */
START_TEST(exec_time_limit)
{
	char *const ok[] = { "/bin/sh", "-c", "exit 0", NULL };
	char *const bad[] = { "/bin/sh", "-c", "exit 7", NULL };
	char script[600], pidfile[300];
	char *const hang[] = { "/bin/sh", "-c", script, NULL };
	struct timespec t0, t1;
	long child = 0;
	FILE *fp;
	int i;

	ck_assert_int_eq(rot_exec(ok, "ok", 5, err, sizeof(err)), 0);
	ck_assert_int_eq(rot_exec(bad, "the command", 5, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the command failed (status 7)");
	/* A shell waiting for a child that never ends: both stopped after 1 s. */
	snprintf(pidfile, sizeof(pidfile), "%s/child", dir);
	snprintf(script, sizeof(script), "sleep 60 & echo $! > %s; wait", pidfile);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(rot_exec(hang, "RotateReload command", 1, err, sizeof(err)), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_str_eq(err, "RotateReload command did not finish within 1 s: stopped");
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 5);
	ck_assert_ptr_nonnull(fp = fopen(pidfile, "r"));
	ck_assert_int_eq(fscanf(fp, "%ld", &child), 1);
	fclose(fp);
	for (i = 0; i < 100 && !ended(child); i++)
		usleep(20000);
	ck_assert_msg(ended(child), "the program's child %ld still runs", child);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rotate");
	TCase *tc = tm_case(s, "rotate", 60);

	tcase_add_checked_fixture(tc, mkdir_fixture, rmdir_fixture);
	tm_add(tc, state_round_trip, state_strict, state_atomic_under_kill, state_group_write,
	    table_rewrite_keeps_the_rest, table_errors, table_add_and_drop, selector_names, tsig_key_files,
	    tsig_key_file_safety, durations, key_probe, record_match,
	    queue_batches_by_zone, named_domains, exec_time_limit, NULL);
	return tm_run(s, CK_FORK_GETENV);
}
