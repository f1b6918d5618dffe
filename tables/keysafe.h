/*
 * keysafe.h - is a private key file safe to use? Only its owner may read it,
 * and nobody else may replace it: every directory on its path must be
 * writable only by root or the run-time user (sticky directories such as
 * /tmp excepted, as long as the key's own directory is private).
 */
#ifndef POSTDKIM_KEYSAFE_H
#define POSTDKIM_KEYSAFE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Check the key file at path for a daemon running as uid (root is always
 * an acceptable owner). Returns 0 when safe; otherwise -1 and one line in
 * err naming the exact file or directory, what is wrong and the fix.
 */
int keysafe_check(const char *path, uid_t uid, char *err, size_t errsize);

#endif
