/*
 * rotsel.h - the name of a new selector: RotateSelectorFormat (strftime,
 * default %Y%m%d) at the rotation's time, in UTC, with "-2", "-3", ...
 * added when that name is taken, since a selector is never reused.
 */
#ifndef DKIMROTATE_ROTSEL_H
#define DKIMROTATE_ROTSEL_H

#include <stddef.h>
#include <time.h>

/* Nonzero when sel is in use (its key file exists, it is the current one...). */
typedef int (*rotsel_taken_fn)(void *arg, const char *sel);

/*
 * Make a selector from fmt at time t into out; 0, or -1 with err (the
 * format makes no valid selector, or 100 names are taken).
 */
int rotsel_make(const char *fmt, time_t t, rotsel_taken_fn taken, void *arg, char *out,
    size_t outsize, char *err, size_t errsize);

#endif
