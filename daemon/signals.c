/*
 * signals.c - SIGHUP, SIGUSR1, SIGTERM and SIGINT reach postdkim's own
 * handling only.
 *
 * smfi_main() always starts a libmilter thread (mi_signal_thread) that
 * sigwait()s for SIGHUP, SIGTERM and SIGINT and stops the filter on any of
 * them, SIGHUP included, without letting messages in progress finish. A
 * signal sent to the process goes to any one thread that does not block
 * it, and a thread in sigwait() counts as one: handlers in the main thread
 * lose to that thread whenever the main thread already has a signal
 * pending. So the handled signals are blocked in every thread from the
 * start, one thread of ours takes them with sigwaitinfo(), and libmilter's
 * thread never waits for them: see sigwait() below.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../milter/log.h"
#include "signals.h"

static const int signals_handled[] = { SIGHUP, SIGUSR1, SIGTERM, SIGINT };
#define SIGNALS_N (sizeof(signals_handled) / sizeof(signals_handled[0]))

static atomic_int signals_parked;	/* libmilter's signal thread is parked */
static int signals_fd = -1;

/* The set of handled signals. */
static void signals_set(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < SIGNALS_N; i++)
		sigaddset(set, signals_handled[i]);
}

/*
 * Interposed on libmilter's call: a function of the executable comes before
 * the C library's in symbol lookup, for libmilter.so as for libmilter.a.
 * The handled signals are taken out of the set the caller waits for; a set
 * left empty (libmilter's: HUP, TERM, INT) parks the caller for good, with
 * every signal it could act on blocked. postdkim itself uses sigwaitinfo().
 */
int sigwait(const sigset_t *restrict set, int *restrict sig)
{
	sigset_t rest = *set;
	size_t i;
	int s, any = 0;

	for (i = 0; i < SIGNALS_N; i++)
		sigdelset(&rest, signals_handled[i]);
	for (s = 1; s < NSIG && !any; s++)
		any = sigismember(&rest, s) == 1;
	if (!any) {
		atomic_store(&signals_parked, 1);
		for (;;)
			pause();
	}
	for (;;) {
		if ((s = sigwaitinfo(&rest, NULL)) > 0) {
			*sig = s;
			return 0;
		}
		if (errno != EINTR)
			return errno;
	}
}

/* Block the handled signals in the calling thread; threads it starts inherit that. */
void signals_block(void)
{
	sigset_t set;

	signals_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* The thread that takes every handled signal and hands it to the main loop. */
static void *signals_thread(void *arg)
{
	sigset_t set;
	unsigned char c;
	int sig;
	ssize_t n;

	(void)arg;
	signals_set(&set);
	for (;;) {
		if ((sig = sigwaitinfo(&set, NULL)) < 0) {
			if (errno != EINTR)
				log_msg(LOG_ERR, "sigwaitinfo: %s", strerror(errno));
			continue;
		}
		c = (unsigned char)sig;
		/* A blocking pipe: a stop is never dropped, however many reloads wait. */
		while ((n = write(signals_fd, &c, 1)) < 0 && errno == EINTR)
			;
		if (n != 1)
			log_msg(LOG_ERR, "signal %d lost: %s", sig, strerror(errno));
	}
	return NULL;
}

/* Start the signal thread, writing to fd. */
int signals_start(int fd, char *err, size_t errsize)
{
	pthread_attr_t attr;
	pthread_t tid;
	int r;

	signals_fd = fd;
	if ((r = pthread_attr_init(&attr)) != 0) {
		snprintf(err, errsize, "signal thread: %s", strerror(r));
		return -1;
	}
	if ((r = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED)) == 0)
		r = pthread_create(&tid, &attr, signals_thread, NULL);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		snprintf(err, errsize, "signal thread: %s", strerror(r));
		return -1;
	}
	return 0;
}

/* Wait until libmilter's signal thread has parked in sigwait() above. */
int signals_libmilter_parked(int ms)
{
	struct timespec ts = { 0, 1000000 };

	while (!atomic_load(&signals_parked) && ms-- > 0)
		nanosleep(&ts, NULL);
	return atomic_load(&signals_parked) ? 0 : -1;
}
