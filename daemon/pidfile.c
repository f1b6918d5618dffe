/*
 * pidfile.c - the PID file, opened as root with the care a root-owned open
 * needs: no link followed (O_NOFOLLOW), no blocking on a FIFO (O_NONBLOCK),
 * and nothing truncated before the open file is known to be a regular file
 * with a single name (a hard link to another file would be clobbered).
 *
 * The file stays open and flock()ed while postdkim runs: the lock is the
 * proof that a postdkim is running (a second one is refused), and a PID
 * file left by a crash is simply taken over. The lock is taken before the
 * fork of daemonize() and is shared with the child.
 *
 * At exit postdkim runs as the UserID user and usually cannot remove a
 * file from a root-owned directory such as /run; the descriptor is still
 * open for writing, so the file is emptied instead (no stale PID stays
 * behind) and a warning says where to put the file to have it removed.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../milter/log.h"
#include "pidfile.h"

static int pidfile_fd = -1;
static char *pidfile_path;

/* What the other postdkim wrote: its PID, for the message. */
static void pidfile_holder(int fd, char *buf, size_t size)
{
	ssize_t n;
	size_t i;

	if (size == 0)
		return;
	buf[0] = '\0';
	if ((n = pread(fd, buf, size - 1, 0)) <= 0)
		return;
	buf[n] = '\0';
	/* Digits only: the file may hold anything. */
	for (i = 0; buf[i] >= '0' && buf[i] <= '9'; i++)
		;
	buf[i] = '\0';
}

/* Open and lock the PID file. */
int pidfile_open(const char *path, char *err, size_t errsize)
{
	struct stat st;
	char pid[16];
	int fd;

	/* Read and write: the PID of a postdkim holding the lock is read for the message. */
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
	    0644);
	if (fd < 0) {
		if (errno == ELOOP)
			snprintf(err, errsize, "PidFile %s: a symbolic link; refusing to follow it",
			    path);
		else if (errno == ENXIO)
			snprintf(err, errsize, "PidFile %s: not a regular file (a FIFO?)", path);
		else
			snprintf(err, errsize, "PidFile %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errsize, "PidFile %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "PidFile %s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_nlink != 1) {
		snprintf(err, errsize, "PidFile %s: has %lu names (a hard link to another file?); "
		    "remove it", path, (unsigned long)st.st_nlink);
		close(fd);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			pidfile_holder(fd, pid, sizeof(pid));
			snprintf(err, errsize, "PidFile %s: locked: postdkim%s%s is already running",
			    path, pid[0] ? " " : "", pid);
		} else
			snprintf(err, errsize, "PidFile %s: lock: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if ((pidfile_path = strdup(path)) == NULL) {
		snprintf(err, errsize, "out of memory");
		close(fd);
		return -1;
	}
	pidfile_fd = fd;
	return 0;
}

/* Write our PID. */
int pidfile_write(char *err, size_t errsize)
{
	char buf[32];
	int n;

	if (pidfile_fd < 0)
		return 0;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(pidfile_fd, 0) != 0 || pwrite(pidfile_fd, buf, (size_t)n, 0) != n) {
		snprintf(err, errsize, "PidFile %s: write failed: %s", pidfile_path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Remove the PID file at exit, or at least empty it. */
void pidfile_remove(void)
{
	int e;

	if (pidfile_fd < 0)
		return;
	if (unlink(pidfile_path) == 0 || errno == ENOENT) {
		log_msg(LOG_DEBUG, "PidFile %s removed", pidfile_path);
	} else {
		e = errno;
		if (ftruncate(pidfile_fd, 0) == 0)
			log_msg(LOG_WARNING, "PidFile %s: not removed (%s), emptied instead; to have "
			    "it removed, put it in a directory the UserID user can write",
			    pidfile_path, strerror(e));
		else
			log_msg(LOG_WARNING, "PidFile %s: not removed (%s) nor emptied (%s)",
			    pidfile_path, strerror(e), strerror(errno));
	}
	close(pidfile_fd);
	pidfile_fd = -1;
	free(pidfile_path);
	pidfile_path = NULL;
}
