/*
 * notify.c - sd_notify(3) for readiness, reloads, stopping and status, and
 * the watchdog thread.
 *
 * A timer that pings systemd proves only that one thread runs. The
 * watchdog here pings only after the daemon served a question through the
 * same path as mail (probe.c: libmilter's listener accepts, a worker runs
 * the negotiation callback) and when no callback has been running for
 * longer than any bounded step could take (milter/progress.c): a worker
 * stuck on a lock or a server without a timeout stops the pings, and
 * systemd restarts the daemon. A stopped process (SIGSTOP) sends nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "../milter/log.h"
#include "../milter/progress.h"
#include "notify.h"
#include "probe.h"

static atomic_int notify_is_stopping;
static char *notify_spec;
static uint64_t notify_usec;

/* Send one message; a failure is worth a line, never an exit. */
static void notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void notify_send(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((r = sd_notify(0, buf)) < 0)
		log_msg(LOG_WARNING, "sd_notify: %s", strerror(-r));
}

void notify_ready(const char *status)
{
	notify_send("READY=1\nSTATUS=%s", status);
}

void notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
}

void notify_stopping(const char *status)
{
	atomic_store(&notify_is_stopping, 1);
	notify_send("STOPPING=1\nSTATUS=%s", status);
}

void notify_status(const char *status)
{
	notify_send("STATUS=%s", status);
}

/* Sleep ms milliseconds. */
static void notify_sleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Ping every half period while the message path works; say so when it stops. */
static void *notify_watchdog(void *arg)
{
	long period = (long)(notify_usec / 2000), oldest;
	int timeout, quiet = 0;
	char err[512], why[600];

	(void)arg;
	if (period < 50)
		period = 50;
	/* The probe must end well before the next ping is due. */
	timeout = period / 2 > 10000 ? 10000 : (int)(period / 2);
	for (;;) {
		why[0] = '\0';
		/*
		 * Stopping: the socket is gone on purpose, and systemd watches no
		 * service that said STOPPING=1; the stop itself is bounded.
		 */
		if (atomic_load(&notify_is_stopping)) {
			notify_sleep(period);
			continue;
		}
		if ((oldest = progress_oldest_ms()) >= NOTIFY_STUCK_MS) {
			snprintf(why, sizeof(why), "a libmilter callback has been running for %ld s",
			    oldest / 1000);
		} else if (probe_milter(notify_spec, timeout, err, sizeof(err)) != 0) {
			snprintf(why, sizeof(why), "the milter socket does not answer: %s", err);
		}
		if (why[0] == '\0') {
			(void)sd_notify(0, "WATCHDOG=1");
			if (quiet)
				log_msg(LOG_NOTICE, "message path working again: watchdog pings resumed");
			quiet = 0;
		} else if (!quiet) {
			log_msg(LOG_ERR, "watchdog pings stopped: %s", why);
			quiet = 1;
		}
		notify_sleep(period);
	}
	return NULL;
}

int notify_watchdog_start(const char *spec, char *err, size_t errsize)
{
	pthread_t tid;
	int r;

	if (sd_watchdog_enabled(0, &notify_usec) <= 0)
		return 0;
	if ((notify_spec = strdup(spec)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	/* Never joined: it lives as long as the process. */
	if ((r = pthread_create(&tid, NULL, notify_watchdog, NULL)) == 0)
		(void)pthread_detach(tid);
	if (r != 0) {
		snprintf(err, errsize, "watchdog thread: %s", strerror(r));
		return -1;
	}
	log_msg(LOG_INFO, "watchdog: a ping every %llu ms while the milter socket answers",
	    (unsigned long long)(notify_usec / 2000));
	return 0;
}
