/*
 * rotexec.h - running a program for dkimrotate (RotatePublish exec:,
 * RotateReload exec:) and waiting for it: its output goes with dkimrotate's
 * messages (standard error), not into the report lines on standard output.
 */
#ifndef DKIMROTATE_ROTEXEC_H
#define DKIMROTATE_ROTEXEC_H

#include <stddef.h>

/*
 * Run argv (argv[0] a path), wait for it at most timeout_s seconds (0: no
 * limit; past it, it and what it started are stopped: a hung provider API
 * must not hold every later run behind the lock); 0 when it exited 0, else
 * -1 with "WHAT failed (status N)", the timeout or the fork/wait error in err.
 */
int rot_exec(char *const argv[], const char *what, unsigned timeout_s, char *err,
    size_t errsize);

#endif
