/*
 * rotreload.h - telling the running postdkim to load the rewritten tables
 * (RotateReload: "signal", SIGUSR1 to the process in PidFile, or
 * "exec:COMMAND"), and seeing that it did: the daemon keeps a load record
 * beside its PidFile (config/loadrec.h) whose generation and load time
 * change with every successful load, so a record that changed since the
 * reload was sent means the new tables are in force.
 */
#ifndef DKIMROTATE_ROTRELOAD_H
#define DKIMROTATE_ROTRELOAD_H

#include <stddef.h>

/* The load record beside pidfile as "PID GENERATION LOADED" ("" when there is none yet). */
void rotreload_loaded(const char *pidfile, char *out, size_t outsize);
/* Send the reload (a command stopped after timeout_s seconds); 0, or -1 with err. */
int rotreload_send(const char *how, const char *pidfile, unsigned timeout_s, char *err,
    size_t errsize);

#endif
