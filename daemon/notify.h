/*
 * notify.h - postdkim's state told to systemd (sd_notify(3)): ready, reloading,
 * stopping, a one-line status, and watchdog pings while the message path
 * works. Without NOTIFY_SOCKET in the environment every call does nothing.
 */
#ifndef POSTDKIM_NOTIFY_H
#define POSTDKIM_NOTIFY_H

/*
 * The message path is stuck when a callback has run this long (ms): twice
 * Postfix's milter_content_timeout (300 s). By then the MTA has given up on
 * it, whatever DNSTimeout (at most 120 s) or LDAPTimeout allow.
 */
#define NOTIFY_STUCK_MS 600000

/* READY=1 with a STATUS= line. */
void notify_ready(const char *status);
/* RELOADING=1 (with MONOTONIC_USEC, which later systemd versions want). */
void notify_reloading(void);
/* STOPPING=1 with a STATUS= line; the watchdog stops probing. */
void notify_stopping(const char *status);
/* STATUS= alone. */
void notify_status(const char *status);
/*
 * With WATCHDOG_USEC set for this process, start the thread that sends
 * WATCHDOG=1 every half period while the milter socket spec answers an
 * option negotiation and no callback has run NOTIFY_STUCK_MS. 0 when
 * started or not wanted.
 */
int notify_watchdog_start(const char *spec, char *err, size_t errsize);

#endif
