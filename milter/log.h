/*
 * log.h - postdkim's log: syslog, or standard error in the foreground.
 *
 * Every message of the daemon goes through log_msg() so that the choice
 * between syslog and stderr is made in one place. Safe to call from any
 * thread.
 */
#ifndef POSTDKIM_LOG_H
#define POSTDKIM_LOG_H

#include <syslog.h>

/* Log to standard error (before the configuration is known, and with -f). */
void log_to_stderr(const char *ident);
/* Log to syslog with the given facility (LOG_MAIL, ...). */
void log_to_syslog(const char *ident, int facility);
/* Lowest priority written (LOG_DEBUG shows everything); LOG_INFO by default. */
void log_set_level(int level);
/* Write one message at a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO...). */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
