/*
 * rotreload.c - reload and its confirmation (rotreload.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../config/loadrec.h"
#include "rotexec.h"
#include "rotreload.h"

/* Read the load record. */
void
rotreload_loaded(const char *pidfile, char *out, size_t outsize)
{
	struct loadrec lr;
	char path[4200], err[600];

	out[0] = '\0';
	if (pidfile == NULL || loadrec_path(pidfile, path, sizeof(path)) < 0 ||
	    loadrec_read(path, &lr, err, sizeof(err)) < 0)
		return;
	snprintf(out, outsize, "%ld %lu %lld", lr.pid, lr.generation, (long long)lr.loaded);
}

/* SIGUSR1 to the PidFile's process. */
static int
send_signal(const char *pidfile, char *err, size_t errsize)
{
	char buf[32];
	long pid;
	char *end;
	ssize_t n;
	int fd;

	if (pidfile == NULL) {
		snprintf(err, errsize, "RotateReload signal needs a PidFile in postdkim.conf");
		return -1;
	}
	if ((fd = open(pidfile, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		snprintf(err, errsize, "PidFile %s: %s (is postdkim running?)", pidfile,
		    strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	pid = strtol(buf, &end, 10);
	if (pid <= 1 || (*end != '\0' && *end != '\n')) {
		snprintf(err, errsize, "PidFile %s holds no process id", pidfile);
		return -1;
	}
	if (kill((pid_t)pid, SIGUSR1) != 0) {
		snprintf(err, errsize, "cannot signal process %ld from %s: %s", pid, pidfile,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Run COMMAND through the shell; its exit status must be 0. */
static int
run_command(const char *cmd, unsigned timeout_s, char *err, size_t errsize)
{
	char *const argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };

	return rot_exec(argv, "RotateReload command", timeout_s, err, errsize);
}

/* Send the reload the configuration asks for. */
int
rotreload_send(const char *how, const char *pidfile, unsigned timeout_s, char *err,
    size_t errsize)
{
	if (strncmp(how, "exec:", 5) == 0)
		return run_command(how + 5, timeout_s, err, errsize);
	return send_signal(pidfile, err, errsize);
}
