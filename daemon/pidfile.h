/*
 * pidfile.h - the PID file: opened as root without following links, only
 * a regular file with one name, locked for as long as postdkim runs, so
 * that a second postdkim with the same PidFile says so and exits.
 */
#ifndef POSTDKIM_PIDFILE_H
#define POSTDKIM_PIDFILE_H

#include <stddef.h>

/* Open and lock path (before the socket and the fork); -1 with err when refused. */
int pidfile_open(const char *path, char *err, size_t errsize);
/* Write the PID of the calling process into the locked file. */
int pidfile_write(char *err, size_t errsize);
/* At exit: remove the file, or empty it when its directory is not ours any more. */
void pidfile_remove(void);

#endif
