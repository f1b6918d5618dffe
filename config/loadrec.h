/*
 * loadrec.h - the load record: a small file in the daemon's run directory
 * (beside the PidFile) that says which configuration generation the running
 * postdkim has loaded, and when. The daemon writes it at start-up and after
 * every reload; "postdkim -r" and dkimrotate read it to know that a reload
 * has really been loaded. Format in postdkim(8), "LOAD RECORD".
 */
#ifndef POSTDKIM_LOADREC_H
#define POSTDKIM_LOADREC_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

struct loadrec {
	long pid;			/* the daemon's process */
	unsigned long generation;	/* 1 at start-up, +1 per successful reload */
	time_t loaded;			/* when that generation was loaded */
	unsigned long attempts;		/* reloads tried since start-up */
	unsigned long failed;		/* of which failed */
	char error[512];		/* why the last reload failed; "" after a success */
};

/*
 * The record's path for a PidFile: same directory, the PidFile's name with
 * ".pid" (if any) replaced by ".loaded". -1 when it does not fit.
 */
int loadrec_path(const char *pidfile, char *out, size_t outsize);
/* Write the record atomically (a temporary file renamed over it), mode 0644. */
int loadrec_write(const char *path, const struct loadrec *lr, char *err, size_t errsize);
/* Read a record; -1 with err when it is missing or malformed. */
int loadrec_read(const char *path, struct loadrec *lr, char *err, size_t errsize);

#endif
