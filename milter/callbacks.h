/*
 * callbacks.h - the libmilter side of postdkim: registration, protocol
 * negotiation, and the per-connection and per-message callbacks that feed
 * the session (session.h) and add the signatures.
 */
#ifndef POSTDKIM_CALLBACKS_H
#define POSTDKIM_CALLBACKS_H

#include <time.h>

/* Register the filter with libmilter (smfi_register); 0 or -1. */
int callbacks_register(const char *name);
/* Sign with a fixed time (t=) instead of the clock; 0 = the clock. */
void callbacks_set_time(time_t fixed);
/* Messages being signed (between end of header and end of message). */
long callbacks_busy(void);
/* Stop signing new messages (the daemon is stopping). */
void callbacks_stopping(void);

#endif
