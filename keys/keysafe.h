/*
 * keysafe.h - is a private key file safe to use? Only its owner may read it,
 * and nobody else may replace it: every directory that resolving its path
 * goes through (symbolic links followed one by one) must be writable only by
 * root or the run-time user (sticky directories such as /tmp excepted, as
 * long as the key's own directory is private). The key is opened once and
 * checked on the open file, so that the file checked is the file read.
 * Its group may read it when that group is the run-time group (a key made
 * 0640 root:opendkim for a daemon running as opendkim, as installers do).
 */
#ifndef POSTDKIM_KEYSAFE_H
#define POSTDKIM_KEYSAFE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * Open the key file at path for a daemon running as uid and gid (root is
 * always an acceptable owner; gid may read the key), read-only, never
 * blocking, never a FIFO or device.
 * Returns 0: opened (*fd, its status in *st) and safe; 1: opened but unsafe,
 * why names the first unsafe path component (file, link or directory), what
 * is wrong and the fix (the caller decides, per RequireSafeKeys); -1: not
 * opened, why says why. The caller closes *fd (-1 when not opened).
 */
int keysafe_open(const char *path, uid_t uid, gid_t gid, int *fd, struct stat *st, char *why,
    size_t whysize);

/*
 * Check the key file at path as keysafe_open does, without reading it (the
 * caller need not be allowed to). Returns 0 when safe; otherwise -1 and
 * one line in err, as above.
 */
int keysafe_check(const char *path, uid_t uid, gid_t gid, char *err, size_t errsize);

#endif
