/*
 * loaded.h - which configuration generation is loaded: counted here, written
 * to the load record (config/loadrec.h) beside the PidFile, and told to
 * systemd (notify.h) with a one-line status.
 */
#ifndef POSTDKIM_LOADED_H
#define POSTDKIM_LOADED_H

#include <stddef.h>

struct runcfg;

/* Start-up: generation 1 is loaded; write the record (when PidFile is set). */
void loaded_start(const char *pidfile, const struct runcfg *rc);
/* A reload begins (RELOADING=1). */
void loaded_reloading(void);
/* A reload ended: ok with the configuration now in force, or failed with why. */
void loaded_reloaded(const struct runcfg *rc, const char *why);
/* READY=1 with the status line (once the socket answers). */
void loaded_ready(void);
/* Stopping: STOPPING=1, and the record goes (no stale generation is left). */
void loaded_stopping(void);
void loaded_remove(void);

#endif
