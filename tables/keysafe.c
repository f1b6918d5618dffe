/*
 * keysafe.c - refuse private keys that others can read or replace.
 *
 * The file itself must be a regular file, owned by root or the run-time
 * user, with no group or other permission bits. Every directory above it
 * (both along the path as written and along the path with symbolic links
 * resolved) must be owned by root or the run-time user and not writable by
 * group or others; a sticky world-writable directory such as /tmp is
 * accepted above the key's own directory, because the sticky bit stops
 * others from renaming what they do not own.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keysafe.h"

/* Name an owner for messages: "uid 1000 (alice)" or "uid 1000". */
static void
owner_name(uid_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, size, "uid %lu (%s)", (unsigned long)uid, pw->pw_name);
	else
		snprintf(buf, size, "uid %lu", (unsigned long)uid);
}

/* Check one directory; own is nonzero for the key's own directory. */
static int
check_dir(const char *dir, uid_t uid, int own, char *err, size_t errsize)
{
	struct stat st;
	char who[128];

	if (stat(dir, &st) < 0) {
		snprintf(err, errsize, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errsize, "%s: not a directory", dir);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != uid) {
		owner_name(st.st_uid, who, sizeof(who));
		snprintf(err, errsize, "%s: directory owned by %s, who could replace the key; "
		    "chown root it", dir, who);
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return 0;
	/* Sticky: others may add files but not rename or remove ours. */
	if ((st.st_mode & S_ISVTX) && !own)
		return 0;
	snprintf(err, errsize, "%s: %sdirectory writable by %s (mode %04o); %s", dir,
	    own ? "the key's own " : "",
	    (st.st_mode & S_IWOTH) ? "others" : "group",
	    (unsigned)(st.st_mode & 07777),
	    own ? "keep keys in a directory only root or the run-time user can write "
	    "(chmod go-w it)" : "chmod go-w it");
	return -1;
}

/* Check every directory above path ("/a/b/key": "/a/b", "/a", "/"). */
static int
check_parents(const char *path, uid_t uid, char *err, size_t errsize)
{
	char dir[PATH_MAX];
	char *slash;
	size_t len = strlen(path);
	int own = 1;

	if (len >= sizeof(dir)) {
		snprintf(err, errsize, "%s: path too long", path);
		return -1;
	}
	memcpy(dir, path, len + 1);
	for (;;) {
		if ((slash = strrchr(dir, '/')) == NULL)
			return 0;
		if (slash == dir) {
			/* The root directory itself. */
			return check_dir("/", uid, own, err, errsize);
		}
		*slash = '\0';
		if (check_dir(dir, uid, own, err, errsize) < 0)
			return -1;
		own = 0;
	}
}

/* Make path absolute (against the current directory) without resolving links. */
static int
absolute(const char *path, char *out, size_t size, char *err, size_t errsize)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/')
		n = snprintf(out, size, "%s", path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL) {
		snprintf(err, errsize, "%s: cannot find the current directory: %s", path,
		    strerror(errno));
		return -1;
	} else
		n = snprintf(out, size, "%s/%s", cwd, path);
	if (n < 0 || (size_t)n >= size) {
		snprintf(err, errsize, "%s: path too long", path);
		return -1;
	}
	return 0;
}

/* Check a key file: mode, owner, and every directory above it. */
int
keysafe_check(const char *path, uid_t uid, char *err, size_t errsize)
{
	struct stat st;
	char abs[PATH_MAX], real[PATH_MAX], who[128];
	mode_t mode;

	if (stat(path, &st) < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "%s: not a regular file", path);
		return -1;
	}
	mode = st.st_mode & 07777;
	if (mode & (S_IROTH | S_IWOTH)) {
		snprintf(err, errsize, "%s: %s by others (mode %04o); chmod 600 it", path,
		    (mode & S_IROTH) ? "readable" : "writable", (unsigned)mode);
		return -1;
	}
	if (mode & (S_IRGRP | S_IWGRP)) {
		snprintf(err, errsize, "%s: %s by group (mode %04o); chmod 600 it", path,
		    (mode & S_IRGRP) ? "readable" : "writable", (unsigned)mode);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != uid) {
		owner_name(st.st_uid, who, sizeof(who));
		snprintf(err, errsize, "%s: owned by %s, not root or the run-time user; "
		    "chown it", path, who);
		return -1;
	}
	/* The path as written: a link in a writable directory can be replaced. */
	if (absolute(path, abs, sizeof(abs), err, errsize) < 0 ||
	    check_parents(abs, uid, err, errsize) < 0)
		return -1;
	/* And the file the links lead to. */
	if (realpath(path, real) == NULL) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (strcmp(real, abs) != 0 && check_parents(real, uid, err, errsize) < 0)
		return -1;
	return 0;
}
