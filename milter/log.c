/*
 * log.c - one log sink for the whole daemon: syslog(3) or standard error.
 */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static int log_syslog;			/* nonzero: syslog, else stderr */
static int log_level = LOG_INFO;
static char log_ident[32] = "postdkim";

/* Remember the program name that prefixes every line. */
static void log_set_ident(const char *ident)
{
	snprintf(log_ident, sizeof(log_ident), "%s", ident ? ident : "postdkim");
}

/* Send messages to standard error. */
void log_to_stderr(const char *ident)
{
	if (log_syslog)
		closelog();
	log_syslog = 0;
	log_set_ident(ident);
}

/* Send messages to syslog. */
void log_to_syslog(const char *ident, int facility)
{
	log_set_ident(ident);
	/* LOG_NDELAY: connect now, while /dev/log is still reachable (chroot, privileges). */
	openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
	log_syslog = 1;
}

/* Set the lowest priority that is written. */
void log_set_level(int level)
{
	log_level = level;
}

/* Name of a priority for the stderr form. */
static const char *log_prio_name(int prio)
{
	switch (prio) {
	case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: return "fatal";
	case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: return "notice";
	case LOG_INFO: return "info";
	default: return "debug";
	}
}

/* Write one message. */
void log_msg(int prio, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	if (prio > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (log_syslog) {
		syslog(prio, "%s", buf);
	} else {
		/* One fprintf per line: stdio locks the stream, so threads do not interleave. */
		fprintf(stderr, "%s: %s: %s\n", log_ident, log_prio_name(prio), buf);
	}
}
