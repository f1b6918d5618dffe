/*
 * reloadwait.c - postdkim -r. A signal says nothing about when, or whether,
 * the daemon loaded the new configuration; its load record does: the count
 * of reloads tried goes up when one is done, the generation when it
 * succeeded. systemctl reload returns when this does, so whatever comes
 * next (dkimrotate's switch, an administrator's test mail) meets the new
 * configuration.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../config/loadrec.h"
#include "reloadwait.h"

#define RW_POLL_MS 20

/*
 * No PidFile, so no load record: under systemd ($MAINPID, set for
 * ExecReload) the signal is sent as before, without waiting.
 */
static int reloadwait_blind(void)
{
	const char *m = getenv("MAINPID");
	char *end;
	long pid;

	if (m == NULL || (pid = strtol(m, &end, 10)) <= 1 || *end != '\0') {
		fprintf(stderr, "postdkim -r: no PidFile in the configuration: nothing says "
		    "which process to reload or where its load record is\n");
		return 1;
	}
	if (kill((pid_t)pid, SIGUSR1) != 0) {
		fprintf(stderr, "postdkim -r: kill %ld: %s\n", pid, strerror(errno));
		return 3;
	}
	fprintf(stderr, "postdkim -r: reload sent to %ld; without a PidFile there is no load "
	    "record to wait for\n", pid);
	return 0;
}

int reloadwait_run(const char *pidfile, int timeout_s)
{
	struct loadrec before, now;
	struct timespec ts = { 0, RW_POLL_MS * 1000000L };
	char path[4096], err[1024];
	const char *m;
	long waited = 0;

	if (pidfile == NULL)
		return reloadwait_blind();
	if (loadrec_path(pidfile, path, sizeof(path)) != 0 ||
	    loadrec_read(path, &before, err, sizeof(err)) != 0) {
		fprintf(stderr, "postdkim -r: %s (is postdkim running?)\n", err);
		return 3;
	}
	/* Under systemd a record from a killed daemon must not aim the signal elsewhere. */
	if ((m = getenv("MAINPID")) != NULL && *m != '\0' && strtol(m, NULL, 10) != before.pid) {
		fprintf(stderr, "postdkim -r: %s names process %ld, not the service's %s: a stale "
		    "record\n", path, before.pid, m);
		return 3;
	}
	if (kill((pid_t)before.pid, SIGUSR1) != 0) {
		fprintf(stderr, "postdkim -r: kill %ld: %s\n", before.pid, strerror(errno));
		return 3;
	}
	for (;;) {
		if (loadrec_read(path, &now, err, sizeof(err)) == 0 && now.pid == before.pid &&
		    now.attempts > before.attempts)
			break;
		if (kill((pid_t)before.pid, 0) != 0 && errno == ESRCH) {
			fprintf(stderr, "postdkim -r: process %ld is gone\n", before.pid);
			return 3;
		}
		if ((waited += RW_POLL_MS) > timeout_s * 1000L) {
			fprintf(stderr, "postdkim -r: process %ld did not report the reload within "
			    "%d s\n", before.pid, timeout_s);
			return 3;
		}
		nanosleep(&ts, NULL);
	}
	/* Another reload may have run meanwhile: the last one decides. */
	if (now.generation > before.generation && now.error[0] == '\0') {
		printf("postdkim: generation %lu loaded (was %lu)\n", now.generation,
		    before.generation);
		return 0;
	}
	fprintf(stderr, "postdkim -r: reload failed, generation %lu kept: %s\n",
	    now.generation, now.error[0] ? now.error : "(no reason recorded)");
	return 1;
}
