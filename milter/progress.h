/*
 * progress.h - is the message path making progress? Every libmilter
 * callback is wrapped so that its thread marks when it entered and clears
 * the mark when it returns; the watchdog (daemon/notify.c) asks how long
 * the oldest callback still running has been at it. A callback stuck on a
 * lock, a dead server without a timeout or an endless loop shows here,
 * while the rest of the daemon may look healthy.
 */
#ifndef POSTDKIM_PROGRESS_H
#define POSTDKIM_PROGRESS_H

#include <libmilter/mfapi.h>

/* Put the wrappers in desc's callbacks (before smfi_register). */
void progress_wrap(struct smfiDesc *desc);
/* Milliseconds the longest-running callback in progress has run; 0 if none. */
long progress_oldest_ms(void);

#endif
