/*
 * rotexec.c - run a program and wait for it, within a time limit (rotexec.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rotexec.h"

#define STEP_MS 20

/* Wait for pid at most limit_ms (0: no limit); 1 ended (status in *st), 0 not, -1 error. */
static int
wait_for(pid_t pid, unsigned long long limit_ms, int *st)
{
	struct timespec step = { 0, STEP_MS * 1000000L };
	unsigned long long waited = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, st, limit_ms ? WNOHANG : 0);
		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
		if (r == 0) {
			if (waited >= limit_ms)
				return 0;
			nanosleep(&step, NULL);
			waited += STEP_MS;
		}
	}
}

int
rot_exec(char *const argv[], const char *what, unsigned timeout_s, char *err, size_t errsize)
{
	pid_t pid;
	int st, rc;

	fflush(NULL);
	if ((pid = fork()) < 0) {
		snprintf(err, errsize, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* Its own process group: a shell's children go with it on a timeout. */
		setpgid(0, 0);
		dup2(2, 1);
		execv(argv[0], argv);
		fprintf(stderr, "dkimrotate: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	rc = wait_for(pid, (unsigned long long)timeout_s * 1000, &st);
	if (rc == 0) {
		kill(-pid, SIGTERM);
		if (wait_for(pid, 2000, &st) == 0) {
			kill(-pid, SIGKILL);
			wait_for(pid, 0, &st);
		}
		snprintf(err, errsize, "%s did not finish within %u s: stopped", what, timeout_s);
		return -1;
	}
	if (rc < 0) {
		snprintf(err, errsize, "waitpid: %s", strerror(errno));
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(err, errsize, "%s failed (status %d)", what,
		    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		return -1;
	}
	return 0;
}
