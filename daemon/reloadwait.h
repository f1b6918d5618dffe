/*
 * reloadwait.h - postdkim -r: reload the running daemon and wait until it
 * has loaded the new configuration (systemd's ExecReload).
 */
#ifndef POSTDKIM_RELOADWAIT_H
#define POSTDKIM_RELOADWAIT_H

/*
 * Signal the daemon of pidfile (SIGUSR1) and wait, at most timeout_s, for
 * its load record to show the reload: 0 when a new generation is loaded,
 * 1 when the reload failed (reason on stderr), 3 on no answer.
 */
int reloadwait_run(const char *pidfile, int timeout_s);

#endif
