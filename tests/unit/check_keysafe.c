/*
 * check_keysafe.c - key files are opened once and checked on the way: every
 * directory that resolving a chain of symbolic links goes through is
 * checked (the middle of the chain included), FIFOs and directories are
 * refused without blocking, and the file checked is the file read.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "../../dkim/key.h"
#include "../../config/config.h"
#include "../../keys/keysafe.h"
#include "testkeys.h"
#include "testmain.h"

static char *rsa_pem;		/* made once, before the tests fork */

/* The run-time user and group of these tests: ourselves. */
#define ME getuid(), getegid()

/* Write the test key to tk_dir/name with the given mode. */
static void put_key(const char *name, mode_t mode)
{
	tk_put(name, mode, "%s", rsa_pem);
}

/* Make tk_dir/name a symbolic link to target. */
static void link_to(const char *target, const char *name)
{
	unlink(tk_at(name));
	ck_assert_int_eq(symlink(target, tk_at(name)), 0);
}

/* Assert keysafe_check refuses path with a message containing want. */
static void ck_unsafe(const char *path, const char *want)
{
	char why[1024];

	ck_assert_msg(keysafe_check(path, ME, why, sizeof(why)) < 0,
	    "%s accepted, expected '%s'", path, want);
	ck_assert_msg(strstr(why, want) != NULL, "'%s' lacks '%s'", why, want);
}

/*
 * Group read: allowed for the run-time group only (0640 root:opendkim for a
 * daemon running as opendkim), never group write, never others.
 */
START_TEST(group_readable)
{
	static const struct { mode_t mode; const char *what; } bad[] = {
		{ 0660, "writable by group (mode 0660); chmod 600 it" },
		{ 0620, "writable by group (mode 0620); chmod 600 it" },
		{ 0644, "readable by others (mode 0644); chmod 600 it" },
		{ 0642, "writable by others (mode 0642)" },
	};
	char why[1024], want[600];
	size_t i;

	tk_mkdir("g", 0750);
	put_key("g/k", 0640);
	ck_assert_msg(keysafe_check(tk_at("g/k"), ME, why, sizeof(why)) == 0, "%s", why);
	chmod(tk_at("g/k"), 0440);
	ck_assert_msg(keysafe_check(tk_at("g/k"), ME, why, sizeof(why)) == 0, "%s", why);
	/* The same key for a daemon of another group. */
	chmod(tk_at("g/k"), 0640);
	ck_assert(keysafe_check(tk_at("g/k"), getuid(), getegid() + 1, why, sizeof(why)) < 0);
	snprintf(want, sizeof(want), "%s: readable by group ", tk_at("g/k"));
	ck_assert_msg(strstr(why, want) != NULL && strstr(why, "not the run-time group") != NULL,
	    "%s", why);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		chmod(tk_at("g/k"), bad[i].mode);
		ck_unsafe(tk_at("g/k"), bad[i].what);
	}
}
END_TEST

/* safe/link1 -> open/link2 -> safe2/key: the middle directory is checked. */
START_TEST(chain_middle)
{
	char want[600];

	tk_mkdir("safe", 0700);
	tk_mkdir("safe2", 0700);
	tk_mkdir("open", 0777);
	put_key("safe2/key", 0600);
	link_to(tk_at("safe2/key"), "open/link2");
	link_to(tk_at("open/link2"), "safe/link1");
	snprintf(want, sizeof(want), "%s: directory writable by others (mode 0777); chmod go-w it",
	    tk_at("open"));
	ck_unsafe(tk_at("safe/link1"), want);
	/* Group-writable, and a relative link target. */
	chmod(tk_at("open"), 0770);
	link_to("../open/link2", "safe/link1");
	snprintf(want, sizeof(want), "%s: directory writable by group (mode 0770)", tk_at("open"));
	ck_unsafe(tk_at("safe/link1"), want);
	/* The link's own directory is safe, the chain's end is not. */
	chmod(tk_at("open"), 0700);
	chmod(tk_at("safe2"), 0777);
	snprintf(want, sizeof(want), "%s: the key's own directory writable by others", tk_at("safe2"));
	ck_unsafe(tk_at("safe/link1"), want);
	/* All safe: accepted. */
	chmod(tk_at("safe2"), 0700);
	{
		char why[1024];

		ck_assert_msg(keysafe_check(tk_at("safe/link1"), ME, why, sizeof(why)) == 0,
		    "%s", why);
	}
}
END_TEST

/* A FIFO, a directory, a loop: refused at once, never read. */
START_TEST(not_regular)
{
	char why[1024];
	dkim_key *k = NULL;
	dkim_err err;

	ck_assert_int_eq(mkfifo(tk_at("fifo"), 0600), 0);
	ck_unsafe(tk_at("fifo"), "fifo: not a regular file");
	/* The library's own loader does not block on it either. */
	ck_assert_int_eq(dkim_key_load_file(tk_at("fifo"), &k, &err), DKIM_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a regular file"));
	/* Reached through a link, too. */
	link_to(tk_at("fifo"), "tofifo");
	ck_unsafe(tk_at("tofifo"), "fifo: not a regular file");
	tk_mkdir("adir", 0700);
	ck_unsafe(tk_at("adir"), "adir: not a regular file");
	ck_unsafe(tk_at("adir/"), "not a regular file");
	ck_unsafe(tk_at("adir/.."), "not a regular file");
	link_to("loop2", "loop1");
	link_to("loop1", "loop2");
	ck_unsafe(tk_at("loop1"), strerror(ELOOP));
	ck_unsafe(tk_at("nothere"), strerror(ENOENT));
	put_key("file", 0600);
	snprintf(why, sizeof(why), "%s/x", tk_at("file"));
	ck_unsafe(why, "file: not a directory");
}
END_TEST

/* With RequireSafeKeys no, a FIFO as KeyFile still fails, and fast. */
START_TEST(fifo_keyfile_config)
{
	char conf[600], err[1024];
	struct config *cfg;
	FILE *fp;

	ck_assert_int_eq(mkfifo(tk_at("k.fifo"), 0600), 0);
	snprintf(conf, sizeof(conf), "%s", tk_at("pd.conf"));
	ck_assert_ptr_nonnull(fp = fopen(conf, "w"));
	fprintf(fp, "Domain d.example\nKeyFile %s\nSelector s\nRequireSafeKeys no\n", tk_at("k.fifo"));
	ck_assert_int_eq(fclose(fp), 0);
	cfg = config_load(conf, NULL, NULL, err, sizeof(err));
	ck_assert_msg(cfg == NULL, "a FIFO loaded as a key");
	ck_assert_msg(strstr(err, "not a regular file") != NULL, "%s", err);
}
END_TEST

#ifndef KEYSAFE_OLD_API
/* The descriptor opened is the file checked, and the key read from it. */
START_TEST(open_reads_checked_file)
{
	struct stat st, want;
	char why[1024];
	dkim_key *k = NULL;
	dkim_err err;
	int fd;

	tk_mkdir("keys", 0700);
	put_key("keys/k", 0600);
	link_to("keys/k", "lk");
	ck_assert_int_eq(keysafe_open(tk_at("lk"), ME, &fd, &st, why, sizeof(why)), 0);
	ck_assert_int_eq(stat(tk_at("keys/k"), &want), 0);
	ck_assert(st.st_ino == want.st_ino && st.st_dev == want.st_dev);
	ck_assert_int_eq(dkim_key_load_fd(fd, "lk", &k, &err), DKIM_OK);
	ck_assert_int_eq(dkim_key_alg(k), DKIM_ALG_RSA_SHA256);
	dkim_key_free(k);
	close(fd);
	/* Unsafe: opened all the same (1), the caller decides. */
	chmod(tk_at("keys/k"), 0640);
	ck_assert_int_eq(keysafe_open(tk_at("lk"), getuid(), getegid() + 1, &fd, &st, why,
	    sizeof(why)), 1);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(strstr(why, "keys/k: readable by group ") != NULL &&
	    strstr(why, "(mode 0640), not the run-time group ") != NULL, "%s", why);
	close(fd);
	/* Cannot open: -1 and no descriptor. */
	ck_assert_int_eq(keysafe_open(tk_at("none"), ME, &fd, &st, why, sizeof(why)), -1);
	ck_assert_int_eq(fd, -1);
	/* Relative paths and "..": resolved from the current directory. */
	chmod(tk_at("keys/k"), 0600);
	ck_assert_int_eq(chdir(tk_at("keys")), 0);
	ck_assert_int_eq(keysafe_open("../keys/./k", ME, &fd, &st, why, sizeof(why)), 0);
	close(fd);
	ck_assert_int_eq(chdir("/"), 0);
	/* A file larger than a key is refused by the bounded read. */
	{
		char big[DKIM_KEY_FILE_MAX + 2];

		memset(big, 'A', sizeof(big));
		ck_assert((fd = open(tk_at("big"), O_RDWR | O_CREAT | O_TRUNC, 0600)) >= 0);
		ck_assert_int_eq(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
		ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
		ck_assert_int_eq(dkim_key_load_fd(fd, "big", &k, &err), DKIM_ERR_TOOBIG);
		close(fd);
	}
}
END_TEST

/* A link in a sticky shared directory must be ours: its owner can swap it. */
START_TEST(link_owner_in_sticky_dir)
{
	struct passwd *pw = getpwnam("nobody");
	char want[600];

	if (geteuid() != 0 || pw == NULL) {
		printf("link_owner_in_sticky_dir: skipped, needs root and user nobody to chown\n");
		return;
	}
	tk_mkdir("shared", 01777);
	tk_mkdir("keys", 0700);
	put_key("keys/k", 0600);
	link_to(tk_at("keys/k"), "shared/lk");
	ck_assert_int_eq(lchown(tk_at("shared/lk"), pw->pw_uid, pw->pw_gid), 0);
	snprintf(want, sizeof(want), "%s: symbolic link owned by uid %lu (nobody)",
	    tk_at("shared/lk"), (unsigned long)pw->pw_uid);
	ck_unsafe(tk_at("shared/lk"), want);
	ck_assert_int_eq(lchown(tk_at("shared/lk"), 0, 0), 0);
	{
		char why[1024];

		ck_assert_msg(keysafe_check(tk_at("shared/lk"), ME, why, sizeof(why)) == 0,
		    "%s", why);
	}
}
END_TEST

/* Checking needs no right to read: the run-time user checks a key of root's. */
START_TEST(check_without_reading)
{
	struct passwd *pw = getpwnam("nobody");
	char why[1024];
	struct stat st;
	int fd, status, r = 0;
	pid_t pid;

	if (geteuid() != 0 || pw == NULL) {
		printf("check_without_reading: skipped, needs root and user nobody\n");
		return;
	}
	tk_mkdir("keys", 0711);
	put_key("keys/k", 0600);
	ck_assert_int_eq(chmod(tk_dir, 0711), 0);
	/* As nobody in a child, so that root removes the files afterwards. */
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		if (setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
			_exit(2);
		if (keysafe_check(tk_at("keys/k"), pw->pw_uid, pw->pw_gid, why, sizeof(why)) != 0) {
			fprintf(stderr, "keysafe_check as nobody: %s\n", why);
			r |= 4;
		}
		/* Opening it to read is another matter. */
		if (keysafe_open(tk_at("keys/k"), pw->pw_uid, pw->pw_gid, &fd, &st, why, sizeof(why)) != -1 ||
		    strstr(why, strerror(EACCES)) == NULL) {
			fprintf(stderr, "keysafe_open as nobody: %s\n", why);
			r |= 8;
		}
		_exit(r);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "as nobody: status %d",
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}
END_TEST
#endif

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("keysafe");
	TCase *tc = tm_case(s, "keysafe", 10);

	rsa_pem = tk_shared(TK_RSA_PKCS8, 1024);
	tk_dir_fixture(tc, "postdkim-ks", 1);
	tm_add(tc, chain_middle, not_regular, fifo_keyfile_config, group_readable, NULL);
#ifndef KEYSAFE_OLD_API
	tm_add(tc, open_reads_checked_file, link_owner_in_sticky_dir, check_without_reading,
	    NULL);
#endif
	return tm_run(s, CK_FORK_GETENV);
}
