/*
 * signals.h - the signals postdkim acts on (SIGHUP and SIGUSR1 reload,
 * SIGTERM and SIGINT stop), received by one thread of postdkim's own and
 * never by libmilter's.
 */
#ifndef POSTDKIM_SIGNALS_H
#define POSTDKIM_SIGNALS_H

#include <stddef.h>

/* Block the handled signals in the calling thread (before any other starts). */
void signals_block(void);
/* Start the thread that writes each handled signal's number, one byte, to fd. */
int signals_start(int fd, char *err, size_t errsize);
/* Wait (at most ms) until libmilter's signal thread is parked; 0 when it is. */
int signals_libmilter_parked(int ms);

#endif
