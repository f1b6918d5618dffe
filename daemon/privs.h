/*
 * privs.h - the run-time user (UserID): looked up while still root, then
 * switched to for good once the socket, keys and PID file are in place.
 */
#ifndef POSTDKIM_PRIVS_H
#define POSTDKIM_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

struct privs {
	char *user;
	uid_t uid;
	gid_t gid;
	int explicit_group;	/* group given in UserID user:group */
};

/* Look up user (and group, or the user's primary group). */
int privs_lookup(struct privs *p, const char *user, const char *group,
    char *err, size_t errsize);
/*
 * Become p's user for good: supplementary groups, gid, uid, then check
 * that root cannot be regained.
 */
int privs_drop(const struct privs *p, char *err, size_t errsize);
void privs_free(struct privs *p);

#endif
