/*
 * privs.c - drop root for good: initgroups, setgid, setuid, then prove that
 * setuid(0) fails, so that a bug after start cannot act as root.
 */
#include <sys/types.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "privs.h"

/* Look up the run-time user and group. */
int privs_lookup(struct privs *p, const char *user, const char *group,
    char *err, size_t errsize)
{
	struct passwd *pw;
	struct group *gr;

	memset(p, 0, sizeof(*p));
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errsize, "UserID %s: no such user%s%s", user,
		    errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	if (group != NULL && *group != '\0') {
		errno = 0;
		if ((gr = getgrnam(group)) == NULL) {
			snprintf(err, errsize, "UserID %s:%s: no such group", user, group);
			return -1;
		}
		p->gid = gr->gr_gid;
		p->explicit_group = 1;
	}
	if ((p->user = strdup(user)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	return 0;
}

/* Become the run-time user for good. */
int privs_drop(const struct privs *p, char *err, size_t errsize)
{
	gid_t groups[1];

	if (geteuid() != 0) {
		/* Not root: nothing to drop, but we must already be that user. */
		if (geteuid() != p->uid) {
			snprintf(err, errsize, "UserID %s: postdkim must be started as root "
			    "to switch to that user", p->user);
			return -1;
		}
		return 0;
	}
	/* The user's own groups, plus an explicit group as the primary one. */
	if (initgroups(p->user, p->gid) != 0) {
		groups[0] = p->gid;
		if (setgroups(1, groups) != 0) {
			snprintf(err, errsize, "setgroups: %s", strerror(errno));
			return -1;
		}
	}
	if (setgid(p->gid) != 0) {
		snprintf(err, errsize, "setgid(%ld): %s", (long)p->gid, strerror(errno));
		return -1;
	}
	if (setuid(p->uid) != 0) {
		snprintf(err, errsize, "setuid(%ld): %s", (long)p->uid, strerror(errno));
		return -1;
	}
	if (p->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errsize, "could regain root after switching to %s; refusing to run",
		    p->user);
		return -1;
	}
	if (getuid() != p->uid || geteuid() != p->uid || getgid() != p->gid ||
	    getegid() != p->gid) {
		snprintf(err, errsize, "switching to %s did not take effect", p->user);
		return -1;
	}
	return 0;
}

/* Free a looked-up user. */
void privs_free(struct privs *p)
{
	free(p->user);
	p->user = NULL;
}
