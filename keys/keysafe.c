/*
 * keysafe.c - open private keys so that the file checked is the file read,
 * and refuse keys that others can read or replace.
 *
 * The path is resolved here, one component at a time, from the root down:
 * each symbolic link is read and followed by hand, so every directory that
 * resolution looks a name up in is checked, the directories of the links in
 * the middle of a chain included. Each of them must be owned by root or the
 * run-time user and not writable by group or others; a sticky world-writable
 * directory such as /tmp is accepted above the key's own directory, because
 * the sticky bit stops others from renaming what they do not own (a link in
 * such a directory must then be ours too). The key is opened last, without
 * following a link (the name is final by then) and without blocking (a FIFO
 * must not hang the daemon), and its type, owner and mode are those of the
 * open file: a regular file, owned by root or the run-time user, with no
 * permission bits for others and none for its group but read, and that only
 * when the group is the run-time group (the daemon's own: whoever is in it
 * may read the key as the daemon does).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keysafe.h"

/* Links followed in one resolution before giving up (as the kernel does). */
#define KEYSAFE_MAXLINKS 40

/* O_PATH: directories need only be searchable, a key to check need not be readable. */
#ifdef O_PATH
#define KEYSAFE_DIRFLAGS (O_PATH | O_DIRECTORY | O_CLOEXEC)
#define KEYSAFE_CHECKFLAGS O_PATH
#else
#define KEYSAFE_DIRFLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC)
#define KEYSAFE_CHECKFLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY)
#endif

/* One resolution: the first problem found, and where the walk is. */
struct walk {
	uid_t uid;
	gid_t gid;		/* run-time group: may read keys */
	char *why;
	size_t whysize;
	int unsafe;		/* why holds a safety problem */
	int dfd;		/* the directory reached */
	int oflags;		/* how the key is opened in the end */
	char cur[PATH_MAX];	/* its name, links resolved */
};

/* Name an owner for messages: "uid 1000 (alice)" or "uid 1000". */
static void owner_name(uid_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, size, "uid %lu (%s)", (unsigned long)uid, pw->pw_name);
	else
		snprintf(buf, size, "uid %lu", (unsigned long)uid);
}

/* Name a group for messages: "opendkim" or "gid 1000". */
static void group_name(gid_t gid, char *buf, size_t size)
{
	struct group *gr = getgrgid(gid);

	if (gr != NULL)
		snprintf(buf, size, "%s", gr->gr_name);
	else
		snprintf(buf, size, "gid %lu", (unsigned long)gid);
}

/* dir + "/" + name, for messages (no doubled slash under the root). */
static const char *join(const char *dir, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", name);
	return buf;
}

/* Record a safety problem, unless an earlier one is recorded already. */
__attribute__((format(printf, 2, 3)))
static void walk_unsafe(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	if (w->unsafe)
		return;
	w->unsafe = 1;
	va_start(ap, fmt);
	vsnprintf(w->why, w->whysize, fmt, ap);
	va_end(ap);
}

/* Record why the key cannot be opened; returns -1. */
__attribute__((format(printf, 2, 3)))
static int walk_fail(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->why, w->whysize, fmt, ap);
	va_end(ap);
	return -1;
}

/* Nonzero when a directory lets others add, rename or remove names in it. */
static int dir_writable(const struct stat *st)
{
	return (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
}

/* Check the directory reached, where a name is looked up; own: the key's own. */
static void check_dir(struct walk *w, const struct stat *st, int own)
{
	char who[128];

	if (st->st_uid != 0 && st->st_uid != w->uid) {
		owner_name(st->st_uid, who, sizeof(who));
		walk_unsafe(w, "%s: directory owned by %s, who could replace the key; "
		    "chown root it", w->cur, who);
		return;
	}
	if (!dir_writable(st))
		return;
	/* Sticky: others may add files but not rename or remove ours. */
	if ((st->st_mode & S_ISVTX) && !own)
		return;
	walk_unsafe(w, "%s: %sdirectory writable by %s (mode %04o); %s", w->cur,
	    own ? "the key's own " : "",
	    (st->st_mode & S_IWOTH) ? "others" : "group",
	    (unsigned)(st->st_mode & 07777),
	    own ? "keep keys in a directory only root or the run-time user can write "
	    "(chmod go-w it)" : "chmod go-w it");
}

/* Check the key file itself (the open file's status). */
static void check_file(struct walk *w, const char *name, const struct stat *st)
{
	mode_t mode = st->st_mode & 07777;
	char who[128], ours[128];

	if (mode & (S_IROTH | S_IWOTH))
		walk_unsafe(w, "%s: %s by others (mode %04o); chmod 600 it", name,
		    (mode & S_IROTH) ? "readable" : "writable", (unsigned)mode);
	else if (mode & S_IWGRP)
		walk_unsafe(w, "%s: writable by group (mode %04o); chmod 600 it", name,
		    (unsigned)mode);
	else if ((mode & S_IRGRP) && st->st_gid != w->gid) {
		group_name(st->st_gid, who, sizeof(who));
		group_name(w->gid, ours, sizeof(ours));
		walk_unsafe(w, "%s: readable by group %s (mode %04o), not the run-time group %s; "
		    "chmod 600 it", name, who, (unsigned)mode, ours);
	} else if (st->st_uid != 0 && st->st_uid != w->uid) {
		owner_name(st->st_uid, who, sizeof(who));
		walk_unsafe(w, "%s: owned by %s, not root or the run-time user; chown it",
		    name, who);
	}
}

/* Go to a directory given by name ("/" or "..") or below cur; -1 on error. */
static int walk_enter(struct walk *w, const char *comp)
{
	char name[PATH_MAX + NAME_MAX + 2];
	char *slash;
	size_t len = strlen(w->cur);
	int nfd;

	if (strcmp(comp, "/") == 0)
		nfd = open("/", KEYSAFE_DIRFLAGS);
	else
		nfd = openat(w->dfd, comp, KEYSAFE_DIRFLAGS | O_NOFOLLOW);
	if (nfd < 0)
		return walk_fail(w, "%s: %s", strcmp(comp, "/") == 0 ? "/" :
		    join(w->cur, comp, name, sizeof(name)), strerror(errno));
	if (w->dfd >= 0)
		close(w->dfd);
	w->dfd = nfd;
	if (strcmp(comp, "/") == 0)
		snprintf(w->cur, sizeof(w->cur), "/");
	else if (strcmp(comp, "..") == 0) {
		/* cur has no links in it: its parent is lexical. */
		if ((slash = strrchr(w->cur, '/')) != NULL)
			slash[slash == w->cur ? 1 : 0] = '\0';
	} else if (len + 1 + strlen(comp) >= sizeof(w->cur))
		return walk_fail(w, "%s: path too long", join(w->cur, comp, name, sizeof(name)));
	else
		snprintf(w->cur + len, sizeof(w->cur) - len, "%s%s", len > 1 ? "/" : "", comp);
	return 0;
}

/* Take the next component off todo; *last is set when nothing follows it. */
static int next_component(char *todo, char *comp, size_t size, int *last)
{
	char *p = todo, *end;
	size_t n;

	while (*p == '/')
		p++;
	end = p + strcspn(p, "/");
	n = (size_t)(end - p);
	if (n == 0 || n >= size)
		return n == 0 ? 0 : -1;
	memcpy(comp, p, n);
	comp[n] = '\0';
	while (*end == '/')
		end++;
	*last = *end == '\0';
	memmove(todo, end, strlen(end) + 1);
	return 1;
}

/* The key file was reached in w->dfd under comp: open it and check it. */
static int walk_open(struct walk *w, const char *comp, const struct stat *lst,
    int *fdp, struct stat *st)
{
	char name[PATH_MAX + NAME_MAX + 2];
	int fd;

	join(w->cur, comp, name, sizeof(name));
	/* Devices and FIFOs are never opened: opening one can block or act. */
	if (!S_ISREG(lst->st_mode))
		return walk_fail(w, "%s: not a regular file", name);
	if ((fd = openat(w->dfd, comp, w->oflags | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return walk_fail(w, "%s: %s", name, strerror(errno));
	if (fstat(fd, st) != 0) {
		close(fd);
		return walk_fail(w, "%s: %s", name, strerror(errno));
	}
	if (!S_ISREG(st->st_mode) || st->st_dev != lst->st_dev || st->st_ino != lst->st_ino) {
		close(fd);
		return walk_fail(w, "%s: not a regular file (replaced while opened)", name);
	}
	check_file(w, name, st);
	*fdp = fd;
	return 0;
}

/* A link in w->dfd: put its target in front of what is left to resolve. */
static int walk_link(struct walk *w, const char *comp, const struct stat *lst,
    const struct stat *dst, char *todo, size_t todosize)
{
	char target[PATH_MAX], rest[PATH_MAX], who[128], name[PATH_MAX + NAME_MAX + 2];
	ssize_t n;

	join(w->cur, comp, name, sizeof(name));

	/* In a sticky shared directory, whoever owns the link can replace it. */
	if (dir_writable(dst) && lst->st_uid != 0 && lst->st_uid != w->uid) {
		owner_name(lst->st_uid, who, sizeof(who));
		walk_unsafe(w, "%s: symbolic link owned by %s, who could replace it", name, who);
	}
	if ((n = readlinkat(w->dfd, comp, target, sizeof(target))) < 0)
		return walk_fail(w, "%s: %s", name, strerror(errno));
	if ((size_t)n >= sizeof(target) || n == 0)
		return walk_fail(w, "%s: unusable symbolic link", name);
	target[n] = '\0';
	snprintf(rest, sizeof(rest), "%s", todo);
	if (snprintf(todo, todosize, "%s%s%s", target, rest[0] ? "/" : "", rest) >= (int)todosize)
		return walk_fail(w, "%s: path too long", name);
	return target[0] == '/' ? walk_enter(w, "/") : 0;
}

/* Resolve path, checking everything on the way, and open the key with oflags. */
static int keysafe_walk(const char *path, uid_t uid, gid_t gid, int oflags, int *fdp,
    struct stat *st, char *why, size_t whysize)
{
	char todo[PATH_MAX], cwd[PATH_MAX], comp[NAME_MAX + 1], name[PATH_MAX + NAME_MAX + 2];
	struct stat lst, dst;
	int links = 0, last = 0, r, rc = -1;
	struct walk w;

	*fdp = -1;
	why[0] = '\0';
	memset(&w, 0, sizeof(w));
	w.uid = uid;
	w.gid = gid;
	w.why = why;
	w.whysize = whysize;
	w.dfd = -1;
	w.oflags = oflags;
	/* A relative path goes through the current directory and all above it. */
	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
		return walk_fail(&w, "%s: cannot find the current directory: %s", path,
		    strerror(errno));
	if (snprintf(todo, sizeof(todo), "%s%s%s", path[0] == '/' ? "" : cwd,
	    path[0] == '/' ? "" : "/", path) >= (int)sizeof(todo))
		return walk_fail(&w, "%s: path too long", path);
	if (walk_enter(&w, "/") < 0)
		return -1;
	for (;;) {
		if ((r = next_component(todo, comp, sizeof(comp), &last)) <= 0) {
			if (r < 0)
				walk_fail(&w, "%s: name too long", path);
			else
				walk_fail(&w, "%s: not a regular file", path);
			break;
		}
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			if (last) {
				walk_fail(&w, "%s: not a regular file", path);
				break;
			}
			if (comp[1] == '.' && walk_enter(&w, "..") < 0)
				break;
			continue;
		}
		if (fstat(w.dfd, &dst) != 0 ||
		    fstatat(w.dfd, comp, &lst, AT_SYMLINK_NOFOLLOW) != 0) {
			walk_fail(&w, "%s: %s", join(w.cur, comp, name, sizeof(name)),
			    strerror(errno));
			break;
		}
		if (S_ISLNK(lst.st_mode)) {
			check_dir(&w, &dst, 0);
			if (++links > KEYSAFE_MAXLINKS) {
				walk_fail(&w, "%s: %s", path, strerror(ELOOP));
				break;
			}
			if (walk_link(&w, comp, &lst, &dst, todo, sizeof(todo)) < 0)
				break;
			continue;
		}
		check_dir(&w, &dst, last);
		if (last) {
			if (walk_open(&w, comp, &lst, fdp, st) == 0)
				rc = w.unsafe ? 1 : 0;
			break;
		}
		if (!S_ISDIR(lst.st_mode)) {
			walk_fail(&w, "%s: not a directory", join(w.cur, comp, name, sizeof(name)));
			break;
		}
		if (walk_enter(&w, comp) < 0)
			break;
	}
	if (w.dfd >= 0)
		close(w.dfd);
	return rc;
}

/* Open a key file for a daemon running as uid:gid, checking everything on the way. */
int keysafe_open(const char *path, uid_t uid, gid_t gid, int *fdp, struct stat *st, char *why,
    size_t whysize)
{
	return keysafe_walk(path, uid, gid, O_RDONLY | O_NONBLOCK | O_NOCTTY, fdp, st, why, whysize);
}

/*
 * Check a key file without reading it: a reload runs as the run-time user,
 * who may check a key of root's that the cache keeps without reading it.
 */
int keysafe_check(const char *path, uid_t uid, gid_t gid, char *err, size_t errsize)
{
	struct stat st;
	int fd, r;

	r = keysafe_walk(path, uid, gid, KEYSAFE_CHECKFLAGS, &fd, &st, err, errsize);
	if (fd >= 0)
		close(fd);
	return r == 0 ? 0 : -1;
}
